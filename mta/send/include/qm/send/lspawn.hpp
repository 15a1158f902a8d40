// Root mode (qmail-lspawn(8)): qmail-send runs as qmails and never as root; the small
// privileged qmail-lspawn process does what needs root on its behalf: each local delivery
// (through qm::local::deliver_in_child: a qmail-local process as the recipient, never uid 0)
// and the queue unlinks that belong to qmailq (qmail-clean's job: intd/N + todo/N after
// preprocessing, mess/N at the end).
//
// Protocol on one stream socket, every field NUL-terminated, handled in order:
//   request  "D" num \0 id \0 sender \0 recipient \0     a delivery (sender VERP-expanded)
//            "C" num \0 "t"|"m" \0 id \0                  unlink intd+todo (t) or mess (m)
//   reply    num \0 letter text \0                       K done, Z temporary, D permanent
#pragma once

#include "qm/result.hpp"
#include "qm/verdict.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qm::send::lspawn {

struct Request {
    char kind = 'D'; // 'D' delivery, 'C' clean
    unsigned long num = 0;
    std::vector<std::string> fields; // D: id, sender, recipient; C: "t"|"m", id
};

struct Reply {
    unsigned long num = 0;
    Verdict verdict;
};

[[nodiscard]] std::string encode(const Request& r);
[[nodiscard]] std::string encode(const Reply& r);
// Takes one complete request/reply off the front of buf; nullopt when more bytes are
// needed. A malformed request is a permanent failure (qmail-send is broken). A reply is
// consumed whole either way: one without a known letter becomes Z "qmail-lspawn sent a
// malformed report.", so that it defers its own delivery only; one without a number is
// a failure the caller can skip, since it names no delivery.
[[nodiscard]] Result<std::optional<Request>> take_request(std::string& buf);
[[nodiscard]] Result<std::optional<Reply>> take_reply(std::string& buf);

// qmail-lspawn's main loop: requests on in_fd, replies on out_fd, until EOF; waits for
// running deliveries before returning.
[[nodiscard]] Status serve(int in_fd, int out_fd, const std::string& default_delivery);

} // namespace qm::send::lspawn
