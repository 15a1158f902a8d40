#include "support.hpp"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace fs = std::filesystem;

namespace qmtest {

std::string header_field(const std::string& msg, const std::string& name) {
    const std::string header = "\n" + msg.substr(0, msg.find("\n\n") + 1);
    auto at = header.find("\n" + name + ": ");
    if (at == std::string::npos)
        return "";
    at += name.size() + 3;
    return header.substr(at, header.find('\n', at) - at);
}

namespace {

// Hard links, else copies, of the regular files in from (test executables left out).
void stage(const fs::path& from, const fs::path& to) {
    fs::create_directories(to);
    ::chmod(to.c_str(), 0755);
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(from, ec)) {
        if (!e.is_regular_file() || e.path().filename().string().rfind("qm_", 0) == 0)
            continue;
        auto target = to / e.path().filename();
        std::error_code lec;
        fs::create_hard_link(e.path(), target, lec);
        if (lec)
            fs::copy_file(e.path(), target, fs::copy_options::overwrite_existing, lec);
    }
}

// bin/ and share/man/manN/ as the build lays them out, so that qmail-install finds the
// manual pages beside the programs.
std::string staged_bin_dir() {
    static const std::string dir = [] {
        const std::string top = "/tmp/qmtest." + std::to_string(::getpid());
        stage(QM_BIN_DIR, top + "/bin");
        std::error_code ec;
        for (const auto& e : fs::directory_iterator(top + "/bin", ec))
            ::chmod(e.path().c_str(), 0755);
        for (const auto& section : fs::directory_iterator(QM_MAN_DIR, ec))
            stage(section.path(), top + "/share/man/" + section.path().filename().string());
        for (const char* d : {"", "/share", "/share/man"})
            ::chmod((top + d).c_str(), 0755);
        std::atexit([] {
            std::error_code rec;
            fs::remove_all("/tmp/qmtest." + std::to_string(::getpid()), rec);
        });
        return top + "/bin";
    }();
    return dir;
}

} // namespace

std::string bin(const std::string& name) {
    return staged_bin_dir() + "/" + name;
}

std::optional<TestUser> unprivileged_test_user() {
    if (::geteuid() != 0)
        return std::nullopt;
    for (const char* name : {"qmtest", "nobody"})
        if (const passwd* pw = ::getpwnam(name))
            return TestUser{pw->pw_uid, pw->pw_gid};
    throw std::runtime_error("running as root but no unprivileged test user (qmtest/nobody)");
}

TempDir::TempDir()
    : TempDir(fs::temp_directory_path().string()) {}

TempDir::TempDir(const std::string& parent) {
    std::string tmpl = (fs::path(parent) / "qmtest.XXXXXX").string();
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (!::mkdtemp(buf.data()))
        throw std::runtime_error("mkdtemp failed");
    path_ = buf.data();
    ::chmod(path_.c_str(), 0755);
}

TempDir::~TempDir() {
    std::error_code ec;
    // Make everything removable even if a test chmod-ed things away.
    for (auto it = fs::recursive_directory_iterator(path_, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_directory(ec))
            ::chmod(it->path().c_str(), 0700);
    }
    fs::remove_all(path_, ec);
}

