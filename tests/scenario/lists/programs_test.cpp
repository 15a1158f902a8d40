// ezmlm-idx 7's programs that its .qmail files and scripts call and that ezmlm 0.53 did not
// have (ezmlm-checksub, ezmlm-tstdig, ezmlm-request, ezmlm-idx, ezmlm-rmtab), each run
// side by side with the real one from ezmlm-idx 7.2.2 (built from source as a test peer,
// support/ezmlm_idx.hpp) on the same list, input and environment: same exit code, same
// output, same files. Then the cross test the issue asks for: a list made by the real
// ezmlm-make, its .qmail files running our programs, driven by mail through our mail root.
#include "ezmlm_idx.hpp"
#include "list_mta.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <map>
#include <regex>

namespace fs = std::filesystem;

namespace {

// Two copies of one list made by the real ezmlm-make: one for the real program, one for
// ours, so that what each leaves behind can be compared file by file.
struct SideBySide {
    const qmtest::EzmlmIdx& ez = qmtest::ezmlm_idx();
    qmtest::TempDir tmp;
    std::string real_dir = tmp / "real";
    std::string our_dir = tmp / "ours";
    std::string queued = tmp / "queued";

    explicit SideBySide(const std::vector<std::string>& switches = {}) {
        for (const auto* d : {&real_dir, &our_dir}) {
            std::vector<std::string> argv{ez.bin("ezmlm-make")};
            argv.insert(argv.end(), switches.begin(), switches.end());
            const std::string name = fs::path(*d).filename();
            argv.insert(argv.end(), {*d, tmp / (".qmail-" + name), "l", "lists.example"});
            auto r = qmtest::run(argv);
            INFO(r.err);
            REQUIRE(r.exit_code == 0);
        }
        fs::create_directory(queued);
        // qmail-queue's interface: the message on fd 0, the envelope on fd 1.
        qmtest::spit(tmp / "capture",
                     "#!/bin/sh\nn=$(ls \"$CAPTURE\" | grep -c '^m')\n"
                     "cat > \"$CAPTURE/m$n\"\ncat <&1 > \"$CAPTURE/e$n\"\n",
                     0755);
    }
    // Runs both, real first; the same arguments with the list directory put in for "DIR".
    std::pair<qmtest::RunResult, qmtest::RunResult> run(const std::string& program,
                                                        const std::vector<std::string>& args,
                                                        std::map<std::string, std::string> env = {},
                                                        const std::string& in = "") const {
        env["QMAILQUEUE"] = tmp / "capture";
        env["QMAILHOME"] = tmp.path(); // the real programs chdir there before queueing
        env["CAPTURE"] = queued;
        // The message comes from a file, as qmail-local gives it: ezmlm-idx 7's programs
        // seek back to its start (ezmlm-request, ezmlm-reject -f, ezmlm-dispatch).
        qmtest::spit(tmp / "stdin", in);
        auto one = [&](const std::string& bin, const std::string& dir) {
            std::vector<std::string> argv{"/bin/sh", "-c", "exec \"$@\" < \"$0\"", tmp / "stdin",
                                          bin};
            for (const auto& a : args)
                argv.push_back(a == "DIR" ? dir : a);
            return qmtest::run(argv, {.env = env});
        };
        auto real = one(ez.bin(program), real_dir);
        auto ours = one(qmtest::bin(program), our_dir);
        return {real, ours};
    }
    void both(const std::string& program, const std::vector<std::string>& args) const {
        auto [real, ours] = run(program, args);
        INFO(program << ": " << real.err << " / " << ours.err);
        REQUIRE(real.exit_code == 0);
        REQUIRE(ours.exit_code == 0);
    }
    [[nodiscard]] std::vector<std::string> queued_files() const {
        std::vector<std::string> out;
        for (size_t n = 0; fs::exists(queued + "/m" + std::to_string(n)); ++n)
            out.push_back(qmtest::slurp(queued + "/m" + std::to_string(n)));
        return out;
    }
    [[nodiscard]] std::vector<std::string> envelopes() const {
        std::vector<std::string> out;
        for (size_t n = 0; fs::exists(queued + "/e" + std::to_string(n)); ++n)
            out.push_back(qmtest::slurp(queued + "/e" + std::to_string(n)));
        return out;
    }
    void clear_queue() const {
        for (const auto& f : qmtest::list_dir(queued))
            fs::remove(queued + "/" + f);
    }
    // Both directories' file of the given name (nullopt: missing).
    [[nodiscard]] std::pair<std::optional<std::string>, std::optional<std::string>>
    files(const std::string& name) const {
        auto read = [&](const std::string& d) -> std::optional<std::string> {
            if (!fs::exists(d + "/" + name))
                return std::nullopt;
            return qmtest::slurp(d + "/" + name);
        };
        return {read(real_dir), read(our_dir)};
    }
    void write_both(const std::string& name, const std::string& text, unsigned mode = 0644) const {
        for (const auto* d : {&real_dir, &our_dir}) {
            fs::create_directories(fs::path(*d + "/" + name).parent_path());
            qmtest::spit(*d + "/" + name, text, mode);
        }
    }
};

std::string sorted_tree(const std::string& dir) {
    std::vector<std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(dir))
        out.push_back(fs::relative(e.path(), dir).string());
    std::sort(out.begin(), out.end());
    std::string s;
    for (const auto& p : out)
        s += p + "\n";
    return s;
}

} // namespace

