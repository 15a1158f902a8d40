// qmail-qmqpc's work (cr.yp.to/proto/qmqp.html): one message and its envelope sent to the
// first QMQP server in control/qmqpservers that takes a connection, as a null client
// ("mini-qmail") hands all its mail to a central host. The result is a qmail-queue exit
// code, so a program running $QMAILQUEUE cannot tell qmail-qmqpc from qmail-queue.
#pragma once

#include "qm/envelope.hpp"
#include "qm/qmtp/framing.hpp"
#include "qm/result.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace qm::qmtp {

inline constexpr std::uint16_t qmqp_port = 628;

struct QmqpServer {
    std::string address; // numeric IPv4 or IPv6
    std::uint16_t port = qmqp_port;
};

// One qmqpservers line: "192.0.2.1", "192.0.2.1:6280", "2001:db8::1", "[2001:db8::1]:6280".
// Only numeric addresses, as qmail (no DNS on the way to the mail hub).
[[nodiscard]] Result<QmqpServer> parse_qmqp_server(std::string_view line);

// The request around the message: "<total>:<len>:" before it and ",<sender>,<rcpt>...,"
// after, so the message itself is never copied.
using QmqpRequest = MessageFrame;
[[nodiscard]] QmqpRequest qmqp_request(size_t message_length, const Envelope& env);

// The server's verdict: 'K', 'Z' or 'D' and its text (the response without the letter).
struct QmqpReply {
    char code = 'Z';
    std::string text;
};

struct QmqpTimeouts {
    int connect_seconds = 10;
    int io_seconds = 60;
};

struct QmqpOutcome {
    QueueExit exit = QueueExit::connect_refused;
    std::string detail; // for the log: which server said what, or why none answered
};

// Tries each server in order. Only a failed or timed-out connection moves on to the
// next, as in qmail: once a server has the message its answer stands. K → 0, D → 31,
// Z → 71; no server reachable → 73 (72 when the last one timed out); trouble after
// connecting → 74.
[[nodiscard]] QmqpOutcome qmqp_send(const std::vector<QmqpServer>& servers,
                                    std::string_view message, const Envelope& env,
                                    const QmqpTimeouts& timeouts = {});

// Reads an envelope in qmail-queue's format from fd up to its final NUL (not to EOF,
// so a writer may keep the pipe open while it waits for us).
[[nodiscard]] std::expected<Envelope, EnvelopeError> read_envelope(int fd);

} // namespace qm::qmtp
