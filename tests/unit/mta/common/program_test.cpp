#include "qm/program.hpp"

#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <functional>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace program = qm::program;
using Words = std::vector<std::string>;

namespace {

// What a piece of a program's boundary does, run in a child: its exit code, stdout and
// stderr.
struct Outcome {
    int exit_code = -1;
    std::string out, err;
};

std::string drain(int fd) {
    std::string s;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0)
        s.append(buf, static_cast<size_t>(n));
    ::close(fd);
    return s;
}

Outcome in_child(const std::function<int()>& body) {
    int out[2], err[2];
    REQUIRE(::pipe(out) == 0);
    REQUIRE(::pipe(err) == 0);
    std::fflush(stdout); // what the test runner has buffered is not the child's
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::dup2(out[1], 1);
        ::dup2(err[1], 2);
        int code = body();
        std::fflush(stdout);
        ::_exit(code);
    }
    ::close(out[1]);
    ::close(err[1]);
    Outcome o;
    o.out = drain(out[0]); // small outputs: the pipes cannot fill up
    o.err = drain(err[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    o.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return o;
}

Outcome run_main(const program::About& about, Words argv,
                 const std::function<int(program::Words)>& work) {
    return in_child([&] {
        std::vector<char*> v;
        for (auto& a : argv)
            v.push_back(a.data());
        v.push_back(nullptr);
        return program::run(about, static_cast<int>(argv.size()), v.data(), work);
    });
}

// -n / -N as qmail's programs have them, -f sender, and --bin DIR.
struct Parsed {
    bool dry_run = false;
    std::optional<std::string> sender;
    std::string bin;
    std::vector<char> seen;
    std::vector<std::string> operands;
};

qm::Result<Parsed> parse(Words args, program::Order order = program::Order::options_first) {
    Parsed p;
    program::Options options(order);
    options.set('n', p.dry_run, true)
        .set('N', p.dry_run, false)
        .store('f', p.sender, "a sender address")
        .flag('/', [&] { p.seen.push_back('/'); })
        .flag('5', [&] { p.seen.push_back('5'); })
        .store("bin", p.bin);
    auto operands = options.parse(args);
    if (!operands)
        return std::unexpected(operands.error());
    p.operands = *operands;
    return p;
}

} // namespace

TEST_CASE("options: clusters, and a later flag overrides an earlier one", "[common][program]") {
    auto p = parse({"-nN", "-N", "-n", "x"});
    REQUIRE(p);
    CHECK(p->dry_run);
    CHECK(p->operands == Words{"x"});
    auto q = parse({"-n/5N"});
    REQUIRE(q);
    CHECK_FALSE(q->dry_run);
    CHECK(q->seen == std::vector<char>{'/', '5'});
}

TEST_CASE("options: an argument in its word or the next, whatever it looks like",
          "[common][program]") {
    CHECK(parse({"-fme@x"})->sender == "me@x");
    CHECK(parse({"-nfme@x", "rcpt"})->sender == "me@x");
    CHECK(parse({"-f", "me@x", "rcpt"})->operands == Words{"rcpt"});
    // getopt takes the next word even when it is an option or "--".
    auto dash = parse({"-f", "-n", "x"});
    REQUIRE(dash);
    CHECK(dash->sender == "-n");
    CHECK_FALSE(dash->dry_run);
    CHECK(parse({"-nf", "--"})->sender == "--");
    CHECK(parse({"-f", ""})->sender == "");
    auto empty = parse({"-nf", "", "x"});
    REQUIRE(empty);
    CHECK(empty->sender == "");
    CHECK(empty->operands == Words{"x"});
    CHECK(parse({"--bin", "-n"})->bin == "-n");
    CHECK(parse({"--bin", "/usr/bin", "--bin=/x"})->bin == "/x");
}

TEST_CASE("options: qmail's order ends them at the first operand, glibc's does not",
          "[common][program]") {
    auto qmail = parse({"-n", "cmd", "-N", "-f"});
    REQUIRE(qmail);
    CHECK(qmail->dry_run);
    CHECK(qmail->operands == Words{"cmd", "-N", "-f"});
    auto glibc = parse({"dir", "-n", "sub"}, program::Order::anywhere);
    REQUIRE(glibc);
    CHECK(glibc->dry_run);
    CHECK(glibc->operands == Words{"dir", "sub"});
    for (auto order : {program::Order::options_first, program::Order::anywhere}) {
        auto ended = parse({"-n", "--", "-N", "-"}, order);
        REQUIRE(ended);
        CHECK(ended->dry_run);
        CHECK(ended->operands == Words{"-N", "-"});
        CHECK(parse({"-", "-n"}, order)->operands.front() == "-");
        CHECK(parse({"", "x"}, order)->operands == Words{"", "x"});
    }
}