TEST_CASE("ezmlm-checksub answers as the real one", "[scenario][lists][ezmlm-idx]") {
    if (qmtest::skip_without_ezmlm_idx())
        return;
    SideBySide l;
    l.both("ezmlm-sub", {"DIR", "sub@far.example"});
    l.both("ezmlm-sub", {"DIR", "digest", "dig@far.example"});
    l.both("ezmlm-sub", {"DIR", "deny", "spam@far.example"});
    struct Case {
        std::vector<std::string> args;
        std::string sender;
    };
    const std::vector<Case> cases = {
        {{"DIR"}, "sub@far.example"},
        {{"DIR"}, "SUB@Far.Example"},
        {{"DIR"}, "stranger@far.example"},
        {{"DIR", ".", "digest", "allow", "mod"}, "dig@far.example"},
        {{"DIR", ".", "digest", "allow", "mod"}, "stranger@far.example"},
        {{"-n", "DIR", "deny"}, "spam@far.example"},
        {{"-n", "DIR", "deny"}, "sub@far.example"},
        {{"-N", "DIR", "deny"}, "spam@far.example"},
        {{"-m", "Go away.", "DIR"}, "stranger@far.example"},
        {{"-n", "-m", "Not you.", "DIR", "deny"}, "spam@far.example"},
    };
    for (const auto& c : cases) {
        std::string shown;
        for (const auto& a : c.args)
            shown += a + " ";
        INFO(shown << "SENDER=" << c.sender);
        auto [real, ours] = l.run("ezmlm-checksub", c.args, {{"SENDER", c.sender}});
        INFO(real.err << " / " << ours.err);
        CHECK(ours.exit_code == real.exit_code);
        // A refusal gives its reason on stdout (qmail-local puts it in the bounce): -m's
        // as given, else each in its own words (ours do not copy ezmlm-idx's sentences).
        CHECK(ours.out.empty() == real.out.empty());
        if (std::find(c.args.begin(), c.args.end(), "-m") != c.args.end())
            CHECK(ours.out == real.out);
    }
    auto [real, ours] = l.run("ezmlm-checksub", {"DIR"}, {{"SENDER", "stranger@far.example"}});
    CHECK(ours.exit_code == 100);
    CHECK(ours.out.find("subscribers only") != std::string::npos);
    CHECK(ours.out.find("l-owner@lists.example") != std::string::npos);
    // Without SENDER both refuse.
    auto [real_none, ours_none] = l.run("ezmlm-checksub", {"DIR"});
    CHECK(real_none.exit_code == 100);
    CHECK(ours_none.exit_code == 100);
}