namespace {

void set_nonblock(int fd) {
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

// The child's part of run() and Daemon, once its fds 0-2 are in place: no other fd, the
// environment and user of opts, then argv. 126: the user change failed; 127: no cwd or
// no program.
[[noreturn]] void exec_child(const std::vector<std::string>& argv, const RunOptions& opts) {
    for (int fd = 3; fd < 1024; ++fd)
        ::close(fd);
    for (const auto& name : opts.unset_env)
        ::unsetenv(name.c_str());
    for (const auto& [k, v] : opts.env)
        ::setenv(k.c_str(), v.c_str(), 1);
    if (opts.process_group != 0 && ::setpgid(0, opts.process_group) != 0)
        ::_exit(126);
    if (opts.as_user) {
        ::setgroups(0, nullptr);
        if (::setgid(opts.as_user->gid) != 0 || ::setuid(opts.as_user->uid) != 0)
            ::_exit(126);
    }
    if (!opts.cwd.empty() && ::chdir(opts.cwd.c_str()) != 0)
        ::_exit(127);
    std::vector<char*> args;
    for (const auto& a : argv)
        args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
}

} // namespace

RunResult run(const std::vector<std::string>& argv, const RunOptions& opts) {
    int in_pipe[2], out_pipe[2], err_pipe[2];
    if (::pipe(in_pipe) || ::pipe(out_pipe) || ::pipe(err_pipe))
        throw std::runtime_error("pipe failed");
    const bool fd1_is_input = opts.fd1_input.has_value();
    int fd1_pipe[2] = {-1, -1};
    if (fd1_is_input && ::pipe(fd1_pipe))
        throw std::runtime_error("pipe failed");

    // A program that exits without reading its input must not kill the test with SIGPIPE;
    // the child gets the default disposition back, as it would have outside the tests.
    ::signal(SIGPIPE, SIG_IGN);
    pid_t pid = ::fork();
    if (pid < 0)
        throw std::runtime_error("fork failed");
    if (pid == 0) {
        ::signal(SIGPIPE, SIG_DFL);
        ::dup2(in_pipe[0], 0);
        if (fd1_is_input)
            ::dup2(fd1_pipe[0], 1);
        else
            ::dup2(out_pipe[1], 1);
        ::dup2(err_pipe[1], 2);
        exec_child(argv, opts);
    }
    ::close(in_pipe[0]);
    ::close(out_pipe[1]);
    ::close(err_pipe[1]);
    if (fd1_is_input)
        ::close(fd1_pipe[0]);

    RunResult r;
    std::string_view to_stdin = opts.stdin_data;
    std::string_view to_fd1 = fd1_is_input ? std::string_view(*opts.fd1_input) : "";
    int win = in_pipe[1], wfd1 = fd1_is_input ? fd1_pipe[1] : -1;
    int rout = out_pipe[0], rerr = err_pipe[0];
    set_nonblock(win);
    if (wfd1 >= 0)
        set_nonblock(wfd1);
    if (to_stdin.empty()) {
        ::close(win);
        win = -1;
    }
    if (wfd1 >= 0 && to_fd1.empty()) {
        ::close(wfd1);
        wfd1 = -1;
    }
    // Some programs read the message to EOF before the envelope (qmail-queue); write
    // both in parallel with poll so neither order can deadlock.
    while (win >= 0 || wfd1 >= 0 || rout >= 0 || rerr >= 0) {
        std::vector<pollfd> pfds;
        if (win >= 0)
            pfds.push_back({win, POLLOUT, 0});
        if (wfd1 >= 0 && win < 0)
            pfds.push_back({wfd1, POLLOUT, 0});
        if (rout >= 0)
            pfds.push_back({rout, POLLIN, 0});
        if (rerr >= 0)
            pfds.push_back({rerr, POLLIN, 0});
        if (pfds.empty()) {
            // only fd1 left, waiting for stdin to finish - cannot happen
            break;
        }
        if (::poll(pfds.data(), pfds.size(), -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        for (auto& p : pfds) {
            if (!p.revents)
                continue;
            if (p.fd == win || p.fd == wfd1) {
                auto& data = p.fd == win ? to_stdin : to_fd1;
                ssize_t n = ::write(p.fd, data.data(), std::min<size_t>(data.size(), 65536));
                if (n > 0)
                    data.remove_prefix(static_cast<size_t>(n));
                if (n < 0 && errno != EAGAIN) // reader gone
                    data = {};
                if (data.empty()) {
                    ::close(p.fd);
                    (p.fd == win ? win : wfd1) = -1;
                }
            } else {
                char buf[65536];
                ssize_t n = ::read(p.fd, buf, sizeof buf);
                if (n > 0) {
                    (p.fd == rout ? r.out : r.err).append(buf, static_cast<size_t>(n));
                } else if (n == 0 || errno != EINTR) {
                    ::close(p.fd);
                    (p.fd == rout ? rout : rerr) = -1;
                }
            }
        }
    }
    while (::waitpid(pid, &r.status, 0) < 0 && errno == EINTR) {
    }
    r.exit_code = WIFEXITED(r.status) ? WEXITSTATUS(r.status) : -1;
    return r;
}

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw std::runtime_error("cannot read " + path);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void spit(const std::string& path, const std::string& data, unsigned mode) {
    {
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        if (!out)
            throw std::runtime_error("cannot write " + path);
        out << data;
    }
    ::chmod(path.c_str(), mode);
}

std::vector<std::string> list_dir(const std::string& dir) {
    std::vector<std::string> names;
    std::error_code ec;
    for (auto& e : fs::directory_iterator(dir, ec))
        if (e.is_regular_file())
            names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

size_t preprocessed_messages(const std::string& home) {
    size_t n = 0;
    for (int split = 0; split < 23; ++split)
        n += list_dir(home + "/queue/info/" + std::to_string(split)).size();
    return n;
}

std::vector<std::string> mutt_read(const std::string& folder, const std::string& scratch) {
    const std::string out = scratch + "/mutt-out";
    for (const char* d : {"/new", "/cur", "/tmp"})
        fs::create_directories(out + d);
    fs::create_directories(scratch + "/Mail");
    const std::string cmd =
        "HOME='" + scratch + "' TERM=vt100 mutt -n -F /dev/null -f '" + folder +
        "' -e 'set confirmappend=no confirmcreate=no mbox_type=Maildir auto_tag=yes' "
        "-e 'push \"<tag-pattern>~A<enter><copy-message>" +
        out + "<enter><quit>\"'";
    auto r = run({"/usr/bin/timeout", "60", "/usr/bin/script", "-qec", cmd, "/dev/null"});
    REQUIRE(r.exit_code == 0);
    std::vector<std::string> messages;
    for (const char* d : {"/new/", "/cur/"})
        for (const auto& name : list_dir(out + d))
            messages.push_back(slurp(out + d + name));
    std::sort(messages.begin(), messages.end());
    return messages;
}

void skip(const std::string& why) {
    if (const char* code = std::getenv("QM_SKIP_RETURN_CODE")) {
        std::printf("test skipped: %s\n", why.c_str());
        std::fflush(stdout);
        std::_Exit(std::atoi(code));
    }
    WARN(why << ": test skipped");
}

void self_signed_pem(const std::string& path, const std::string& common_name) {
    TempDir scratch;
    auto r = run({"/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj",
                  "/CN=" + common_name, "-days", "2", "-keyout", scratch / "key.pem", "-out",
                  scratch / "cert.pem"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    spit(path, slurp(scratch / "cert.pem") + slurp(scratch / "key.pem"), 0600);
}

int free_port(const std::string& ip) {
    const bool v6 = ip.find(':') != std::string::npos;
    int fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    sockaddr_storage s{};
    socklen_t len = 0;
    if (v6) {
        auto* a = reinterpret_cast<sockaddr_in6*>(&s);
        a->sin6_family = AF_INET6;
        REQUIRE(::inet_pton(AF_INET6, ip.c_str(), &a->sin6_addr) == 1);
        len = sizeof *a;
    } else {
        auto* a = reinterpret_cast<sockaddr_in*>(&s);
        a->sin_family = AF_INET;
        REQUIRE(::inet_pton(AF_INET, ip.c_str(), &a->sin_addr) == 1);
        len = sizeof *a;
    }
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&s), len) == 0);
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&s), &len) == 0);
    ::close(fd);
    return v6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&s)->sin6_port)
              : ntohs(reinterpret_cast<sockaddr_in*>(&s)->sin_port);
}

