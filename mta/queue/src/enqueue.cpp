#include "qm/queue/enqueue.hpp"

#include "qm/control.hpp"
#include "qm/date.hpp"
#include "qm/fd.hpp"
#include "qm/journal/records.hpp"
#include "qm/journal/service.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <ctime>
#include <utility>

namespace qm::queue {

std::string received_line(pid_t pid, const std::string& how, std::time_t now) {
    return "Received: (qmail " + std::to_string(pid) + " invoked " + how + "); " + date822(now) +
           "\n";
}

std::string invoked_how() {
    const uid_t uid = ::getuid();
    auto is = [uid](const char* name) {
        const passwd* pw = ::getpwnam(name);
        return pw && pw->pw_uid == uid;
    };
    if (uid != 0 && is("alias"))
        return "by alias";
    if (uid != 0 && is("qmaild"))
        return "from network";
    if (uid != 0 && is("qmails"))
        return "for bounce";
    return "by uid " + std::to_string(uid);
}

namespace {

// pid/ names must differ between writers of one process (a daemon runs many at once).
std::atomic<unsigned long> pid_file_sequence{0};

} // namespace

Result<Durability> durability_from_control() {
    auto v = control::read_line("journal");
    if (!v)
        return fail(v.error());
    if (!*v || **v == "0")
        return Durability::fsync;
    if (**v == "1")
        return Durability::journal;
    // Temporary, as every broken control file: the mail waits for the admin.
    return fail(temp("4.3.5", control::path("journal") + ": not 0 or 1"));
}

std::expected<MessageWriter, QueueExit>
MessageWriter::open(const Layout& layout, const std::string& how, Durability durability) {
    const pid_t pid = ::getpid();
    const std::time_t start = std::time(nullptr);
    MessageWriter w;
    w.layout_ = layout;
    w.owns_files_ = true;
    w.durability_ = durability;
    w.received_ = start;

    // 1. A unique pid/ file tells us our inode number, which names the message.
    std::string pidfn;
    for (int tries = 0; tries < 9 && !w.fd_; ++tries) {
        pidfn = layout.root + "/pid/" + std::to_string(pid) + "." + std::to_string(start) + "." +
                std::to_string(++pid_file_sequence);
        w.fd_.reset(
            ::open(pidfn.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
        if (!w.fd_ && errno != EEXIST)
            break;
    }
    if (!w.fd_)
        return std::unexpected(QueueExit::pid_file_trouble);
    struct stat st {};
    if (::fstat(w.fd_.get(), &st) != 0) {
        ::unlink(pidfn.c_str());
        return std::unexpected(QueueExit::pid_file_trouble);
    }
    w.id_ = st.st_ino;

    // 2. mess/S/N has inode N by construction: link, then drop the pid/ name.
    const std::string mess = layout.mess(w.id_);
    if (::link(pidfn.c_str(), mess.c_str()) != 0) {
        ::unlink(pidfn.c_str());
        return std::unexpected(QueueExit::mess_file_trouble);
    }
    w.mess_ = mess;
    if (::unlink(pidfn.c_str()) != 0)
        return std::unexpected(QueueExit::pid_file_trouble);

    // 3. Our Received line heads the message (a rebuilt one has it already).
    if (durability != Durability::rebuilt)
        w.write(received_line(pid, how, start));
    if (w.write_error_ != QueueExit::ok)
        return std::unexpected(w.write_error_);
    return w;
}

void MessageWriter::write(std::string_view bytes) {
    if (write_error_ == QueueExit::ok && !bytes.empty() && !write_all(fd_.get(), bytes))
        write_error_ = QueueExit::write_error;
}

QueueExit MessageWriter::finish(const Envelope& env, std::uint64_t journal_id) {
    if (write_error_ != QueueExit::ok)
        return write_error_;
    if (env.sender.size() > max_envelope_address)
        return QueueExit::address_too_long;
    for (const auto& r : env.recipients)
        if (r.size() > max_envelope_address)
            return QueueExit::address_too_long;
    std::string journal_field;
    if (durability_ == Durability::journal) {
        auto id = journal_message(env);
        if (!id)
            return id.error();
        journal_field = "j" + std::to_string(*id) + '\0';
    } else if (durability_ == Durability::rebuilt) {
        journal_field = "j" + std::to_string(journal_id) + '\0';
    }
    // With the journal, the record qmail-journald has flushed is the message's durable
    // copy: the queue files need no flush of their own, and qmail-journald puts back at
    // its next start whatever a crash takes from them (queue/recover.hpp).
    const bool flush = durability_ == Durability::fsync;
    // The message is on disk before the envelope that points at it exists: its data, and
    // its name, which is an entry of mess/S that fsync of the file does not cover (ext4
    // commits it too, POSIX does not): without it a crash may keep todo/N and lose
    // mess/S/N, and qmail-send leaves such a todo/N alone for ever.
    if (flush && (::fsync(fd_.get()) != 0 || !fsync_dir(dirname_of(mess_))))
        return QueueExit::write_error;
    fd_.reset();

    // 4. The envelope, checked above as qmail-queue checks it, then intd/N, fsynced.
    const std::string intd = layout_.intd(id_);
    UniqueFd intd_fd(
        ::open(intd.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
    if (!intd_fd)
        return QueueExit::intd_file_trouble;
    intd_ = intd;
    const std::string body = envelope_bytes(env) + journal_field;
    if (!write_all(intd_fd.get(), body))
        return QueueExit::write_error;
    if (flush && ::fsync(intd_fd.get()) != 0)
        return QueueExit::write_error;
    intd_fd.reset();

    // 5. Commit point: once todo/N exists qmail-send owns the message. fsync the todo
    //    directory so the link itself survives a crash before we report success.
    if (::link(intd.c_str(), layout_.todo(id_).c_str()) != 0)
        return QueueExit::todo_file_trouble;
    committed_ = true;
    if (flush && !fsync_dir(layout_.dir("todo"))) {
        // The link exists but may not be durable; qmail-send may still find it, so do not
        // clean up, but report a temporary failure: the sender will retry (a duplicate at
        // worst, never a loss).
        return QueueExit::write_error;
    }
    pull_trigger(layout_);
    return QueueExit::ok;
}

std::string MessageWriter::envelope_bytes(const Envelope& env) const {
    std::string body;
    body += 'u';
    body += std::to_string(::getuid());
    body += '\0';
    body += 'p';
    body += std::to_string(::getpid());
    body += '\0';
    body += 'F';
    body += env.sender;
    body += '\0';
    for (const auto& r : env.recipients) {
        body += 'T';
        body += r;
        body += '\0';
    }
    return body;
}

std::expected<std::uint64_t, QueueExit> MessageWriter::journal_message(const Envelope& env) {
    // The message as written, read back (the page cache holds it), compressed, and
    // handed to qmail-journald, which answers once it is on stable storage.
    struct stat st {};
    if (::fstat(fd_.get(), &st) != 0)
        return std::unexpected(QueueExit::read_error);
    journal::MessageRecord m;
    m.queue_id = id_;
    m.received = static_cast<std::uint64_t>(received_);
    m.envelope = envelope_bytes(env);
    m.body.resize(static_cast<std::size_t>(st.st_size));
    std::size_t got = 0;
    while (got < m.body.size()) {
        const ssize_t n =
            ::pread(fd_.get(), m.body.data() + got, m.body.size() - got, static_cast<off_t>(got));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return std::unexpected(QueueExit::read_error);
        got += static_cast<std::size_t>(n);
    }
    auto payload = journal::encode_message(m);
    if (!payload)
        return std::unexpected(QueueExit::write_error);
    auto id = journal::commit_pooled(journal::socket_path(layout_.root),
                                     journal::RecordType::message, *payload);
    if (!id)
        return std::unexpected(QueueExit::write_error);
    return *id;
}

MessageWriter::MessageWriter(MessageWriter&& o) noexcept
    : layout_(std::move(o.layout_))
    , owns_files_(std::exchange(o.owns_files_, false))
    , id_(o.id_)
    , fd_(std::move(o.fd_))
    , mess_(std::move(o.mess_))
    , intd_(std::move(o.intd_))
    , write_error_(o.write_error_)
    , committed_(o.committed_)
    , durability_(o.durability_)
    , received_(o.received_) {}

MessageWriter::~MessageWriter() {
    if (owns_files_ && !committed_)
        remove();
}

namespace {

// qmail truncates before unlinking so a half-written file never lingers in use. Through
// a descriptor opened without following a symlink: truncate(2) on the name would follow
// one to whatever file qmailq can write.
void truncate_and_unlink(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    struct stat st {};
    if (fd && ::fstat(fd.get(), &st) == 0 && S_ISREG(st.st_mode))
        (void)!::ftruncate(fd.get(), 0);
    ::unlink(path.c_str());
}

} // namespace

void MessageWriter::remove() {
    if (!intd_.empty())
        truncate_and_unlink(intd_);
    if (!mess_.empty())
        truncate_and_unlink(mess_);
}

QueueExit enqueue(const Layout& layout, const EnqueueRequest& req) {
    auto writer = MessageWriter::open(layout, req.received_how, req.durability);
    if (!writer)
        return writer.error();
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(req.message_fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return QueueExit::read_error;
        if (n == 0)
            break;
        writer->write(std::string_view(buf, static_cast<size_t>(n)));
    }
    // The envelope comes after the whole message (qmail-queue(8)).
    auto raw = read_all(req.envelope_fd);
    if (!raw)
        return QueueExit::read_error;
    auto env = decode_envelope(*raw);
    if (!env)
        return env.error().code;
    return writer->finish(*env);
}

} // namespace qm::queue
