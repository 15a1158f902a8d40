// The queue files qmail-send reads and writes (qmail INTERNALS): todo/N as written by
// qmail-queue (u<uid>\0 p<pid>\0 F<sender>\0 T<rcpt>\0 ...), and local/N, remote/N with one
// T<addr>\0 record per recipient whose T becomes D in place once it is done.
#pragma once

#include "qm/result.hpp"

#include <sys/types.h>

#include <cstdint>
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

struct ChannelRecord {
    off_t offset = 0; // of the T/D byte, for marking it done
    bool done = false;
    std::string address;
};

[[nodiscard]] std::vector<ChannelRecord> parse_channel(std::string_view bytes);
[[nodiscard]] std::string channel_record(std::string_view address);

} // namespace qm::send