std::vector<QueuedMessage> queued_messages(const std::string& home) {
    std::vector<QueuedMessage> out;
    for (const auto& id : list_dir(home + "/queue/todo")) {
        QueuedMessage q;
        const std::string split = std::to_string(std::stoul(id) % 23);
        q.message = slurp(home + "/queue/mess/" + split + "/" + id);
        std::istringstream fields(slurp(home + "/queue/todo/" + id));
        std::string field;
        while (std::getline(fields, field, '\0')) {
            if (field.starts_with("F"))
                q.sender = field.substr(1);
            else if (field.starts_with("T"))
                q.recipients.push_back(field.substr(1));
        }
        out.push_back(std::move(q));
    }
    return out;
}

LoopbackClient::LoopbackClient(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
}

LoopbackClient::LoopbackClient(int port, const std::string& from) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in src{};
    src.sin_family = AF_INET;
    if (::inet_pton(AF_INET, from.c_str(), &src.sin_addr) != 1 ||
        ::bind(fd_, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0)
        return; // not connected
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
}

LoopbackClient::~LoopbackClient() {
    ::close(fd_);
}

void LoopbackClient::send(const std::string& s) const {
    size_t done = 0;
    while (done < s.size()) {
        ssize_t n = ::send(fd_, s.data() + done, s.size() - done, MSG_NOSIGNAL);
        if (n <= 0)
            return;
        done += static_cast<size_t>(n);
    }
}

const std::string& LoopbackClient::read_until(const std::function<bool(const std::string&)>& done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done(got_) && !eof_ && std::chrono::steady_clock::now() < deadline) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, 100) <= 0)
            continue;
        char buf[4096];
        ssize_t n = ::read(fd_, buf, sizeof buf);
        if (n <= 0)
            eof_ = true;
        else
            got_.append(buf, static_cast<size_t>(n));
    }
    return got_;
}

bool LoopbackClient::closed_by_server() {
    read_until([](const std::string&) { return false; });
    return eof_;
}

bool wait_for_impl(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (pred())
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return pred();
}

MailRoot::MailRoot()
    : MailRoot(fs::temp_directory_path().string()) {}

