// The two sides of the remote-delivery scenarios: a mail root running the real
// qmail-send, with messages put in by the real qmail-queue, and the remote host, our
// qmail-smtpd daemon on a mail root of its own.
#pragma once

#include "support.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace remotetest {

inline size_t count_of(const std::string& haystack, const std::string& needle) {
    size_t n = 0;
    for (size_t pos = haystack.find(needle); pos != std::string::npos;
         pos = haystack.find(needle, pos + 1))
        ++n;
    return n;
}

// "127.0.0.1:25", "[::1]:25": the daemons' --listen form.
inline std::string listen_address(const std::string& ip, int port) {
    return (ip.find(':') != std::string::npos ? "[" + ip + "]" : ip) + ":" + std::to_string(port);
}

// The remote host: our qmail-smtpd daemon on its own mail root; what it accepts stays in
// its queue (no qmail-send there).
struct Peer {
    qmtest::MailRoot root;
    std::string ip;
    int port;
    std::unique_ptr<qmtest::Daemon> smtpd;

    // port 0: a free one.
    explicit Peer(std::string listen_ip = "127.0.0.1", bool tls = false, int listen_port = 0)
        : ip(std::move(listen_ip))
        , port(listen_port ? listen_port : qmtest::free_port(ip)) {
        root.control("rcpthosts", "remote.example\nplain.example\n");
        if (tls)
            root.server_certificate("mx.remote.example");
        smtpd = root.start({qmtest::bin("qmail-smtpd"), "--listen", listen_address(ip, port)},
                           "smtpd.log");
        REQUIRE(qmtest::wait_for(
            [&] { return smtpd->log().find("status: listening") != std::string::npos; }));
    }
    [[nodiscard]] std::vector<std::string> queued() const {
        return qmtest::list_dir(root / "queue/todo");
    }
    [[nodiscard]] std::string message(const std::string& id) const {
        return qmtest::slurp(root /
                             ("queue/mess/" + std::to_string(std::stoul(id) % 23) + "/" + id));
    }
    [[nodiscard]] std::string envelope(const std::string& id) const {
        return qmtest::slurp(root / ("queue/todo/" + id));
    }
};

// The sending host: a mail root with qmail-send, alice as a local user (bounces land in
// her maildir).
struct Sender {
    qmtest::MailRoot root;
    std::unique_ptr<qmtest::Daemon> send;
    std::string log_name;
    int starts = 0;

    Sender() { root.add_user("alice"); }
    void start() {
        log_name = "send" + std::to_string(++starts) + ".log";
        send = root.start({qmtest::bin("qmail-send"), "./Maildir/"}, log_name);
        REQUIRE(qmtest::wait_for([&] { return log().find("status: local") != std::string::npos; }));
    }
    [[nodiscard]] std::string log() const {
        return send ? send->log() : qmtest::slurp(root / log_name);
    }
    bool wait_log(const std::string& text, size_t times = 1) const {
        const bool ok = qmtest::wait_for([&] { return count_of(log(), text) >= times; },
                                         std::chrono::seconds(30));
        if (!ok)
            UNSCOPED_INFO("qmail-send's log:\n" << log());
        return ok;
    }
    void inject(const std::string& from, const std::vector<std::string>& rcpts,
                const std::string& body) {
        std::string env = "F" + from + '\0';
        for (const auto& r : rcpts)
            env += "T" + r + '\0';
        env += '\0';
        auto r = root.run({qmtest::bin("qmail-queue")}, {.stdin_data = body, .fd1_input = env});
        REQUIRE(r.exit_code == 0);
    }
    [[nodiscard]] std::vector<std::string> bounces() const {
        std::vector<std::string> out;
        for (const auto& f : qmtest::list_dir(root / "users/alice/Maildir/new"))
            out.push_back(qmtest::slurp(root / ("users/alice/Maildir/new/" + f)));
        return out;
    }
    [[nodiscard]] bool queue_empty() const {
        for (const char* d : {"mess", "info", "local", "remote", "todo", "intd", "bounce"})
            for (auto& e :
                 std::filesystem::recursive_directory_iterator(root / (std::string("queue/") + d)))
                if (e.is_regular_file())
                    return false;
        return true;
    }
};

// The validating resolver stand-in (tests/support/validating_resolver.py) on a free
// loopback port, answering from zone (records under "example.").
struct Resolver {
    qmtest::TempDir dir;
    int port = qmtest::free_port();
    std::unique_ptr<qmtest::Daemon> daemon;

    Resolver(const std::string& zone, const std::vector<std::string>& options = {}) {
        if (!std::filesystem::exists("/usr/lib/python3/dist-packages/dns")) {
            qmtest::skip("python3-dnspython is not installed (script/bootstrap installs it)");
            return;
        }
        qmtest::spit(dir / "zone", "$TTL 300\nexample. IN SOA ns.example. hostmaster.example. "
                                   "1 3600 600 86400 300\nexample. IN NS ns.example.\n" +
                                       zone);
        std::vector<std::string> argv{"/usr/bin/python3",
                                      std::string(QM_SOURCE_DIR) +
                                          "/tests/support/validating_resolver.py",
                                      std::to_string(port), dir / "zone"};
        argv.insert(argv.end(), options.begin(), options.end());
        daemon = std::make_unique<qmtest::Daemon>(argv, qmtest::RunOptions{}, dir / "resolver.log");
        REQUIRE(
            qmtest::wait_for([&] { return daemon->log().find("listening") != std::string::npos; }));
    }
    [[nodiscard]] std::string address() const { return "127.0.0.1:" + std::to_string(port); }
};

} // namespace remotetest
