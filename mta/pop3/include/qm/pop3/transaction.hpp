// qmail-pop3d's transaction state over one maildir (RFC 1939; qmail-pop3d(8)): the
// messages of new/ and cur/ as they were at the start (oldest first, as qmail's
// maildir_scan orders them; one changed in this very second waits for the next session),
// numbered from 1; STAT, LIST, UIDL (the file name up to its ':' flags), RETR, TOP, DELE,
// RSET, LAST, NOOP; at QUIT the deleted messages are removed and the others that were in
// new/ move to cur/ with ":2," (seen by a mail client). Message text goes out with CRLF
// line ends and leading dots doubled, ended by ".".
#pragma once

#include "qm/result.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qm::pop3 {

struct Message {
    std::string name; // "new/..." or "cur/..." under the maildir
    std::uint64_t size = 0;
    bool deleted = false;
};

// The maildir's messages, oldest first; files in tmp/ not read for 36 hours go first.
[[nodiscard]] Result<std::vector<Message>> scan_maildir(const std::string& maildir);

class Transaction {
public:
    // Writes bytes to the client; false when the client is gone.
    using Output = std::function<bool(std::string_view)>;

    Transaction(std::string maildir, std::vector<Message> messages)
        : maildir_(std::move(maildir))
        , messages_(std::move(messages)) {}

    // One command line (without its LF). false once the session is over (QUIT, or the
    // client gone while a reply was written).
    bool handle(std::string_view line, const Output& out);

    [[nodiscard]] const std::vector<Message>& messages() const { return messages_; }

private:
    bool send_message(size_t index, std::optional<unsigned long> body_lines, const Output& out);
    bool listing(std::string_view argument, bool uidl, const Output& out);
    bool quit(const Output& out);
    // The index the argument names, or nullopt after the -ERR reply.
    std::optional<size_t> number(std::string_view argument, const Output& out, bool& alive);

    std::string maildir_;
    std::vector<Message> messages_;
    size_t last_ = 0; // LAST: the highest message number deleted (qmail-pop3d's rule)
};

} // namespace qm::pop3
