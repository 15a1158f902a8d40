#include "qm/fd.hpp"
#include "qm/process.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>

TEST_CASE("errno: qmail's error_temp for what others named, from_errno for our own files",
          "[common][errno]") {
    for (int err : {ENOMEM, ETXTBSY, EMFILE, EIO, EAGAIN, ENOSPC, EDQUOT, ECONNREFUSED})
        CHECK(qm::is_temporary_errno(err));
    for (int err : {ENOENT, EACCES, EPERM, ENOEXEC, ENOTDIR, EISDIR})
        CHECK_FALSE(qm::is_temporary_errno(err));

    CHECK(qm::from_errno(ENOSPC, "unable to write x").dsn == "4.3.1");
    CHECK(qm::from_errno(EDQUOT, "unable to write x").dsn == "4.3.1");
    CHECK(qm::from_errno(ELOOP, "unable to open x").permanent());
    CHECK(qm::from_errno(ENAMETOOLONG, "unable to open x").permanent());
    auto missing = qm::from_errno(ENOENT, "unable to open x");
    CHECK_FALSE(missing.permanent()); // our own file: the admin fixes it, mail waits
    CHECK(missing.text == "unable to open x: No such file or directory");
    CHECK(qm::error_text(ENOENT) == "No such file or directory");
}

TEST_CASE("spawn: argv, PATH, environment, descriptors and cwd, then wait and exit codes",
          "[common][process]") {
    qm::Spawn sh;
    sh.argv = {"sh", "-c", "echo \"$WHO in $(pwd)\"; exit 7"};
    sh.search_path = true;
    sh.env = std::vector<std::string>{"WHO=tester", "PATH=/usr/bin:/bin"};
    sh.cwd = "/";
    int p[2];
    REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
    qm::UniqueFd out_read(p[0]), out_write(p[1]);
    sh.fds = {{out_write.get(), 1}};
    auto pid = qm::spawn(sh);
    REQUIRE(pid);
    out_write.reset();
    auto out = qm::read_all(out_read.get());
    REQUIRE(out);
    CHECK(*out == "tester in /\n");
    auto status = qm::wait_for(*pid);
    REQUIRE(status);
    CHECK(qm::exit_code_of(*status) == 7);
    CHECK(qm::classify_child_exit(*status) == qm::ChildOutcome::temporary);
}

TEST_CASE("spawn: a program that cannot start is its errno, a crash has no exit code",
          "[common][process]") {
    qm::Spawn missing;
    missing.argv = {"/nonexistent/program"};
    auto pid = qm::spawn(missing);
    REQUIRE_FALSE(pid);
    CHECK(pid.error() == ENOENT);
    auto f = qm::unable_to_run("/nonexistent/program", pid.error());
    CHECK(f.permanent());
    CHECK(f.text == "unable to run /nonexistent/program: No such file or directory");
    CHECK_FALSE(qm::unable_to_run("x", ENOMEM).permanent());

    qm::Spawn crash;
    crash.argv = {"/bin/sh", "-c", "kill -SEGV $$"};
    auto crashed = qm::spawn(crash);
    REQUIRE(crashed);
    auto status = qm::wait_for(*crashed);
    REQUIRE(status);
    CHECK_FALSE(qm::exit_code_of(*status));
    CHECK(qm::classify_child_exit(*status) == qm::ChildOutcome::crashed);
}

TEST_CASE("delivery exit codes as qmail-command(8) reads them", "[common][process]") {
    auto outcome = [](int code) {
        qm::Spawn sh;
        sh.argv = {"/bin/sh", "-c", "exit " + std::to_string(code)};
        auto status = qm::wait_for(qm::spawn(sh).value());
        return qm::classify_child_exit(status.value());
    };
    CHECK(outcome(0) == qm::ChildOutcome::success);
    CHECK(outcome(99) == qm::ChildOutcome::success_stop);
    for (int code : {100, 64, 65, 70, 76, 77, 78, 112})
        CHECK(outcome(code) == qm::ChildOutcome::permanent);
    CHECK(outcome(111) == qm::ChildOutcome::temporary);
    CHECK(outcome(1) == qm::ChildOutcome::temporary);
}

TEST_CASE("spawn: the program gets default signals and only the descriptors it is given",
          "[common][process]") {
    // This process ignores SIGPIPE (as the daemons do); the program must not.
    struct sigaction ignore {
    }, old{};
    ignore.sa_handler = SIG_IGN;
    ::sigaction(SIGPIPE, &ignore, &old);
    int p[2];
    REQUIRE(::pipe2(p, 0) == 0); // not close-on-exec: close_others must close it
    qm::UniqueFd keep_read(p[0]), keep_write(p[1]);
    qm::Spawn sh;
    sh.argv = {"/bin/sh", "-c",
               "grep -q '^SigIgn:.*[13579bdf]...$' /proc/self/status && exit 3; "
               "[ -e /proc/self/fd/" +
                   std::to_string(p[1]) + " ] && exit 4; exit 0"};
    sh.close_others = true;
    auto pid = qm::spawn(sh);
    ::sigaction(SIGPIPE, &old, nullptr);
    REQUIRE(pid);
    CHECK(qm::exit_code_of(qm::wait_for(*pid).value()) == 0);
}

TEST_CASE("checkpassword request: three NUL-ended fields - none may hold a NUL itself",
          "[common][process]") {
    using namespace std::string_literals;
    CHECK(qm::checkpassword_request("joe", "secret", "123") == "joe\0secret\0"
                                                               "123\0"s);
    CHECK(qm::checkpassword_request("", "", "") == "\0\0\0"s);
    CHECK_FALSE(qm::checkpassword_request("joe"s, "pw\0<old@stamp>"s, "123"));
    CHECK_FALSE(qm::checkpassword_request("jo\0e"s, "x", "123"));
    CHECK_FALSE(qm::checkpassword_request("joe", "x", "1\0"s));
}