TEST_CASE("options: unknown options and missing or refused arguments are usage errors",
          "[common][program]") {
    auto failure = [](Words args) {
        auto p = parse(args, program::Order::anywhere);
        REQUIRE_FALSE(p);
        CHECK(p.error().permanent());
        return p.error().text;
    };
    CHECK(failure({"-nxq"}) == "unknown option -x");
    CHECK(failure({"dir", "--foo"}) == "unknown option --foo");
    CHECK(failure({"--help"}) == "unknown option --help");
    CHECK(failure({"-n", "-f"}) == "option -f needs a sender address");
    CHECK(failure({"--bin"}) == "option --bin needs an argument");
    CHECK(failure({"-N", "-", "-n/f"}) == "option -f needs a sender address");

    long days = 0;
    program::Options numbers(program::Order::anywhere);
    numbers.argument('t', [&](const std::string& v) {
        if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos)
            return false;
        days = std::stol(v);
        return true;
    });
    CHECK(numbers.parse(Words{"-t7"}).has_value());
    CHECK(days == 7);
    auto refused = numbers.parse(Words{"-t", "x7"});
    REQUIRE_FALSE(refused);
    CHECK(refused.error().text == "bad argument for -t: x7");
}

TEST_CASE("help: --help and -h, and a program's own -h", "[common][program]") {
    const std::string_view text = "usage: p [-h] x\nMore.\n";
    auto asks = [&](program::ShortHelp short_help, Words args) {
        auto o = in_child([&] {
            return program::help_requested({"p", text, short_help}, args) ? 0 : 1;
        });
        CHECK(o.out == (o.exit_code == 0 ? std::string(text) : ""));
        return o.exit_code == 0;
    };
    using enum program::ShortHelp;
    CHECK(asks(first_word, {"--help"}));
    CHECK(asks(first_word, {"-h", "x"}));
    CHECK_FALSE(asks(first_word, {"x", "--help"}));
    CHECK_FALSE(asks(first_word, {}));
    CHECK(asks(only_word, {"-h"}));
    CHECK(asks(only_word, {"--help", "x"}));
    CHECK_FALSE(asks(only_word, {"-h", "x"}));
    CHECK_FALSE(asks(never, {"-h"}));
    CHECK(asks(never, {"--help"}));
}

TEST_CASE("the frame of main: help, work, and 111 for what escapes", "[common][program]") {
    const program::About about{"prog", "usage: prog\n"};
    auto help = run_main(about, {"prog", "--help"}, [](program::Words) { return 5; });
    CHECK(help.exit_code == 0);
    CHECK(help.out == "usage: prog\n");

    auto work = run_main(about, {"prog", "a", "b"}, [](program::Words args) {
        return args.size() == 2 && args[1] == "b" ? 7 : 1;
    });
    CHECK(work.exit_code == 7);

    auto oom = run_main(about, {"prog"}, [](program::Words) -> int { throw std::bad_alloc(); });
    CHECK(oom.exit_code == 111);
    CHECK(oom.err == "prog: fatal: out of memory\n");

    auto bug =
        run_main(about, {"prog"}, [](program::Words) -> int { throw std::logic_error("oops"); });
    CHECK(bug.exit_code == 111);
    CHECK(bug.err == "prog: fatal: internal error: oops\n");

    // ezmlm's programs give qmail-local the status code for the bounce.
    const program::About lists{"ezmlm-x", "usage: ezmlm-x\n", program::ShortHelp::first_word, true};
    auto with_dsn =
        run_main(lists, {"ezmlm-x"}, [](program::Words) -> int { throw std::bad_alloc(); });
    CHECK(with_dsn.err == "ezmlm-x: fatal: out of memory (#4.3.0)\n");
}

TEST_CASE("fatal, warning and usage lines", "[common][program]") {
    auto fatal = in_child([] { return program::fatal("p", qm::perm("5.1.1", "no such user")); });
    CHECK(fatal.exit_code == 100);
    CHECK(fatal.err == "p: fatal: no such user\n");
    auto temporary = in_child([] { return program::fatal("p", qm::temp("4.3.0", "disk full")); });
    CHECK(temporary.exit_code == 111);

    auto warned = in_child([] {
        program::warning("p", "odd");
        return 0;
    });
    CHECK(warned.err == "p: warning: odd\n");

    auto usage = in_child([] { return program::usage("p", "[-n] dir"); });
    CHECK(usage.exit_code == 100);
    CHECK(usage.err == "p: usage: p [-n] dir\n");
    CHECK(in_child([] { return program::usage("p", ""); }).err == "p: usage: p\n");
    auto why = in_child(
        [] { return program::usage("p", "[-n] dir", qm::perm("5.3.5", "unknown option -x")); });
    CHECK(why.err == "p: unknown option -x\np: usage: p [-n] dir\n");
}

TEST_CASE("at_option_word: qmail's convention for a hand parser", "[common][program]") {
    Words args{"-ab", "-", "x"};
    size_t i = 0;
    CHECK(program::at_option_word(args, i));
    ++i;
    CHECK_FALSE(program::at_option_word(args, i));
    CHECK(i == 1);
    Words ended{"--", "-x"};
    size_t j = 0;
    CHECK_FALSE(program::at_option_word(ended, j));
    CHECK(j == 1);
}
