// The queue files qmail-send reads and writes (qmail INTERNALS): todo/N as written by
// qmail-queue (u<uid>\0 p<pid>\0 F<sender>\0 T<rcpt>\0 ...), and local/N, remote/N with one
// T<addr>\0 record per recipient whose T becomes D in place once it is done.
#pragma once

#include "qm/result.hpp"

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace qm::send {

struct TodoEntry {
    std::string uid, pid; // as written (decimal); kept textual for the log line
    std::string sender;
    std::vector<std::string> recipients;
    std::uint64_t journal_id = 0; // j<id>, when qmail-journald holds the message too
};

// A record type other than u, p, F, T, j, or a missing F, is a permanent format error.
[[nodiscard]] Result<TodoEntry> parse_todo(std::string_view bytes);
// The same without collecting the recipients: each is passed to on_recipient, in order, as
// it is read (a view into bytes), so that a 100,000-recipient envelope is not copied into
// as many strings. On a format error some may have been passed already.
[[nodiscard]] Result<TodoEntry>
parse_todo(std::string_view bytes, const std::function<void(std::string_view)>& on_recipient);

struct ChannelRecord {
    off_t offset = 0; // of the T/D byte, for marking it done
    bool done = false;
    std::string address;
};

// Calls f(offset, done, address) for each record of a channel file, in file order; a torn
// final record (a crash while writing) was never committed and is not one.
template <class F>
void for_each_channel_record(std::string_view bytes, F&& f) {
    size_t pos = 0;
    while (pos < bytes.size()) {
        const auto nul = bytes.find('\0', pos);
        if (nul == std::string_view::npos)
            return;
        const char kind = bytes[pos];
        if (kind == 'T' || kind == 'D')
            f(pos, kind == 'D', bytes.substr(pos + 1, nul - pos - 1));
        pos = nul + 1;
    }
}

[[nodiscard]] std::vector<ChannelRecord> parse_channel(std::string_view bytes);
[[nodiscard]] std::string channel_record(std::string_view address);

} // namespace qm::send
