// qmail-popup's side of POP3 (RFC 1939's authorization state): the greeting with its APOP
// timestamp, USER and PASS, APOP, NOOP and QUIT, and (not in qmail) CAPA (RFC 2449) and
// STLS (RFC 2595) when a certificate is there; every other command is "-ERR
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
    // What goes to checkpassword on descriptor 3 (qm::checkpassword_request; nullopt
    // never happens for a Login that handle() made, whose lines end at a NUL).
    [[nodiscard]] std::optional<std::string> checkpassword_input(std::string_view timestamp) const;
};

class Authorization {
public:
    // timestamp: "<pid.time@hostname>", which the greeting shows and APOP digests.
    // tls: STLS can be offered (the server has a certificate).
    explicit Authorization(std::string timestamp, bool tls = false)
        : timestamp_(std::move(timestamp))
        , tls_offered_(tls) {}

    [[nodiscard]] std::string greeting() const { return "+OK " + timestamp_ + "\r\n"; }
    [[nodiscard]] const std::string& timestamp() const { return timestamp_; }

    struct Step {
        std::string reply;          // to write (empty when a login is ready)
        std::optional<Login> login; // PASS or APOP complete: run checkpassword
        bool quit = false;          // QUIT: the reply, then the end
        bool start_tls = false;     // STLS: the reply, then the TLS handshake
    };
    // One command line, without its LF (a CR before it is dropped here; a NUL ends it).
    [[nodiscard]] Step handle(std::string_view line);
    // The handshake is done: what came before it is forgotten (RFC 2595: a USER given in
    // the clear does not count).
    void tls_started() {
        tls_active_ = true;
        user_.reset();
    }

private:
    std::string timestamp_;
    bool tls_offered_ = false;
    bool tls_active_ = false;
    std::optional<std::string> user_;
};

} // namespace qm::pop3