TEST_CASE("ezmlm-tstdig answers as the real one", "[scenario][lists][ezmlm-idx]") {
    if (qmtest::skip_without_ezmlm_idx())
        return;
    SideBySide l({"-d"});
    const long now = static_cast<long>(std::time(nullptr));
    struct Case {
        std::string num, dignum, tstdig;
        std::vector<std::string> args;
        std::map<std::string, std::string> env;
    };
    const std::map<std::string, std::string> editor{{"LOCAL", "l"}};
    const std::map<std::string, std::string> dig_command{{"LOCAL", "l-dig.x"},
                                                         {"DEFAULT", "dig.x"}};
    const std::map<std::string, std::string> other_command{{"LOCAL", "l-help"},
                                                           {"DEFAULT", "help"}};
    const std::string recent = std::to_string(now - 3600);
    const std::string old = std::to_string(now - 49 * 3600);
    const std::vector<Case> cases = {
        {"", "", "", {"DIR"}, {}},                                           // no num: 99
        {"5:10", "", "", {"DIR"}, {}},                                       // never digested: due
        {"5:10", "3:5:" + recent, "", {"DIR"}, {}},                          // not due
        {"5:10", "3:5:" + old, "", {"DIR"}, {}},                             // 48 hours
        {"40:10", "3:5:" + recent, "", {"DIR"}, {}},                         // 30 posts
        {"5:300", "3:5:" + recent, "", {"DIR"}, {}},                         // 64 kB
        {"5:10", "3:5:" + recent, "", {"-m", "2", "DIR"}, {}},               // 2 posts
        {"5:10", "3:5:" + recent, "", {"-m2", "-t0", "-k0", "DIR"}, {}},     // only count
        {"5:10", "3:5:" + recent, "", {"-k", "1", "DIR"}, {}},               // 1 kB
        {"5:10", "3:5:" + recent, "", {"-t", "1", "DIR"}, {}},               // 1 hour
        {"5:10", "3:5:" + recent, "", {"-m0", "-t0", "-k0", "DIR"}, {}},     // all off
        {"5:10", "3:5:" + recent, "", {"DIR"}, other_command},               // manager: 0
        {"5:10", "3:5:" + recent, "", {"DIR"}, dig_command},                 // list-dig: test
        {"5:10", "3:5:" + old, "", {"DIR"}, editor},                         // editor: claims
        {"5:10", "3:5:" + old, std::to_string(now - 60), {"DIR"}, editor},   // run going
        {"5:10", "3:5:" + old, std::to_string(now - 7200), {"DIR"}, editor}, // stale run
    };
    for (const auto& c : cases) {
        INFO("num " << c.num << " dignum " << c.dignum << " tstdig " << c.tstdig << " "
                    << c.args.front());
        for (const auto& [name, text] :
             {std::pair{"num", c.num}, {"dignum", c.dignum}, {"tstdig", c.tstdig}}) {
            if (text.empty()) {
                fs::remove(l.real_dir + "/" + name);
                fs::remove(l.our_dir + "/" + name);
            } else {
                l.write_both(name, text + "\n");
            }
        }
        auto [real, ours] = l.run("ezmlm-tstdig", c.args, c.env);
        INFO(real.err << " / " << ours.err);
        CHECK(ours.exit_code == real.exit_code);
        // dir/tstdig written anew by both or by neither.
        auto [real_stamp, our_stamp] = l.files("tstdig");
        auto rewritten = [&](const std::optional<std::string>& stamp) {
            return stamp.has_value() && (c.tstdig.empty() || *stamp != c.tstdig + "\n");
        };
        CHECK(rewritten(our_stamp) == rewritten(real_stamp));
    }
    // Options after dir are a usage error in both.
    auto [real, ours] = l.run("ezmlm-tstdig", {"DIR", "-m", "1"});
    CHECK(real.exit_code == 100);
    CHECK(ours.exit_code == 100);
}

TEST_CASE("ezmlm-rmtab removes what the real one removes", "[scenario][lists][ezmlm-idx]") {
    if (qmtest::skip_without_ezmlm_idx())
        return;
    SideBySide l({"-m"});
    for (const std::string db : {"", "allow", "deny", "digest", "mod"}) {
        std::vector<std::string> args{"DIR"};
        if (!db.empty())
            args.push_back(db);
        for (int i = 0; i < 20; ++i) {
            auto a = args;
            a.push_back("reader" + std::to_string(i) + "@far.example");
            l.both("ezmlm-sub", a);
        }
    }
    REQUIRE(sorted_tree(l.real_dir) == sorted_tree(l.our_dir));
    auto [real, ours] = l.run("ezmlm-rmtab", {"DIR"});
    INFO(real.err << " / " << ours.err);
    CHECK(real.exit_code == 0);
    CHECK(ours.exit_code == 0);
    CHECK(sorted_tree(l.real_dir) == sorted_tree(l.our_dir));
    CHECK_FALSE(fs::exists(l.our_dir + "/subscribers"));
    CHECK_FALSE(fs::exists(l.our_dir + "/mod/subscribers"));
    // Nothing left to remove: both succeed again.
    auto [real2, ours2] = l.run("ezmlm-rmtab", {"DIR"});
    CHECK(real2.exit_code == 0);
    CHECK(ours2.exit_code == 0);
    // An SQL database is not ours to remove.
    auto [real3, ours3] = l.run("ezmlm-rmtab", {"-S", "mysql:localhost", "DIR"});
    CHECK(ours3.exit_code == 100);
}

