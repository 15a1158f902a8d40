#include "qm/smtp/session.hpp"

#include "qm/smtp/command.hpp"

#include <string>
#include <utility>

namespace qm::smtp {

namespace {

// Longer command lines are answered with 500 and skipped (RFC 5321 allows 512 octets;
// extensions make it longer, never this long).
constexpr size_t max_command_line = 4096;
// qmail's MAXHOPS: this many Received/Delivered-To header lines means a loop.
constexpr unsigned max_hops = 100;
// Bytes collected before they are handed to qmail-queue.
constexpr size_t queue_chunk = 64 * 1024;
// After this many refused commands the client is probably not a mail client.
constexpr unsigned max_errors = 20;
// Keep at most this much processed input before compacting the buffer.
constexpr size_t compact_after = 64 * 1024;

std::string failure_reply(const Failure& f) {
    return std::string(f.permanent() ? "554 " : "451 ") + (f.dsn.empty() ? "" : f.dsn + " ") +
           f.text;
}

} // namespace

Session::Session(std::shared_ptr<const Controls> controls, Connection conn,
                 std::function<std::time_t()> clock)
    : controls_(std::move(controls))
    , conn_(std::move(conn))
    , clock_(std::move(clock))
    , helo_(conn_.remote_host) {}

std::string Session::greeting() const {
    return "220 " + controls_->greeting + " ESMTP\r\n";
}

std::string Session::timeout_reply() {
    return "451 4.4.2 timeout\r\n";
}

void Session::reply(std::string_view text) {
    out_ += text;
    out_ += "\r\n";
}

void Session::bad_command(std::string_view text) {
    reply(text);
    if (++errors_ >= max_errors) {
        reply("421 4.7.0 too many errors, closing the connection");
        closed_ = true;
    }
}

std::uint64_t Session::databytes() const {
    return conn_.databytes.value_or(controls_->databytes);
}

void Session::reset_transaction() {
    envelope_.reset();
    sender_is_bad_ = false;
    in_data_ = false;
    decoder_.reset();
    queue_.reset(); // a started qmail-queue without an envelope queues nothing
    chunk_.clear();
    commit_pending_ = false;
}

Session::Step Session::receive(std::string_view bytes) {
    if (closed_)
        return Step::close;
    in_.append(bytes);
    Step step = Step::need_input;
    while (!closed_) {
        if (commit_pending_) {
            step = Step::commit;
            break;
        }
        if (in_data_) {
            if (!receive_data())
                break; // the rest of the message has not arrived yet
            continue;
        }
        const auto newline = in_.find('\n', in_pos_);
        if (newline == std::string::npos) {
            if (in_.size() - in_pos_ > max_command_line) {
                discarding_long_line_ = true;
                in_pos_ = in_.size();
            }
            break;
        }
        std::string_view line(in_.data() + in_pos_, newline - in_pos_);
        in_pos_ = newline + 1;
        if (std::exchange(discarding_long_line_, false) || line.size() > max_command_line) {
            bad_command("500 5.5.2 line too long");
            continue;
        }
        if (line.ends_with('\r'))
            line.remove_suffix(1);
        handle_line(line);
    }
    if (in_pos_ == in_.size() || in_pos_ > compact_after) {
        in_.erase(0, in_pos_);
        in_pos_ = 0;
    }
    if (closed_)
        return Step::close;
    return step;
}

bool Session::receive_data() {
    size_t used = 0;
    const auto outcome = decoder_->feed(std::string_view(in_).substr(in_pos_), chunk_, &used);
    in_pos_ += used;
    if (chunk_.size() >= queue_chunk || outcome != DataDecoder::Outcome::more) {
        const std::uint64_t limit = databytes();
        if (limit != 0 && decoder_->stored_bytes() > limit)
            queue_.reset(); // too big: stop writing it to disk, keep reading to the end
        if (queue_)
            queue_->write(chunk_);
        chunk_.clear();
    }
    switch (outcome) {
    case DataDecoder::Outcome::more:
        return false;
    case DataDecoder::Outcome::bare_lf:
        reset_transaction();
        reply("451 4.5.0 bare LF in the message: lines must end in CRLF "
              "(https://cr.yp.to/docs/smtplf.html)");
        closed_ = true;
        return true;
    case DataDecoder::Outcome::end:
        break;
    }
    in_data_ = false;
    const std::uint64_t limit = databytes();
    if (limit != 0 && decoder_->stored_bytes() > limit) {
        reset_transaction();
        reply("552 5.3.4 sorry, that message size exceeds my databytes limit");
    } else if (decoder_->hops() >= max_hops) {
        reset_transaction();
        reply("554 5.4.6 too many hops, this message is looping");
    } else {
        commit_pending_ = true;
    }
    return true;
}

void Session::commit() {
    if (!commit_pending_ || !queue_ || !envelope_)
        return;
    commit_pending_ = false;
    auto queued = queue_->finish(*envelope_);
    queue_.reset();
    if (queued)
        reply("250 2.0.0 ok " + std::to_string(clock_()) + " qp " + std::to_string(queued->qp));
    else
        reply(failure_reply(queued.error()));
    reset_transaction();
}

void Session::abort() {
    reset_transaction();
    closed_ = true;
}

void Session::handle_line(std::string_view line) {
    if (line.find('\0') != std::string_view::npos) {
        bad_command("501 5.5.2 NUL byte in command");
        return;
    }
    const Command cmd = parse_command(line);
    switch (cmd.verb) {
    case Verb::helo:
        helo(cmd.argument, false);
        break;
    case Verb::ehlo:
        helo(cmd.argument, true);
        break;
    case Verb::mail:
        mail(cmd.argument);
        break;
    case Verb::rcpt:
        rcpt(cmd.argument);
        break;
    case Verb::data:
        data();
        break;
    case Verb::rset:
        reset_transaction();
        reply("250 2.0.0 flushed");
        break;
    case Verb::noop:
        reply("250 2.0.0 ok");
        break;
    case Verb::vrfy:
        reply("252 2.5.2 send some mail, i'll try my best");
        break;
    case Verb::help:
        reply("214 2.0.0 this is qmail-smtpd of qmplatform; see qmail-smtpd(8)");
        break;
    case Verb::quit:
        reply("221 2.0.0 " + controls_->greeting);
        closed_ = true;
        break;
    case Verb::expn:
    case Verb::starttls:
    case Verb::auth:
    case Verb::bdat:
    case Verb::unknown:
        bad_command("502 5.5.1 unimplemented");
        break;
    }
}

void Session::helo(std::string_view arg, bool extended) {
    reset_transaction();
    helo_ = std::string(arg);
    extended_ = extended;
    if (!extended) {
        reply("250 " + controls_->greeting);
        return;
    }
    const std::uint64_t limit = databytes();
    reply("250-" + controls_->greeting);
    reply("250-PIPELINING");
    reply("250-8BITMIME");
    reply(limit ? "250-SIZE " + std::to_string(limit) : std::string("250-SIZE"));
    reply("250 ENHANCEDSTATUSCODES");
}

void Session::mail(std::string_view arg) {
    if (envelope_) {
        bad_command("503 5.5.1 nested MAIL command");
        return;
    }
    auto args = parse_mail_arguments(arg, "FROM");
    if (!args) {
        bad_command(std::to_string(args.error().code) + " " + args.error().dsn + " " +
                    args.error().text);
        return;
    }
    const std::uint64_t limit = databytes();
    if (args->size && limit != 0 && *args->size > limit) {
        reply("552 5.3.4 sorry, that message size exceeds my databytes limit");
        return;
    }
    sender_is_bad_ = sender_refused(*controls_, args->address);
    envelope_ = Envelope{std::move(args->address), {}};
    reply("250 2.1.0 ok");
}

void Session::rcpt(std::string_view arg) {
    if (!envelope_) {
        bad_command("503 5.5.1 MAIL first");
        return;
    }
    auto args = parse_mail_arguments(arg, "TO");
    if (!args) {
        bad_command(std::to_string(args.error().code) + " " + args.error().dsn + " " +
                    args.error().text);
        return;
    }
    if (sender_is_bad_) {
        bad_command("553 5.7.1 sorry, your envelope sender is in my badmailfrom list");
        return;
    }
    if (args->address.empty()) {
        bad_command("553 5.1.3 a recipient address cannot be empty");
        return;
    }
    std::string address = rewrite_local_ip_literal(*controls_, std::move(args->address));
    if (conn_.relay_client) {
        address += *conn_.relay_client;
    } else if (!recipient_allowed(*controls_, address)) {
        bad_command("553 5.7.1 sorry, that domain isn't in my list of allowed rcpthosts");
        return;
    }
    envelope_->recipients.push_back(std::move(address));
    reply("250 2.1.5 ok");
}

void Session::data() {
    if (!envelope_) {
        bad_command("503 5.5.1 MAIL first");
        return;
    }
    if (envelope_->recipients.empty()) {
        bad_command("503 5.5.1 RCPT first");
        return;
    }
    auto qs = QueueStream::start();
    if (!qs) {
        reply("451 4.3.0 qqt failure");
        return;
    }
    queue_ = std::move(*qs);
    queue_->write(received_line(conn_, helo_, extended_ ? "ESMTP" : "SMTP", clock_()));
    decoder_.emplace();
    chunk_.clear();
    in_data_ = true;
    reply("354 go ahead");
}

} // namespace qm::smtp
