// Test helpers: temporary directories, running the real programs with a given stdin,
// environment and extra fds, and a temporary mail root made by qmail-install.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace qmtest {

// Path of a built program. The programs are staged (hard links, else copies) into a
// world-readable directory under /tmp so that an unprivileged test user can run them
// wherever the build tree lives.
[[nodiscard]] std::string bin(const std::string& name);

// When the tests run as root, normal-user-mode scenarios run their programs as this
// unprivileged user (qmtest, created by script/bootstrap; else nobody). nullopt when the
// tests already run unprivileged.
struct TestUser {
    unsigned uid, gid;
};
[[nodiscard]] std::optional<TestUser> unprivileged_test_user();
// The uid of a passwd user (root mode's role users); the test fails without one.
[[nodiscard]] uid_t uid_of(const char* name);
// The "Uid:" line of /proc/PID/status: real, effective, saved and fs uids ("" once the
// process is gone).
[[nodiscard]] std::string proc_uid_line(int pid);

// The value of a message's first header field called name (as written, e.g. "Subject"),
// its first line only; "" when there is none.
[[nodiscard]] std::string header_field(const std::string& msg, const std::string& name);

class TempDir {
public:
    TempDir();
    // In parent instead of the system's temporary directory.
    explicit TempDir(const std::string& parent);
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    [[nodiscard]] const std::string& path() const { return path_; }
    [[nodiscard]] std::string operator/(const std::string& rel) const { return path_ + "/" + rel; }

private:
    std::string path_;
};

struct RunResult {
    int status = -1;      // raw wait status
    int exit_code = -1;   // WEXITSTATUS, or -1 if killed by a signal
    std::string out, err; // stdout, stderr
};

struct RunOptions {
    std::string stdin_data;
    // fd 1 gets this data as a readable pipe instead of capturing stdout (qmail-queue's
    // envelope channel). When set, out stays empty.
    std::optional<std::string> fd1_input;
    std::map<std::string, std::string> env; // added to / overriding the parent's
    std::vector<std::string> unset_env;
    std::string cwd;
    std::optional<TestUser> as_user; // drop to this uid/gid in the child
    // Join this process group in the child (a Daemon's pid): killing the Daemon's group
    // then kills the child too, at the same moment. The child exits 126 if it cannot.
    int process_group = 0;
};

RunResult run(const std::vector<std::string>& argv, const RunOptions& opts = {});

// Reads a whole file; throws if it cannot.
[[nodiscard]] std::string slurp(const std::string& path);
void spit(const std::string& path, const std::string& data, unsigned mode = 0644);
// Regular files in a directory (names only, sorted).
[[nodiscard]] std::vector<std::string> list_dir(const std::string& dir);
// Messages in a queue that qmail-send has taken from todo/ and not yet removed: the files of
// queue/info/0 .. queue/info/22 under home.
[[nodiscard]] size_t preprocessed_messages(const std::string& home);
// How many times needle occurs in haystack (overlaps counted).
[[nodiscard]] inline size_t count_of(const std::string& haystack, const std::string& needle) {
    size_t n = 0;
    for (size_t p = haystack.find(needle); p != std::string::npos; p = haystack.find(needle, p + 1))
        ++n;
    return n;
}

// The messages mutt finds in a folder (mbox or maildir), as mutt copies them out: it tags
// them all and copies them into a scratch maildir, under script(1) because mutt insists on
// a terminal. HOME is scratch with its ~/Mail already there: without it mutt's first start
// on a machine asks "~/Mail does not exist. Create it?", and that prompt eats the pushed
// keys. Sorted by content.
[[nodiscard]] std::vector<std::string> mutt_read(const std::string& folder,
                                                 const std::string& scratch);

// Ends a test that cannot run here (not root, no mount namespaces): under CTest, which
// sets QM_SKIP_RETURN_CODE (tests/CMakeLists.txt), the process exits with that code and
// CTest reports the test as skipped; run by hand, the test passes with a warning.
// Use as: if (::geteuid() != 0) return qmtest::skip("not root: ...");
void skip(const std::string& why);

// Writes a fresh self-signed certificate for common_name and its private key into one
// PEM file (mode 0600), as qmail-smtpd's control/servercert.pem and Postfix's
// smtpd_tls_cert_file both take it.
void self_signed_pem(const std::string& path, const std::string& common_name);