TEST_CASE("ezmlm-idx writes the index the real one writes", "[scenario][lists][ezmlm-idx]") {
    if (qmtest::skip_without_ezmlm_idx())
        return;
    SideBySide l({"-a"});
    fs::remove(l.real_dir + "/indexed");
    fs::remove(l.our_dir + "/indexed");
    // 103 archived posts over two hundreds, one not (yet) archived, one missing; replies,
    // a prefix, an encoded subject, folded fields, authors in several shapes.
    l.write_both("prefix", "[l]\n");
    for (int n = 1; n <= 103; ++n) {
        if (n == 50)
            continue;
        const std::string subject = n % 3 == 0   ? "Re: [l] topic " + std::to_string(n % 7)
                                    : n % 5 == 0 ? "=?UTF-8?Q?caf=C3=A9_talk?="
                                    : n % 7 == 0 ? "long\n subject folded"
                                                 : "topic " + std::to_string(n % 7);
        const std::string from = n % 2 ? "\"Reader " + std::to_string(n % 4) + "\" <reader" +
                                             std::to_string(n % 4) + "-tag@Far.Example>"
                                       : "poster@far.example (The Poster)";
        const std::string text = "Received: (qmail 1 invoked by uid 1); 7 May 2017 21:55:0" +
                                 std::to_string(n % 10) +
                                 " -0000\nDate: Sun, 7 May 17 20:00:00 +0200\nFrom: " + from +
                                 "\nSubject: " + subject + "\n\nbody " + std::to_string(n) + "\n";
        char name[32];
        std::snprintf(name, sizeof name, "archive/%d/%02d", n / 100, n % 100);
        l.write_both(name, text, n == 77 ? 0644 : 0744);
    }
    l.write_both("num", "103:40\n");
    for (const auto& args : {std::vector<std::string>{"DIR"},
                             {"-d", "DIR"},
                             {"-f", "120", "DIR"},
                             {"-f", "100", "-D", "DIR"}}) {
        INFO(args.front());
        auto [real, ours] = l.run("ezmlm-idx", args);
        INFO(real.err << " / " << ours.err);
        CHECK(real.exit_code == 0);
        CHECK(ours.exit_code == 0);
        for (const char* f : {"archive/0/index", "archive/1/index", "indexed"}) {
            INFO(f);
            auto [r, o] = l.files(f);
            REQUIRE(r.has_value());
            CHECK(r == o);
        }
    }
    // Our ezmlm-get reads the index it wrote: list-index answers with the posts' subjects.
    l.clear_queue();
    auto r = qmtest::run({qmtest::bin("ezmlm-get"), l.our_dir},
                         {.env = {{"SENDER", "a@far.example"},
                                  {"LOCAL", "l-index"},
                                  {"DEFAULT", "index"},
                                  {"QMAILQUEUE", l.tmp / "capture"},
                                  {"CAPTURE", l.queued}}});
    INFO(r.err);
    CHECK((r.exit_code == 0 || r.exit_code == 99));
    const auto answers = l.queued_files();
    REQUIRE(answers.size() == 1);
    CHECK(answers[0].find("topic 3") != std::string::npos);
}