MailRoot::MailRoot(const std::string& parent)
    : dir_(parent)
    , user_(unprivileged_test_user()) {
    if (user_ && ::chown(dir_.path().c_str(), user_->uid, user_->gid) != 0)
        throw std::runtime_error("cannot chown " + dir_.path());
    auto r = run({bin("qmail-install"), dir_.path()});
    if (r.exit_code != 0)
        throw std::runtime_error("qmail-install failed: " + r.err);
    control("me", "test.example\n");
}

void MailRoot::give_to_user(const std::string& path) const {
    if (!user_)
        return;
    std::error_code ec;
    ::chown(path.c_str(), user_->uid, user_->gid);
    if (fs::is_directory(path, ec))
        for (auto& e : fs::recursive_directory_iterator(path, ec))
            ::lchown(e.path().c_str(), user_->uid, user_->gid);
}

void MailRoot::server_certificate(const std::string& common_name) const {
    const std::string pem = dir_ / "control/servercert.pem";
    self_signed_pem(pem, common_name);
    give_to_user(pem);
}

void MailRoot::control(const std::string& name, const std::string& content) {
    spit(dir_ / ("control/" + name), content);
    give_to_user(dir_ / ("control/" + name));
}

std::string MailRoot::add_user(const std::string& name) {
    std::string home = dir_ / ("users/" + name);
    fs::create_directories(home + "/Maildir/new");
    fs::create_directories(home + "/Maildir/cur");
    fs::create_directories(home + "/Maildir/tmp");
    ::chmod(home.c_str(), 0755);
    std::ostringstream line;
    const unsigned uid = user_ ? user_->uid : ::getuid();
    const unsigned gid = user_ ? user_->gid : ::getgid();
    give_to_user(home);
    line << "=" << name << ":" << name << ":" << uid << ":" << gid << ":" << home << ":::";
    std::string l = line.str();
    assign_lines_.push_back(l);
    std::string assign;
    for (const auto& a : assign_lines_)
        assign += a + "\n";
    assign += ".\n";
    spit(dir_ / "users/assign", assign);
    give_to_user(dir_ / "users/assign");
    auto r = run({bin("qmail-newu")}, {.env = env()});
    if (r.exit_code != 0)
        throw std::runtime_error("qmail-newu failed: " + r.err);
    return home;
}

Daemon::Daemon(const std::vector<std::string>& argv, const RunOptions& opts, std::string log_path)
    : log_path_(std::move(log_path)) {
    int logfd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
    if (logfd < 0)
        throw std::runtime_error("cannot open " + log_path_);
    ::fchmod(logfd, 0666);
    pid_ = ::fork();
    if (pid_ < 0)
        throw std::runtime_error("fork failed");
    if (pid_ == 0) {
        ::signal(SIGPIPE, SIG_DFL);
        ::setpgid(0, 0);
        int devnull = ::open("/dev/null", O_RDONLY);
        ::dup2(devnull, 0);
        ::dup2(logfd, 1);
        ::dup2(logfd, 2);
        exec_child(argv, opts);
    }
    ::setpgid(pid_, pid_);
    ::close(logfd);
}

Daemon::~Daemon() {
    if (pid_ > 0)
        stop(SIGKILL);
}

int Daemon::stop(int sig) {
    if (pid_ <= 0)
        return -1;
    ::kill(-pid_, sig);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    if (sig != SIGKILL)
        ::kill(-pid_, SIGKILL); // stragglers of the group
    pid_ = -1;
    return status;
}

std::string Daemon::log() const {
    try {
        return slurp(log_path_);
    } catch (...) {
        return {};
    }
}

std::unique_ptr<Daemon> MailRoot::start(const std::vector<std::string>& argv,
                                        const std::string& log_name, RunOptions opts) const {
    opts.env.emplace("QMAILHOME", home());
    if (!opts.as_user)
        opts.as_user = user_;
    return std::make_unique<Daemon>(argv, opts, dir_ / log_name);
}

std::map<std::string, std::string> MailRoot::env() const {
    return {{"QMAILHOME", home()}};
}

RunResult MailRoot::run(const std::vector<std::string>& argv, RunOptions opts) const {
    opts.env.emplace("QMAILHOME", home());
    if (!opts.as_user)
        opts.as_user = user_;
    return qmtest::run(argv, opts);
}

uid_t uid_of(const char* name) {
    const passwd* pw = ::getpwnam(name);
    REQUIRE(pw);
    return pw->pw_uid;
}

std::string proc_uid_line(int pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("Uid:", 0) == 0)
            return line;
    return {};
}

} // namespace qmtest
