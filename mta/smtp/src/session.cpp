#include "qm/smtp/session.hpp"

#include "qm/fd.hpp"
#include "qm/process.hpp"
#include "qm/smtp/checking_sink.hpp"
#include "qm/smtp/command.hpp"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <optional>
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

// RFC 4648 base64 as AUTH uses it; nullopt for anything malformed.
std::optional<std::string> decode_base64(std::string_view in) {
    if (in.size() % 4 != 0)
        return std::nullopt;
    std::string out(in.size() / 4 * 3, '\0');
    if (in.empty())
        return out;
    const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(in.data()),
                                  static_cast<int>(in.size()));
    if (n < 0)
        return std::nullopt;
    size_t padding = 0;
    for (size_t i = in.size(); i > 0 && in[i - 1] == '='; --i)
        ++padding;
    if (padding > 2)
        return std::nullopt;
    out.resize(static_cast<size_t>(n) - padding);
    return out;
}

void wipe(std::string& secret) {
    OPENSSL_cleanse(secret.data(), secret.size());
    secret.clear();
}

std::string failure_reply(const Failure& f) {
    return std::string(f.permanent() ? "554 " : "451 ") + (f.dsn.empty() ? "" : f.dsn + " ") +
           f.text;
}

} // namespace

Session::Session(std::shared_ptr<const Controls> controls, Connection conn, Features features,
                 std::function<std::time_t()> clock)
    : controls_(std::move(controls))
    , conn_(std::move(conn))
    , features_(std::move(features))
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
    sink_.reset(); // a message without its envelope is not queued
    chunk_.clear();
    commit_pending_ = false;
}