TEST_CASE("ezmlm-request sends on what the real one sends on", "[scenario][lists][ezmlm-idx]") {
    if (qmtest::skip_without_ezmlm_idx())
        return;
    SideBySide l;
    l.write_both("headerremove", "x-secret\nreturn-path\n");
    const std::map<std::string, std::string> env{
        {"SENDER", "dave@far.example"}, {"LOCAL", "l-request"}, {"DEFAULT", "request"}};
    const std::vector<std::pair<std::string, std::string>> requests = {
        {"subscribe", "x\n"},
        {"SUB", "x\n"},
        {"unsubscribe other@where.example", "x\n"},
        {"signoff", "x\n"},
        {"remove other@where.example", "x\n"},
        {"", "l-get.12_14\n"},
        {"l-subscribe-joe=far.example@lists.example", "x\n"},
        {"index", "x\n"},
        {"ind", "x\n"},
        {"who", "x\n"},
        {"system", "x\n"},
        {"put foo bar", "x\n"},
        {"lists", "x\n"},
        {"info", "x\n"},
        {"mycommand", "x\n"},
        {"", "\n\n  indented\nsubscribe joe@far.example\nignored\n"},
        {"!!!", "# comment\nunsub\n"},
        {"", "\n"},
    };
    for (const auto& [subject, body] : requests) {
        INFO("Subject: " << subject << " body: " << body);
        l.clear_queue();
        const std::string message = "From: Dave <dave@far.example>\nTo: l-request@lists.example\n"
                                    "X-Secret: gone\nSubject: " +
                                    subject + "\n\n" + body;
        auto [real, ours] = l.run("ezmlm-request", {"DIR"}, env, message);
        INFO(real.err << " / " << ours.err);
        CHECK(ours.exit_code == real.exit_code);
        const auto queued = l.queued_files();
        const auto envelopes = l.envelopes();
        REQUIRE(queued.size() == 2);
        CHECK(queued[1] == queued[0]);
        CHECK(envelopes[1] == envelopes[0]);
    }
    // Refused alike: a character that has no place in an address, a list's message, a loop.
    for (const auto& message :
         {std::string("From: d@far.example\nSubject: subscribe joe;rm@far.example\n\nx\n"),
          std::string("From: d@far.example\nMailing-List: contact other-help@x\nSubject: "
                      "subscribe\n\nx\n"),
          std::string("Delivered-To: request processor for l@lists.example\nFrom: "
                      "d@far.example\nSubject: help\n\nx\n"),
          std::string("From: d@far.example\nSubject: joe@far.example\n\nx\n"),
          std::string("From: d@far.example\nSubject: \n\nno command? yes: it is one\n")}) {
        INFO(message);
        l.clear_queue();
        auto [real, ours] = l.run("ezmlm-request", {"DIR"}, env, message);
        CHECK(real.exit_code == 100);
        CHECK(ours.exit_code == 100);
        CHECK(l.queued_files().empty());
    }
    // Deliberately different: a whole command address without a user part in the Subject
    // ("l-get.12_14") is refused by ezmlm-idx 7, which keeps the blank it leaves after a
    // Subject and then finds it in the command ("get.12_14 "); in the body it works. Ours
    // takes it in both places: the Subject is the first place a user puts a command.
    {
        l.clear_queue();
        auto [real, ours] = l.run("ezmlm-request", {"DIR"}, env,
                                  "From: d@far.example\nSubject: l-get.12_14\n\nx\n");
        CHECK(real.exit_code == 100);
        CHECK(ours.exit_code == 99);
        const auto envelopes = l.envelopes();
        REQUIRE(envelopes.size() == 1);
        CHECK(envelopes[0].find("Tl-get.12_14-dave=far.example@lists.example") !=
              std::string::npos);
    }
    // Not for it (another command: 0); bounces and senders without host (99: ignored; for
    // list-request-return-... ezmlm-idx 7 also sends the bounce on to an address that does
    // not exist, ours drops it).
    for (const auto& [sender, def, code] :
         {std::tuple<std::string, std::string, int>{"dave@far.example", "help", 0},
          {"", "request", 99},
          {"#@[]", "request", 99},
          {"dave", "request", 99},
          {"dave@far.example", "request-return-x", 99}}) {
        INFO(sender << " " << def);
        auto [real, ours] = l.run("ezmlm-request", {"DIR"},
                                  {{"SENDER", sender}, {"LOCAL", "l-" + def}, {"DEFAULT", def}},
                                  "Subject: subscribe\n\nx\n");
        CHECK(real.exit_code == code);
        CHECK(ours.exit_code == code);
    }
}

