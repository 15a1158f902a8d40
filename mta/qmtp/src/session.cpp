#include "qm/qmtp/session.hpp"

#include "qm/log.hpp"

#include <algorithm>
#include <utility>

namespace qm::qmtp {

namespace {

constexpr std::string_view refused_domain =
    "Dsorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)";
constexpr std::string_view refused_address = "Dsorry, I can't handle that recipient (#5.1.3)";
constexpr std::string_view too_many = "Ztoo many recipients (#4.5.3)";
constexpr std::string_view too_many_in_connection =
    "Ztoo many recipients in this connection, send the rest in another (#4.5.3)";

bool has_nul(std::string_view s) {
    return s.find('\0') != std::string_view::npos;
}

std::string ok_text(std::time_t now, const Queued& q) {
    return "Kok " + std::to_string(now) + " qp " + std::to_string(q.qp);
}

// Drops what the parser has used so far from the input buffer.
void compact(std::string& in, size_t& pos) {
    in.erase(0, pos);
    pos = 0;
}

} // namespace

std::string response(std::string_view text) {
    return netstring::encode(text);
}

std::string failure_response_text(const Failure& f) {
    return (f.permanent() ? "D" : "Z") + f.with_dsn();
}

void ServerSession::drop(std::string_view peer, std::string_view what) {
    log::warning("protocol error from " + log::safe_text(peer) + ": " + std::string(what) +
                 "; connection dropped, nothing of that message queued");
    protocol_error_ = true;
    closed_ = true;
}

// Both

template <class Parser, class OnEvent>
ServerSession::Step FramedSession::pump(Parser& parser, std::string_view bytes, OnEvent on_event) {
    if (closed_)
        return Step::close;
    in_.append(bytes);
    while (!closed_) {
        if (commit_pending_) {
            compact(in_, in_pos_);
            return Step::commit;
        }
        size_t used = 0;
        const Event e = parser.feed(std::string_view(in_).substr(in_pos_), used);
        if (e == Event::more) {
            in_.clear();
            in_pos_ = 0;
            return Step::need_input;
        }
        on_event(e);
        in_pos_ += used;
    }
    return Step::close;
}

void FramedSession::start_queue(const char* protocol) {
    auto qs = QueueStream::start(conn_.env);
    if (!qs) {
        queue_start_failure_ = qs.error();
        return;
    }
    queue_ = std::move(*qs);
    queue_->write(smtp::received_line(conn_, conn_.remote_host, protocol, clock_()));
}

std::string_view FramedSession::header_checked(std::string_view piece) {
    header_checked_.clear();
    header_cr_.feed(piece, header_checked_);
    return header_checked_;
}

std::string_view FramedSession::header_checked_end() {
    header_checked_.clear();
    header_cr_.finish(header_checked_);
    header_cr_ = {};
    return header_checked_;
}

// QMTP

QmtpSession::QmtpSession(std::shared_ptr<const smtp::Controls> controls, smtp::Connection conn,
                         Clock clock)
    : FramedSession(std::move(conn), std::move(clock))
    , controls_(std::move(controls)) {}

std::uint64_t QmtpSession::databytes() const {
    return conn_.databytes.value_or(controls_->databytes);
}

void QmtpSession::reset() {
    queue_.reset(); // a qmail-queue without an envelope queues nothing
    queue_start_failure_.reset();
    envelope_ = {};
    sender_ok_ = true;
    too_big_ = false;
    stored_ = 0;
    hops_ = {};
    refusals_.clear();
    commit_pending_ = false;
    header_cr_ = {};
}

ServerSession::Step QmtpSession::receive(std::string_view bytes) {
    return pump(parser_, bytes, [this](Event e) {
        switch (e) {
        case Event::message_begin:
            reset();
            start_queue("QMTP");
            break;
        case Event::message_data:
            message_data(header_checked(parser_.data()));
            break;
        case Event::message_end:
            message_data(header_checked_end());
            break;
        case Event::sender:
            sender(parser_.address(), parser_.address_length());
            break;
        case Event::recipient:
            recipient(parser_.address(), parser_.address_length());
            break;
        case Event::end:
            commit_pending_ = true;
            break;
        case Event::error:
            reset();
            drop(conn_.remote_ip, parser_.error());
            break;
        case Event::more:
            break;
        }
    });
}

void QmtpSession::message_data(std::string_view stored) {
    stored_ += stored.size();
    hops_.feed(stored);
    const std::uint64_t limit = databytes();
    if (limit != 0 && stored_ > limit && !too_big_) {
        too_big_ = true;
        queue_.reset(); // stop writing it to disk; keep reading to the end of the package
    }
    if (queue_)
        queue_->write(stored);
}

void QmtpSession::sender(std::string_view address, size_t length) {
    sender_ok_ = length < max_address && !has_nul(address);
    if (sender_ok_)
        envelope_.sender = std::string(address);
}

void QmtpSession::recipient(std::string_view address, size_t length) {
    const size_t relay_length = conn_.relay_client ? conn_.relay_client->size() : 0;
    if (length + relay_length >= max_address || has_nul(address)) {
        refusals_.push_back('L');
        return;
    }
    std::string rcpt(address);
    if (conn_.relay_client) {
        rcpt += *conn_.relay_client;
    } else if (!smtp::recipient_allowed(*controls_, rcpt)) {
        refusals_.push_back('D');
        return;
    }
    // Temporary: the client sends these in a later package, as with SMTP's 452.
    const smtp::RecipientLimits limits = smtp::recipient_limits(*controls_, conn_);
    if (envelope_.recipients.size() >= limits.per_message) {
        refusals_.push_back('M');
        return;
    }
    if (session_recipients_ >= limits.per_session) {
        refusals_.push_back('S');
        return;
    }
    ++session_recipients_;
    envelope_.recipients.push_back(std::move(rcpt));
    refusals_.push_back(0);
}

void QmtpSession::commit() {
    if (!commit_pending_)
        return;
    commit_pending_ = false;
    std::string result;
    if (queue_start_failure_)
        result = failure_response_text(*queue_start_failure_);
    else if (!sender_ok_)
        result = "Dunacceptable sender (#5.1.7)";
    else if (too_big_)
        result = "Dsorry, that message size exceeds my databytes limit (#5.3.4)";
    else if (hops_.hops() >= max_hops)
        result = "Dsorry, too many hops, this message is looping (#5.4.6)";
    else if (!envelope_.recipients.empty() && queue_) {
        auto queued = queue_->finish(envelope_);
        queue_.reset();
        result = queued ? ok_text(clock_(), *queued) : failure_response_text(queued.error());
    }
    // Every recipient gets its answer, in order; the refused ones their own.
    for (const char r : refusals_) {
        switch (r) {
        case 0:
            out_ += response(result);
            break;
        case 'D':
            out_ += response(refused_domain);
            break;
        case 'M':
            out_ += response(too_many);
            break;
        case 'S':
            out_ += response(too_many_in_connection);
            break;
        default:
            out_ += response(refused_address);
            break;
        }
    }
    reset();
}

void QmtpSession::abort() {
    reset();
    closed_ = true;
}

// QMQP

QmqpSession::QmqpSession(smtp::Connection conn, Clock clock)
    : FramedSession(std::move(conn), std::move(clock)) {}

ServerSession::Step QmqpSession::receive(std::string_view bytes) {
    return pump(parser_, bytes, [this](Event e) {
        switch (e) {
        case Event::message_begin:
            start_queue("QMQP");
            break;
        case Event::message_data:
            if (queue_)
                queue_->write(header_checked(parser_.data()));
            break;
        case Event::message_end:
            if (queue_)
                queue_->write(header_checked_end());
            break;
        case Event::sender:
            address(parser_.address(), parser_.address_length(), true);
            break;
        case Event::recipient:
            address(parser_.address(), parser_.address_length(), false);
            break;
        case Event::end:
            commit_pending_ = true;
            break;
        case Event::error:
            queue_.reset();
            drop(conn_.remote_ip, parser_.error());
            break;
        case Event::more:
            break;
        }
    });
}

void QmqpSession::address(std::string_view address, size_t length, bool is_sender) {
    if (length >= max_address || has_nul(address)) {
        addresses_ok_ = false;
        return;
    }
    if (is_sender)
        envelope_.sender = std::string(address);
    else
        envelope_.recipients.emplace_back(address);
}

void QmqpSession::commit() {
    if (!commit_pending_)
        return;
    commit_pending_ = false;
    std::string result;
    if (queue_start_failure_)
        result = failure_response_text(*queue_start_failure_);
    else if (!addresses_ok_)
        result = "Dsorry, I can't accept addresses like that (#5.1.3)";
    else if (envelope_.recipients.empty())
        result = "Dsorry, the message has no recipients (#5.1.3)";
    else {
        auto queued = queue_->finish(envelope_);
        result = queued ? ok_text(clock_(), *queued) : failure_response_text(queued.error());
    }
    queue_.reset();
    out_ += response(result);
    closed_ = true; // one message per connection
}

void QmqpSession::abort() {
    queue_.reset();
    commit_pending_ = false;
    closed_ = true;
}

} // namespace qm::qmtp