Session::Step Session::receive(std::string_view bytes) {
    if (closed_)
        return Step::close;
    in_.append(bytes);
    Step step = Step::need_input;
    while (!closed_) {
        if (commit_pending_ || check_pending_) {
            step = Step::blocking;
            break;
        }
        if (starttls_pending_) {
            step = Step::starttls;
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
        if (auth_step_ != AuthStep::none)
            auth_response(line);
        else
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
            sink_.reset(); // too big: stop writing it to disk, keep reading to the end
        if (sink_)
            sink_->write(chunk_);
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

void Session::run_blocking() {
    if (commit_pending_)
        commit();
    else if (check_pending_)
        check_password();
}

void Session::commit() {
    if (!sink_ || !envelope_) {
        commit_pending_ = false;
        return;
    }
    commit_pending_ = false;
    auto queued = sink_->finish(*envelope_);
    sink_.reset();
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
        quit_answered_ = true;
        break;
    case Verb::starttls:
        starttls(cmd.argument);
        break;
    case Verb::auth:
        auth(cmd.argument);
        break;
    case Verb::expn:
    case Verb::bdat:
    case Verb::unknown:
        bad_command("502 5.5.1 unimplemented");
        break;
    }
}

void Session::helo(std::string_view arg, bool extended) {
    reset_transaction();
    helo_ = std::string(arg);
    helo_given_ = true;
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
    if (features_.tls_available && !tls_active_)
        reply("250-STARTTLS");
    if (features_.submission && tls_active_ && !features_.checkpassword.empty())
        reply("250-AUTH PLAIN LOGIN");
    reply("250 ENHANCEDSTATUSCODES");
}

void Session::mail(std::string_view arg) {
    if (envelope_) {
        bad_command("503 5.5.1 nested MAIL command");
        return;
    }
    if (features_.submission && auth_user_.empty()) {
        bad_command(tls_active_ || !features_.tls_available
                        ? "530 5.7.0 authentication required"
                        : "530 5.7.0 must issue a STARTTLS command first");
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
    } else if (!auth_user_.empty()) {
        // An authenticated submission client may send anywhere.
    } else if (!recipient_allowed(*controls_, address)) {
        bad_command("553 5.7.1 sorry, that domain isn't in my list of allowed rcpthosts");
        return;
    }
    // Not counted as errors: a list server meets these limits in the normal course and
    // sends the rest in its next transaction or connection.
    const RecipientLimits limits = recipient_limits(*controls_, conn_);
    if (envelope_->recipients.size() >= limits.per_message) {
        reply("452 4.5.3 Too many recipients");
        return;
    }
    if (session_recipients_ >= limits.per_session) {
        reply("452 4.5.3 Too many recipients in this connection, send the rest in another");
        return;
    }
    ++session_recipients_;
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
    auto sink = features_.sink ? features_.sink(conn_) : spawned_qmail_queue()(conn_);
    if (!sink) {
        reply("451 4.3.0 qqt failure");
        return;
    }
    sink_ = std::move(*sink);
    sink_->write(received_line(conn_, helo_, protocol(), clock_()));
    if (controls_->inbound_checks) {
        // The checks need the whole message before the field they write can go above it.
        mailauth::Arrival arrival;
        boost::system::error_code ec;
        arrival.client = boost::asio::ip::make_address(conn_.remote_ip, ec);
        arrival.helo = helo_given_ ? helo_ : std::string();
        arrival.sender = envelope_->sender;
        arrival.trusted = conn_.relay_client.has_value() || !auth_user_.empty();
        sink_ = checking_sink(std::move(sink_), controls_->inbound_checks, std::move(arrival));
    }
    decoder_.emplace();
    chunk_.clear();
    in_data_ = true;
    reply("354 go ahead");
}

} // namespace qm::smtp

namespace qm::smtp {

std::string Session::protocol() const {
    // RFC 3848's names for TLS and authentication.
    if (!tls_active_ && auth_user_.empty())
        return extended_ ? "ESMTP" : "SMTP";
    return std::string("ESMTP") + (tls_active_ ? "S" : "") + (auth_user_.empty() ? "" : "A");
}

void Session::starttls(std::string_view arg) {
    if (!features_.tls_available) {
        bad_command("502 5.5.1 unimplemented");
        return;
    }
    if (tls_active_) {
        bad_command("503 5.5.1 TLS is already active");
        return;
    }
    if (!arg.empty()) {
        bad_command("501 5.5.4 STARTTLS takes no argument");
        return;
    }
    reply("220 2.0.0 ready to start TLS");
    starttls_pending_ = true;
    // Whatever was pipelined after STARTTLS came in the clear: never obey it.
    in_pos_ = in_.size();
}

void Session::tls_started() {
    starttls_pending_ = false;
    tls_active_ = true;
    reset_transaction();
    helo_ = conn_.remote_host;
    helo_given_ = false;
    extended_ = false;
}

void Session::auth(std::string_view arg) {
    if (!features_.submission || features_.checkpassword.empty()) {
        bad_command("502 5.5.1 unimplemented");
        return;
    }
    if (!tls_active_) {
        bad_command("538 5.7.11 encryption required for requested authentication mechanism");
        return;
    }
    if (!auth_user_.empty()) {
        bad_command("503 5.5.1 already authenticated");
        return;
    }
    if (envelope_) {
        bad_command("503 5.5.1 AUTH is not permitted during a mail transaction");
        return;
    }
    const auto space = arg.find(' ');
    const std::string_view name = arg.substr(0, space);
    std::string_view initial = space == std::string_view::npos ? "" : arg.substr(space + 1);
    while (initial.starts_with(' '))
        initial.remove_prefix(1);
    auto is = [&](std::string_view want) {
        if (name.size() != want.size())
            return false;
        for (size_t i = 0; i < want.size(); ++i)
            if (std::toupper(static_cast<unsigned char>(name[i])) != want[i])
                return false;
        return true;
    };
    if (is("PLAIN")) {
        if (initial.empty()) {
            reply("334 ");
            auth_step_ = AuthStep::plain_response;
        } else {
            check_plain(initial == "=" ? std::string_view() : initial);
        }
    } else if (is("LOGIN")) {
        if (initial.empty()) {
            reply("334 VXNlcm5hbWU6"); // "Username:"
            auth_step_ = AuthStep::login_user;
            return;
        }
        auto user = decode_base64(initial);
        if (!user) {
            bad_command("501 5.5.2 malformed base64 in AUTH LOGIN");
            return;
        }
        credentials_ = std::pair{std::move(*user), std::string()};
        reply("334 UGFzc3dvcmQ6"); // "Password:"
        auth_step_ = AuthStep::login_password;
    } else {
        bad_command("504 5.5.4 unrecognized authentication type");
    }
}

void Session::auth_response(std::string_view line) {
    const AuthStep step = std::exchange(auth_step_, AuthStep::none);
    if (line == "*") {
        credentials_.reset();
        bad_command("501 5.0.0 authentication cancelled");
        return;
    }
    switch (step) {
    case AuthStep::plain_response:
        check_plain(line);
        return;
    case AuthStep::login_user:
        if (auto user = decode_base64(line)) {
            credentials_ = std::pair{std::move(*user), std::string()};
            reply("334 UGFzc3dvcmQ6"); // "Password:"
            auth_step_ = AuthStep::login_password;
        } else {
            bad_command("501 5.5.2 malformed base64 in AUTH LOGIN");
        }
        return;
    case AuthStep::login_password:
        if (auto password = decode_base64(line); password && credentials_) {
            credentials_->second = std::move(*password);
            check_pending_ = true;
        } else {
            credentials_.reset();
            bad_command("501 5.5.2 malformed base64 in AUTH LOGIN");
        }
        return;
    case AuthStep::none:
        return;
    }
}

void Session::check_plain(std::string_view base64) {
    // authzid NUL authcid NUL password (RFC 4616); an authzid must name the same user.
    auto decoded = decode_base64(base64);
    const auto first = decoded ? decoded->find('\0') : std::string::npos;
    const auto second = first == std::string::npos ? first : decoded->find('\0', first + 1);
    if (second == std::string::npos) {
        if (decoded)
            wipe(*decoded);
        bad_command("501 5.5.2 malformed AUTH PLAIN response");
        return;
    }
    std::string authzid = decoded->substr(0, first);
    std::string user = decoded->substr(first + 1, second - first - 1);
    std::string password = decoded->substr(second + 1);
    wipe(*decoded);
    if ((!authzid.empty() && authzid != user) || user.empty()) {
        wipe(password);
        bad_command("535 5.7.8 authentication failed");
        return;
    }
    credentials_ = std::pair{std::move(user), std::move(password)};
    check_pending_ = true;
}

void Session::check_password() {
    check_pending_ = false;
    if (!credentials_)
        return;
    auto [user, password] = std::move(*credentials_);
    credentials_.reset();
    // The checkpassword interface: "user\0password\0timestamp\0" on fd 3, exit 0 when
    // the password is right (then it runs its argument, here /bin/true), 1 when wrong.
    auto checked = checkpassword_request(user, password, std::to_string(clock_()));
    wipe(password);
    if (!checked) { // a NUL in a name or a password: a wrong password, not a new field
        bad_command("535 5.7.8 authentication failed");
        return;
    }
    std::string request = std::move(*checked);
    // A socket pair rather than a pipe: send() with MSG_NOSIGNAL cannot raise SIGPIPE
    // when the program exits without reading.
    int fds[2];
    std::optional<int> verdict; // checkpassword's exit code
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0) {
        UniqueFd read_end(fds[0]), write_end(fds[1]);
        Spawn checker;
        checker.argv = features_.checkpassword;
        checker.argv.emplace_back("/bin/true");
        checker.fds = {{read_end.get(), 3}};
        auto pid = spawn(checker);
        read_end.reset();
        if (pid) {
            for (size_t done = 0; done < request.size();) {
                const ssize_t n = ::send(write_end.get(), request.data() + done,
                                         request.size() - done, MSG_NOSIGNAL);
                if (n < 0 && errno == EINTR)
                    continue;
                if (n <= 0)
                    break;
                done += static_cast<size_t>(n);
            }
            write_end.reset();
            if (auto waited = wait_for(*pid))
                verdict = exit_code_of(*waited);
        }
    }
    wipe(request);
    if (verdict == 0) {
        auth_user_ = std::move(user);
        reply("235 2.7.0 authentication successful");
    } else if (verdict == 1) {
        bad_command("535 5.7.8 authentication failed");
    } else {
        reply("454 4.7.0 temporary authentication failure");
    }
}

} // namespace qm::smtp