TEST_CASE("ezmlm-dispatch runs the control file the real one runs",
          "[scenario][lists][ezmlm-idx]") {
    if (qmtest::skip_without_ezmlm_idx())
        return;
    SideBySide l;
    // Lists l and l-x under both directories, each control file logging its name and the
    // $DEFAULT it sees; the manager stops with 99 before a line that must not run.
    const std::vector<std::string> files = {"editor",    "manager",   "owner",         "bouncer",
                                            "confirmer", "moderator", "digest/bouncer"};
    for (const std::string list : {"l", "l-x"})
        for (const auto& f : files) {
            std::string text =
                "# " + f + "\n|echo \"" + list + " " + f + " ${DEFAULT-unset}\" >> \"$LOG\"\n";
            if (f == "manager")
                text += "|exit 99\n|echo never >> \"$LOG\"\n";
            if (f == "owner")
                text += "&owner@far.example\n";
            l.write_both(list + "/" + f, text);
        }
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
        {{"DIR"}, "l"},
        {{"DIR"}, "l-x"},
        {{"DIR"}, "l-owner"},
        {{"DIR"}, "l-digest-owner"},
        {{"DIR"}, "l-return-5-a=b.example"},
        {{"DIR"}, "l-digest-return-5-a=b.example"},
        {{"DIR"}, "l-confirm-1.2.abc"},
        {{"DIR"}, "l-discard-1.2.abc"},
        {{"DIR"}, "l-accept-1.2.abc"},
        {{"DIR"}, "l-reject-1.2.abc"},
        {{"DIR"}, "l-subscribe-a=b.example"},
        {{"DIR"}, "l-x-help"},
        {{"DIR"}, "nolist-help"},
        {{"DIR"}, "l-../x"},
        {{"DIR", "l"}, "help"},
        {{"DIR", "l"}, ""},
        {{"DIR", "missing"}, "help"},
    };
    for (const auto& [args, def] : cases) {
        INFO(args.size() << " DEFAULT=" << def);
        l.clear_queue();
        std::map<std::string, std::string> env{{"SENDER", "dave@far.example"},
                                               {"DTLINE", "Delivered-To: lists@far.example\n"}};
        if (!def.empty())
            env["DEFAULT"] = def;
        env["LOG"] = l.tmp / "real.log";
        fs::remove(l.tmp / "real.log");
        fs::remove(l.tmp / "ours.log");
        std::vector<std::string> real_args = args, our_args = args;
        real_args[0] = l.real_dir;
        our_args[0] = l.our_dir;
        qmtest::spit(l.tmp / "message", "Subject: x\n\nbody\n");
        auto dispatch = [&](const std::string& bin, const std::vector<std::string>& words,
                            std::map<std::string, std::string> e) {
            std::vector<std::string> v{"/bin/sh", "-c", "exec \"$@\" < \"$0\"", l.tmp / "message",
                                       bin};
            v.insert(v.end(), words.begin(), words.end());
            e["QMAILQUEUE"] = l.tmp / "capture";
            e["QMAILHOME"] = l.tmp.path();
            e["CAPTURE"] = l.queued;
            return qmtest::run(v, {.env = e});
        };
        auto real = dispatch(l.ez.bin("ezmlm-dispatch"), real_args, env);
        env["LOG"] = l.tmp / "ours.log";
        auto ours = dispatch(qmtest::bin("ezmlm-dispatch"), our_args, env);
        INFO(real.err << " / " << ours.err);
        CHECK(ours.exit_code == real.exit_code);
        const auto log = [&](const char* name) {
            return fs::exists(l.tmp / name) ? qmtest::slurp(l.tmp / name) : std::string();
        };
        CHECK(log("ours.log") == log("real.log"));
        const auto queued = l.queued_files();
        const auto envelopes = l.envelopes();
        CHECK(queued.size() % 2 == 0);
        if (queued.size() == 2) {
            CHECK(queued[1] == queued[0]);
            CHECK(envelopes[1] == envelopes[0]);
        }
    }
}

TEST_CASE("ezmlm-limit moderates where the real one does", "[scenario][lists][ezmlm-idx]") {
    if (qmtest::skip_without_ezmlm_idx())
        return;
    SideBySide l;
    // No num: both refuse.
    auto [real0, ours0] = l.run("ezmlm-limit", {"DIR"});
    CHECK(real0.exit_code == 100);
    CHECK(ours0.exit_code == 100);
    // The first run starts counting at num.
    l.write_both("num", "5:10\n");
    l.both("ezmlm-limit", {"-n", "10", "DIR"});
    auto [real_count, our_count] = l.files("loopnum");
    REQUIRE(real_count);
    REQUIRE(our_count);
    CHECK(real_count->substr(0, 2) == "5:");
    CHECK(our_count->substr(0, 2) == "5:");
    // Within the limit nothing changes; at it, -d defers and the default moderates.
    l.write_both("num", "14:20\n");
    l.both("ezmlm-limit", {"-n", "10", "DIR"});
    CHECK_FALSE(fs::exists(l.our_dir + "/modpost"));
    l.write_both("num", "15:20\n");
    auto [real_defer, ours_defer] = l.run("ezmlm-limit", {"-d", "-n", "10", "DIR"});
    CHECK(real_defer.exit_code == 111);
    CHECK(ours_defer.exit_code == 111);
    CHECK_FALSE(fs::exists(l.our_dir + "/modpost"));
    l.both("ezmlm-limit", {"-n", "10", "DIR"});
    CHECK(fs::exists(l.real_dir + "/modpost"));
    CHECK(fs::exists(l.our_dir + "/modpost"));
    CHECK(l.files("loopnum").first.has_value() == l.files("loopnum").second.has_value());
    // Moderated already: left alone.
    l.both("ezmlm-limit", {"-n", "1", "DIR"});
    // Another counter file, and a count started too long ago starts again.
    fs::remove(l.real_dir + "/modpost");
    fs::remove(l.our_dir + "/modpost");
    l.write_both("hourly", "1:1000\n");
    l.both("ezmlm-limit", {"-f", "hourly", "-n", "1", "-t", "60", "DIR"});
    auto [real_hourly, our_hourly] = l.files("hourly");
    CHECK(real_hourly->substr(0, 3) == "15:");
    CHECK(our_hourly->substr(0, 3) == "15:");
}

