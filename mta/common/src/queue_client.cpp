#include "qm/queue_client.hpp"

#include "qm/fd.hpp"
#include "qm/home.hpp"
#include "qm/process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>

extern char** environ;

namespace qm {

namespace {

// Ignores SIGPIPE for the lifetime of the object so that a qmail-queue that exits early
// gives us EPIPE (and its exit status) instead of killing us.
struct SigpipeIgnored {
    struct sigaction old {};
    SigpipeIgnored() {
        struct sigaction sa {};
        sa.sa_handler = SIG_IGN;
        ::sigaction(SIGPIPE, &sa, &old);
    }
    ~SigpipeIgnored() { ::sigaction(SIGPIPE, &old, nullptr); }
};

} // namespace

namespace {

// The process environment with the given settings replacing or adding variables.
std::vector<std::string> merged_environment(const QueueStream::Settings& env) {
    std::vector<std::string> out;
    for (char** e = environ; *e != nullptr; ++e) {
        const std::string_view entry(*e);
        const auto name = entry.substr(0, entry.find('='));
        bool overridden = false;
        for (const auto& [k, v] : env)
            overridden = overridden || k == name;
        if (!overridden)
            out.emplace_back(entry);
    }
    for (const auto& [k, v] : env)
        out.push_back(k + "=" + v);
    return out;
}

} // namespace

Result<QueueStream> QueueStream::start(const Settings& env) {
    int mpipe[2], epipe[2];
    if (::pipe2(mpipe, O_CLOEXEC) != 0)
        return fail(temp("4.3.0", "unable to make pipe for qq"));
    if (::pipe2(epipe, O_CLOEXEC) != 0) {
        ::close(mpipe[0]);
        ::close(mpipe[1]);
        return fail(temp("4.3.0", "unable to make pipe for qq"));
    }
    UniqueFd mread(mpipe[0]), mwrite(mpipe[1]), eread(epipe[0]), ewrite(epipe[1]);

    std::string prog = qmail_queue_program();
    for (const auto& [k, v] : env)
        if (k == "QMAILQUEUE" && !v.empty())
            prog = v;
    Spawn queue;
    queue.argv = {prog};
    if (!env.empty())
        queue.env = merged_environment(env);
    queue.fds = {{mread.get(), 0}, {eread.get(), 1}};
    auto pid = spawn(queue);
    if (!pid)
        return fail(queue_exit_failure(120));
    QueueStream qs;
    qs.pid_ = *pid;
    qs.message_fd_ = mwrite.release();
    qs.envelope_fd_ = ewrite.release();
    return qs;
}

QueueStream::QueueStream(QueueStream&& o) noexcept
    : pid_(std::exchange(o.pid_, -1))
    , message_fd_(std::exchange(o.message_fd_, -1))
    , envelope_fd_(std::exchange(o.envelope_fd_, -1))
    , write_ok_(o.write_ok_) {}

QueueStream& QueueStream::operator=(QueueStream&& o) noexcept {
    if (this != &o) {
        cancel();
        pid_ = std::exchange(o.pid_, -1);
        message_fd_ = std::exchange(o.message_fd_, -1);
        envelope_fd_ = std::exchange(o.envelope_fd_, -1);
        write_ok_ = o.write_ok_;
    }
    return *this;
}

QueueStream::~QueueStream() {
    cancel();
}

void QueueStream::write(std::string_view bytes) {
    if (!write_ok_ || message_fd_ < 0 || bytes.empty())
        return;
    SigpipeIgnored guard;
    write_ok_ = write_all(message_fd_, bytes).has_value();
}

namespace {

// Waits for qmail-queue and translates its status.
Result<Queued> reap(pid_t pid, bool write_ok) {
    auto status = wait_for(pid);
    if (!status)
        return fail(temp("4.3.0", "qq waitpid surprise"));
    auto code = exit_code_of(*status);
    if (!code)
        return fail(temp("4.3.0", "qq crashed"));
    if (*code != 0)
        return fail(queue_exit_failure(*code));
    if (!write_ok)
        return fail(temp("4.3.0", "qq read error"));
    return Queued{pid};
}

} // namespace

Result<Queued> QueueStream::finish(const Envelope& env) {
    // qmail-queue reads the whole message before the envelope, so writing them in that
    // order cannot deadlock. A write error just means qq gave up; its status says why.
    ::close(std::exchange(message_fd_, -1));
    if (write_ok_) {
        SigpipeIgnored guard;
        write_ok_ = write_all(envelope_fd_, encode_envelope(env)).has_value();
    }
    ::close(std::exchange(envelope_fd_, -1));
    return reap(std::exchange(pid_, -1), write_ok_);
}

void QueueStream::cancel() {
    if (message_fd_ >= 0)
        ::close(std::exchange(message_fd_, -1));
    if (envelope_fd_ >= 0)
        ::close(std::exchange(envelope_fd_, -1));
    if (pid_ > 0)
        (void)reap(std::exchange(pid_, -1), false);
}

namespace {

Result<Queued> run_queue(std::string_view prefix, int message_fd, std::string_view message,
                         const Envelope& env) {
    auto qs = QueueStream::start();
    if (!qs)
        return fail(qs.error());
    qs->write(prefix);
    if (message_fd < 0) {
        qs->write(message);
    } else {
        char buf[65536];
        for (;;) {
            ssize_t n = ::read(message_fd, buf, sizeof buf);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0) {
                // Without an envelope qmail-queue queues nothing; the read error is ours.
                auto err = from_errno(errno, "read message");
                qs->cancel();
                return fail(err);
            }
            if (n == 0)
                break;
            qs->write(std::string_view(buf, static_cast<size_t>(n)));
        }
    }
    return qs->finish(env);
}

} // namespace

Result<Queued> queue_message(std::string_view message, const Envelope& env) {
    return run_queue({}, -1, message, env);
}

Result<Queued> queue_message_fd(std::string_view prefix, int message_fd, const Envelope& env) {
    return run_queue(prefix, message_fd, {}, env);
}

} // namespace qm
