// qmail-popup's side of POP3 (RFC 1939's authorization state): the greeting with its APOP
// timestamp, USER and PASS, APOP, NOOP and QUIT; every other command is "-ERR
// authorization first". A complete login goes to a checkpassword-interface program as
// "user\0password\0timestamp\0" on descriptor 3 (for APOP the digest stands for the
// password). Pure, no I/O; fuzzed with the transaction's parser.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace qm::pop3 {

struct Login {
    std::string user;
    std::string password; // APOP: the client's digest
    // What goes to checkpassword on descriptor 3.
    [[nodiscard]] std::string checkpassword_input(std::string_view timestamp) const;
};

class Authorization {
public:
    // timestamp: "<pid.time@hostname>", which the greeting shows and APOP digests.
    explicit Authorization(std::string timestamp)
        : timestamp_(std::move(timestamp)) {}

    [[nodiscard]] std::string greeting() const { return "+OK " + timestamp_ + "\r\n"; }
    [[nodiscard]] const std::string& timestamp() const { return timestamp_; }

    struct Step {
        std::string reply;          // to write (empty when a login is ready)
        std::optional<Login> login; // PASS or APOP complete: run checkpassword
        bool quit = false;          // QUIT: the reply, then the end
    };
    // One command line, without its LF (a CR before it is dropped here).
    [[nodiscard]] Step handle(std::string_view line);

private:
    std::string timestamp_;
    std::optional<std::string> user_;
};

} // namespace qm::pop3