TEST_CASE("ezmlm-import fills the archive as the real one does", "[scenario][lists][ezmlm-idx]") {
    if (qmtest::skip_without_ezmlm_idx())
        return;
    SideBySide l({"-a"});
    l.write_both("num", "2:3\n");
    const std::string mbox =
        "preamble that is dropped\n"
        "From alice@far.example Mon Jan  1 00:00:00 2024\n"
        "From: alice@far.example\nSubject: one\nDate: Mon, 1 Jan 2024 00:00:00 +0000\n\nfirst\n"
        ">From the quoted line\n\n"
        "From bob@far.example Mon Jan  2 00:00:00 2024\n"
        "From: bob@far.example\nSubject: two\nDate: Tue, 2 Jan 2024 00:00:00 +0000\n\n" +
        std::string(3000, 'x') + "\n" +
        "From carol@far.example Mon Jan  3 00:00:00 2024\n"
        "From: carol@far.example\nSubject: three\n\nlast\nno newline at the end";
    qmtest::spit(l.tmp / "mbox", mbox);
    auto [real, ours] = l.run("ezmlm-import", {"DIR", l.tmp / "mbox"});
    INFO(real.err << " / " << ours.err);
    CHECK(real.exit_code == 0);
    CHECK(ours.exit_code == 0);
    for (const char* f : {"num", "archive/0/03", "archive/0/04", "archive/0/05"}) {
        INFO(f);
        auto [r, o] = l.files(f);
        REQUIRE(r.has_value());
        CHECK(r == o);
        struct stat rs {
        }, os{};
        ::stat((l.real_dir + "/" + f).c_str(), &rs);
        ::stat((l.our_dir + "/" + f).c_str(), &os);
        CHECK((rs.st_mode & 0777) == (os.st_mode & 0777));
    }
    CHECK_FALSE(fs::exists(l.our_dir + "/archive/0/06"));
    // From standard input too, after those; then ezmlm-idx -d indexes them alike.
    auto [real2, ours2] = l.run("ezmlm-import", {"DIR"}, {}, mbox);
    CHECK(real2.exit_code == 0);
    CHECK(ours2.exit_code == 0);
    CHECK(l.files("num").first == l.files("num").second);
    l.both("ezmlm-idx", {"-d", "DIR"});
    CHECK(l.files("archive/0/index").first == l.files("archive/0/index").second);
}

TEST_CASE("ezmlm-reject -f sends a command on to list-request as the real one",
          "[scenario][lists][ezmlm-idx]") {
    if (qmtest::skip_without_ezmlm_idx())
        return;
    SideBySide l;
    const std::map<std::string, std::string> env{{"SENDER", "dave@far.example"}};
    const std::string command = "From: dave@far.example\nTo: l@lists.example\n"
                                "Subject: subscribe\n\nplease add me\n";
    auto [real, ours] = l.run("ezmlm-reject", {"-f", "DIR"}, env, command);
    INFO(real.err << " / " << ours.err);
    CHECK(real.exit_code == 99);
    CHECK(ours.exit_code == 99);
    const auto queued = l.queued_files();
    const auto envelopes = l.envelopes();
    REQUIRE(queued.size() == 2);
    CHECK(queued[1] == queued[0]);
    CHECK(envelopes[1] == envelopes[0]);
    CHECK(envelopes[1].find("Tl-request@lists.example") != std::string::npos);
    // A post is still a post; -F (the default) refuses the command; a loop is refused.
    l.clear_queue();
    auto [real_post, ours_post] =
        l.run("ezmlm-reject", {"-f", "DIR"}, env,
              "From: dave@far.example\nTo: l@lists.example\nSubject: hello\n\nhi\n");
    CHECK(real_post.exit_code == 0);
    CHECK(ours_post.exit_code == 0);
    auto [real_f, ours_f] = l.run("ezmlm-reject", {"-F", "DIR"}, env, command);
    CHECK(real_f.exit_code == 100);
    CHECK(ours_f.exit_code == 100);
    auto [real_loop, ours_loop] =
        l.run("ezmlm-reject", {"-f", "DIR"}, env,
              "Delivered-To: command forwarder for l@lists.example\n" + command);
    CHECK(real_loop.exit_code == 100);
    CHECK(ours_loop.exit_code == 100);
    CHECK(l.queued_files().empty());
}

