// The spawn protocol between qmail-send and its privileged helpers, qmail-lspawn (local
// deliveries as each recipient, queue unlinks as qmailq) and qmail-rspawn (remote
// deliveries as qmailr): one stream socket, every field NUL-terminated, requests answered
// by number in any order.
//   request  "D" num \0 id \0 sender \0 recipient \0        one local delivery
//            "J" num \0 id \0 jid \0 sender \0 recipient \0 the same, for a message the
//                                                           journal holds (its id jid)
//            "C" num \0 "t"|"m" \0 id \0                    unlink intd+todo (t) or mess (m)
//            "R" num \0 id \0 sender \0 count \0 rcpt \0 ... one remote attempt: count
//                                                           recipients at one domain
//   reply    num \0 letter text \0                         K done, Z temporary, D permanent
// A D, J or C request gets one reply numbered num; an R request gets one per recipient,
// numbered num, num+1, ... num+count-1, each that recipient's verdict. Senders are
// VERP-expanded already.
#pragma once

#include "qm/result.hpp"
#include "qm/verdict.hpp"

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qm::send::spawn {

// The most recipients one R request may carry (qmail-send's remote attempts hold 100).
inline constexpr size_t max_recipients = 1000;

struct Request {
    char kind = 'D'; // 'D' local delivery, 'J' one with a journal id, 'C' clean, 'R' remote
    unsigned long num = 0;
    // D: id, sender, recipient; J: id, jid, sender, recipient; C: "t"|"m", id;
    // R: id, sender, recipients...
    std::vector<std::string> fields;
    // How many replies it gets.
    [[nodiscard]] size_t replies() const { return kind == 'R' ? fields.size() - 2 : 1; }
};

struct Reply {
    unsigned long num = 0;
    Verdict verdict;
};

// A decimal field (request number, message id, count); nothing if it is not one.
[[nodiscard]] std::optional<unsigned long> number(std::string_view s);

[[nodiscard]] std::string encode(const Request& r);
[[nodiscard]] std::string encode(const Reply& r);
// Takes one complete request/reply off the front of buf; nullopt when more bytes are
// needed. A malformed request is a permanent failure (qmail-send is broken). A reply is
// consumed whole either way: one without a known letter becomes Z "<program> sent a
// malformed report.", so that it defers its own delivery only; one without a number is
// a failure the caller can skip, since it names no delivery.
[[nodiscard]] Result<std::optional<Request>> take_request(std::string& buf);
[[nodiscard]] Result<std::optional<Reply>> take_reply(std::string& buf,
                                                      std::string_view program = "qmail-lspawn");

// Serves requests on in_fd, replies on out_fd, until EOF: `handle` runs each delivery or
// attempt on a thread of its own (qmail-send's concurrency bounds how many) and returns its
// replies; C requests, if accepted at all, run in order by `clean` so that todo/N is gone
// before a delivery of message N starts. Waits for running deliveries before returning.
struct Handlers {
    std::function<std::vector<Reply>(const Request&)> deliver; // D or R
    std::function<Reply(const Request&)> clean;                // C; null: refused
};
[[nodiscard]] Status serve(int in_fd, int out_fd, const Handlers& handlers);

} // namespace qm::send::spawn
