// The recipients of one pass over a channel file (local/N or remote/N) as qmail-send holds
// them, and their cut into attempts. A list post to 100,000 subscribers is one remote/N of
// 100,000 records; holding each as a string of its own cost hundreds of bytes per
// recipient, so a pass keeps the file's bytes as read and, per recipient still to deliver,
// 8 bytes: where its record starts, and a link to the next recipient of the same attempt.
// Addresses become strings only for the attempts actually started.
#pragma once

#include "qm/result.hpp"

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace qm::send {

class PassPlan {
public:
    // bytes: the channel file; its T records are this pass's recipients (D records are
    // done, a torn final record was never committed). Attempts: one per domain and
    // VERP-expanded sender (so a VERP sender gives one per recipient), in the order of
    // their first recipient, at most max_recipients each; 1 makes every recipient its own
    // attempt (local deliveries). A file of 4 GiB or more is refused (offsets are 32-bit).
    [[nodiscard]] static Result<PassPlan> make(std::string bytes, std::string_view sender,
                                               size_t max_recipients);

    // Recipients to deliver in this pass.
    [[nodiscard]] size_t size() const { return slots_.size(); }
    // Recipients that next_group has not handed out yet.
    [[nodiscard]] size_t untried() const { return slots_.size() - handed_out_; }
    [[nodiscard]] bool exhausted() const { return handed_out_ == slots_.size(); }
    // The next attempt's recipients (indexes below size()) in queue order; empty once
    // every attempt is handed out.
    [[nodiscard]] std::vector<std::uint32_t> next_group();

    [[nodiscard]] std::string_view address(std::uint32_t i) const;
    // Of the record's T byte in the file, for the in-place T → D mark.
    [[nodiscard]] off_t offset(std::uint32_t i) const { return slots_[i].offset; }

    // Bytes this plan holds (itself, the file's bytes and the per-recipient slots), so
    // that the cost per recipient can be checked.
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

    std::string bytes_;
    std::vector<Slot> slots_;
    // Attempts are handed out in the order of their first recipient: the next one starts
    // at the first first-recipient slot at or after cursor_.
    size_t cursor_ = 0;
    size_t handed_out_ = 0;
};

} // namespace qm::send