// The cross test: a list directory made by the real ezmlm-make (archived,
// indexed, digested, with a request address as every 7.x list has) whose .qmail files run
// our programs. The real ezmlm-make writes its own bin directory into the list's editor,
// manager and other .qmail files; the test rewrites that directory prefix to ours and
// changes nothing else, as an admin substituting our programs would.
TEST_CASE("a list the real ezmlm-make made runs on our programs through its own qmail files",
          "[scenario][lists][ezmlm-idx]") {
    if (qmtest::skip_without_ezmlm_idx())
        return;
    const auto& ez = qmtest::ezmlm_idx();
    liststest::ListMta m;
    auto made = m.root.run(
        {ez.bin("ezmlm-make"), "-adu", m.dir, m.joe + "/.qmail-team", "joe-team", "test.example"});
    INFO(made.err);
    REQUIRE(made.exit_code == 0);
    const std::string real_bin = ez.dir() + "/bin/";
    const std::string our_bin = fs::path(qmtest::bin("ezmlm-send")).parent_path().string() + "/";
    size_t rewritten = 0;
    for (const auto& e : fs::recursive_directory_iterator(m.dir)) {
        if (!e.is_regular_file())
            continue;
        const std::string name = e.path().filename();
        if (name != "editor" && name != "manager" && name != "bouncer" && name != "owner" &&
            name != "confirmer" && name != "moderator")
            continue;
        std::string text = qmtest::slurp(e.path());
        for (size_t at; (at = text.find(real_bin)) != std::string::npos; ++rewritten)
            text.replace(at, real_bin.size(), our_bin);
        qmtest::spit(e.path(), text);
    }
    REQUIRE(rewritten >= 10);
    // The editor calls ezmlm-checksub and ezmlm-tstdig, the manager ezmlm-request: all ours.
    const std::string editor = qmtest::slurp(m.dir + "/editor");
    CHECK(editor.find(our_bin + "ezmlm-checksub") != std::string::npos);
    CHECK(editor.find(our_bin + "ezmlm-tstdig") != std::string::npos);
    CHECK(qmtest::slurp(m.dir + "/manager").find(our_bin + "ezmlm-request") != std::string::npos);
    qmtest::spit(m.dir + "/digcount", "2\n"); // a digest after two posts
    m.root.give_to_user(m.dir);
    m.start();

    // Subscribing by mail to list-request: ezmlm-request hands it to ezmlm-manage, which
    // asks for confirmation; the reply to that subscribes.
    m.mail_from("dave", "joe-team-request@test.example", "subscribe");
    const std::string confirm = m.wait_message_with("dave", "joe-team-sc.");
    REQUIRE_FALSE(confirm.empty());
    const auto reply_to = liststest::header_value(confirm, "Reply-To");
    REQUIRE(reply_to);
    m.mail_from("dave", *reply_to, "confirm");
    REQUIRE(m.wait_message_with("dave", "joe-team-help@test.example").size() > 0);
    REQUIRE(qmtest::wait_for(
        [&] { return m.subscribers() == std::vector<std::string>{"dave@test.example"}; }));
    m.tool("ezmlm-sub", {m.dir + "/digest", "carol@test.example"});

    // A post from a subscriber goes out (ezmlm-checksub lets it by in the editor of this
    // subscriber-only list); one from a stranger is refused with the reason.
    m.inject("From: dave@test.example\nTo: joe-team@test.example\nSubject: first post\n\nhello\n");
    CHECK(!m.wait_message_with("dave", "Subject: first post").empty());
    m.inject("From: bob@test.example\nTo: joe-team@test.example\nSubject: intruder\n\nhi\n", "bob");
    CHECK(!m.wait_message_with("bob", "subscribers only").empty());

    // Digests, by ezmlm-tstdig and ezmlm-get in the editor: the list has never sent one, so
    // the first post is due at once (48 hours since "never"); then every two (digcount).
    CHECK(!m.wait_message_with("carol", "first post").empty());
    m.inject("From: dave@test.example\nTo: joe-team@test.example\nSubject: second post\n\n2\n");
    REQUIRE(!m.wait_message_with("dave", "Subject: second post").empty());
    REQUIRE(m.wait_idle());
    for (const auto& digest : m.messages("carol"))
        CHECK(digest.find("second post") == std::string::npos); // one post: not yet due
    m.inject("From: dave@test.example\nTo: joe-team@test.example\nSubject: third post\n\n3\n");
    const std::string digest = m.wait_message_with("carol", "third post");
    CHECK(digest.find("second post") != std::string::npos);

    // get by list-request: the first post comes back to dave a second time.
    auto count_hello = [&] {
        size_t n = 0;
        for (const auto& msg : m.messages("dave"))
            n += msg.find("hello") != std::string::npos ? 1 : 0;
        return n;
    };
    REQUIRE(count_hello() == 1);
    m.mail_from("dave", "joe-team-request@test.example", "get.1");
    CHECK(qmtest::wait_for([&] { return count_hello() == 2; }));
    REQUIRE(m.wait_idle());
}
