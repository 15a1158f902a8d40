// A mail root with a list for the list scenarios: users alice, bob, carol and dave with
// maildirs, joe whose joe-<anything> addresses reach his .qmail-<anything> files, and
// joe's list joe-team@test.example in ~joe/team, delivered by the real qmail-send.
#pragma once

#include "support.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace listtest {

struct ListMta {
    qmtest::MailRoot root;
    std::unique_ptr<qmtest::Daemon> send;
    std::string joe; // the list owner's home
    std::string dir; // the list directory

    ListMta() {
        for (auto u : {"alice", "bob", "carol", "dave"})
            root.add_user(u);
        joe = root.add_user("joe");
        // joe-<anything> reaches joe's .qmail-<anything>.
        std::string assign = qmtest::slurp(root / "users/assign");
        auto uid = root.user() ? root.user()->uid : ::getuid();
        auto gid = root.user() ? root.user()->gid : ::getgid();
        assign.insert(assign.size() - 2, "+joe-:joe:" + std::to_string(uid) + ":" +
                                             std::to_string(gid) + ":" + joe + ":-::\n");
        qmtest::spit(root / "users/assign", assign);
        root.give_to_user(root / "users/assign");
        REQUIRE(root.run({qmtest::bin("qmail-newu")}).exit_code == 0);
        dir = joe + "/team";
    }
    void make(const std::vector<std::string>& switches = {}) {
        std::vector<std::string> argv{qmtest::bin("ezmlm-make")};
        argv.insert(argv.end(), switches.begin(), switches.end());
        argv.insert(argv.end(), {dir, joe + "/.qmail-team", "joe-team", "test.example"});
        auto r = root.run(argv);
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
    }
    // Starts qmail-send; with clock, the list programs it runs see that time
    // (QM_LISTS_NOW). Called again, it restarts qmail-send, for a clock moved on, once
    // the queue is empty (a delivery cut short would be retried only minutes later).
    void start(std::optional<std::time_t> clock = std::nullopt) {
        size_t seen = 0;
        if (send) {
            REQUIRE(wait_idle());
            send->stop();
            seen = send->log().size();
        }
        qmtest::RunOptions opts;
        if (clock)
            opts.env["QM_LISTS_NOW"] = std::to_string(static_cast<long long>(*clock));
        send = root.start({qmtest::bin("qmail-send"), "./Maildir/"}, "send.log", opts);
        REQUIRE(qmtest::wait_for(
            [&] { return send->log().find("status: local", seen) != std::string::npos; }));
    }
    void inject(const std::string& message) {
        auto r = root.run({qmtest::bin("qmail-inject")},
                          {.stdin_data = message,
                           .env = {{"QMAILUSER", "dave"}, {"QMAILHOST", "test.example"}},
                           .unset_env = {"USER", "LOGNAME", "MAILUSER", "MAILHOST", "QMAILNAME",
                                         "NAME", "MAILNAME", "QMAILSUSER", "QMAILSHOST"}});
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
    }
    // Queues message through qmail-queue with the given envelope, as a remote MTA's
    // bounce would arrive: sender "" and the list's return address as recipient.
    void queue(const std::string& message, const std::string& recipient,
               const std::string& sender = "") {
        auto r = root.run({qmtest::bin("qmail-queue")},
                          {.stdin_data = message,
                           .fd1_input = "F" + sender + std::string(1, '\0') + "T" + recipient +
                                        std::string(2, '\0')});
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
    }
    // Runs a list program (ezmlm-warn, ezmlm-sub, ...) as the list owner would, with the
    // list clock at clock when given.
    qmtest::RunResult run(std::vector<std::string> argv,
                          std::optional<std::time_t> clock = std::nullopt) const {
        argv[0] = qmtest::bin(argv[0]);
        qmtest::RunOptions opts;
        if (clock)
            opts.env["QM_LISTS_NOW"] = std::to_string(static_cast<long long>(*clock));
        return root.run(argv, opts);
    }
    [[nodiscard]] std::vector<std::string> messages(const std::string& user) const {
        std::vector<std::string> out;
        std::string d = root / ("users/" + user + "/Maildir/new");
        for (const auto& f : qmtest::list_dir(d))
            out.push_back(qmtest::slurp(d + "/" + f));
        return out;
    }
    // Waits until qmail-send has delivered everything queued so far.
    bool wait_idle() const {
        return qmtest::wait_for([&] {
            std::error_code ec;
            for (const auto& e :
                 std::filesystem::recursive_directory_iterator(root / "queue/mess", ec))
                if (e.is_regular_file())
                    return false;
            return true;
        });
    }
    bool wait_messages(const std::string& user, size_t n) const {
        return qmtest::wait_for([&] { return messages(user).size() >= n; });
    }
};

} // namespace listtest
