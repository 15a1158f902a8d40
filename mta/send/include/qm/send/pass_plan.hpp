// The recipients of one pass over a channel file (local/N or remote/N) as qmail-send holds
// them, and their cut into attempts. A list post to 100,000 subscribers is one remote/N of
// 100,000 records; holding each as a string of its own cost hundreds of bytes per
// recipient, and even the file's bytes are 40 or so. A pass keeps 8 bytes per recipient
// still to deliver (where its record starts, and a link to the next recipient of the same
// attempt) and reads addresses back from the file when an attempt starts, through a small
// window, since attempts are handed out in file order.
#pragma once

#include "qm/fd.hpp"
#include "qm/result.hpp"

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace qm::send {

class PassPlan {
public:
    // fd: the channel file, open for reading and writing (the T → D marks). Its T records
    // are this pass's recipients (D records are done, a torn final record was never
    // committed); it is read whole once here. Attempts: one per domain and VERP-expanded
    // sender (so a VERP sender gives one per recipient), in the order of their first
    // recipient, at most max_recipients each; 1 makes every recipient its own attempt
    // (local deliveries). A file of 4 GiB or more is refused (offsets are 32-bit).
    [[nodiscard]] static Result<PassPlan> make(UniqueFd fd, std::string_view sender,
                                               size_t max_recipients);

    [[nodiscard]] int fd() const { return fd_.get(); }
    // Recipients to deliver in this pass.
    [[nodiscard]] size_t size() const { return slots_.size(); }
    // Recipients that next_group has not handed out yet.
    [[nodiscard]] size_t untried() const { return slots_.size() - handed_out_; }
    [[nodiscard]] bool exhausted() const { return handed_out_ == slots_.size(); }
    // The next attempt's recipients (indexes below size()) in queue order; empty once
    // every attempt is handed out.
    [[nodiscard]] std::vector<std::uint32_t> next_group();

    // Read from the file (fails only if reading does, or the file changed under us).
    [[nodiscard]] Result<std::string> address(std::uint32_t i);
    // Of the record's T byte in the file, for the in-place T → D mark.
    [[nodiscard]] off_t offset(std::uint32_t i) const { return slots_[i].offset; }

    // The window of the file kept for address(): a page, about 100 addresses of a VERP or
    // local pass read in order; small, because the attempts of a plain sender gather their
    // recipients from all over the file, and each miss reads a whole window.
    static constexpr size_t window_size = 4096;
    // Bytes this plan holds (itself, the slots, the window), so that the cost per
    // recipient can be checked.
    [[nodiscard]] size_t memory_bytes() const;

private:
    struct Slot {
        std::uint32_t offset = 0; // of the T byte
        // The next recipient of the same attempt (its slot index), or no_next; the top
        // bit marks the attempt's first recipient.
        std::uint32_t link = 0;
    };
    static constexpr std::uint32_t first_bit = 0x80000000U;
    static constexpr std::uint32_t no_next = 0x7fffffffU;

    UniqueFd fd_;
    std::vector<Slot> slots_;
    std::unique_ptr<char[]> window_; // made at the first address()
    off_t window_at_ = 0;            // the file offset of window_[0]
    size_t window_len_ = 0;
    // Attempts are handed out in the order of their first recipient: the next one starts
    // at the first first-recipient slot at or after cursor_.
    size_t cursor_ = 0;
    size_t handed_out_ = 0;
};

} // namespace qm::send