// A loopback TCP port that was free a moment ago.
// A TCP port free on ip (IPv4 or IPv6 loopback) a moment ago.
[[nodiscard]] int free_port(const std::string& ip = "127.0.0.1");

// A message in a mail root's queue as qmail-queue left it (todo/ not yet preprocessed).
struct QueuedMessage {
    std::string message; // mess/S/N
    std::string sender;
    std::vector<std::string> recipients;
};
[[nodiscard]] std::vector<QueuedMessage> queued_messages(const std::string& home);

// A blocking client on one loopback connection, for the daemons' scenarios.
class LoopbackClient {
public:
    explicit LoopbackClient(int port);
    // Connects to 127.0.0.1:port from the loopback address from (any of 127/8 on Linux),
    // to look like another client to per-address limits.
    LoopbackClient(int port, const std::string& from);
    ~LoopbackClient();
    LoopbackClient(const LoopbackClient&) = delete;
    LoopbackClient& operator=(const LoopbackClient&) = delete;
    [[nodiscard]] bool connected() const { return connected_; }
    void send(const std::string& s) const;
    // Reads until done(bytes so far) holds, the server closes, or 10 s pass.
    const std::string& read_until(const std::function<bool(const std::string&)>& done);
    // True when the server closed the connection within 10 s.
    bool closed_by_server();
    [[nodiscard]] const std::string& got() const { return got_; }

private:
    int fd_ = -1;
    bool connected_ = false;
    bool eof_ = false;
    std::string got_;
};

// Polls pred every 10 ms until it is true or the timeout passes; returns pred().
template <class Pred>
bool wait_for(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds(20));
bool wait_for_impl(const std::function<bool()>& pred, std::chrono::milliseconds timeout);

// A long-running program (qmail-send, qmail-start) in its own process group, stdout and
// stderr appended to log_path. stop() sends a signal to the whole group and reaps it.
class Daemon {
public:
    Daemon(const std::vector<std::string>& argv, const RunOptions& opts, std::string log_path);
    ~Daemon();
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;
    [[nodiscard]] int pid() const { return pid_; }
    // Sends sig to the process group and waits for the leader; returns its wait status.
    int stop(int sig = 15);
    [[nodiscard]] bool running() const { return pid_ > 0; }
    [[nodiscard]] std::string log() const;

private:
    int pid_ = -1;
    std::string log_path_;
};

// A temporary mail root made by the real qmail-install, in normal-user mode (as root,
// every program runs as unprivileged_test_user() and the root belongs to it): control/me
// = "test.example", locals = me, the alias directory, and one virtual user per call to
// add_user() with a maildir (users/assign + qmail-newu).
class MailRoot {
public:
    MailRoot();
    // In parent instead of the system's temporary directory.
    explicit MailRoot(const std::string& parent);
    [[nodiscard]] const std::string& home() const { return dir_.path(); }
    [[nodiscard]] std::string operator/(const std::string& rel) const { return dir_ / rel; }
    void control(const std::string& name, const std::string& content);
    // Creates <home>/users/<name> with Maildir/, adds "=name:..." to users/assign and
    // runs qmail-newu. Returns the user's home directory.
    std::string add_user(const std::string& name);
    // Environment with QMAILHOME set, for RunOptions.env.
    [[nodiscard]] std::map<std::string, std::string> env() const;
    // Runs a program with QMAILHOME set.
    RunResult run(const std::vector<std::string>& argv, RunOptions opts = {}) const;
    // Starts a long-running program with QMAILHOME set, as the test user; output goes to
    // <home>/<log_name>.
    [[nodiscard]] std::unique_ptr<Daemon> start(const std::vector<std::string>& argv,
                                                const std::string& log_name = "daemon.log",
                                                RunOptions opts = {}) const;
    // control/servercert.pem (self_signed_pem for common_name), owned by the test user:
    // qmail-smtpd then offers STARTTLS.
    void server_certificate(const std::string& common_name = "mx.test.example") const;
    // chown -R to the test user (no-op when not root); for files a test creates itself.
    void give_to_user(const std::string& path) const;
    [[nodiscard]] std::optional<TestUser> user() const { return user_; }

private:
    TempDir dir_;
    std::optional<TestUser> user_;
    std::vector<std::string> assign_lines_;
};

} // namespace qmtest

template <class Pred>
bool qmtest::wait_for(Pred pred, std::chrono::milliseconds timeout) {
    return wait_for_impl(std::function<bool()>(pred), timeout);
}
