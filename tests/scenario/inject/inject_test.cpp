#include "support.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <regex>

using namespace std::string_literals;
namespace fs = std::filesystem;

namespace {

// Variables that would leak the test runner's identity into From:/Return-Path.
const std::vector<std::string> identity_env = {"USER",
                                               "LOGNAME",
                                               "NAME",
                                               "MAILNAME",
                                               "QMAILNAME",
                                               "MAILUSER",
                                               "QMAILUSER",
                                               "MAILHOST",
                                               "QMAILHOST",
                                               "QMAILSUSER",
                                               "QMAILSHOST",
                                               "QMAILINJECT",
                                               "QMAILMFTFILE",
                                               "QMAILDEFAULTHOST",
                                               "QMAILDEFAULTDOMAIN",
                                               "QMAILPLUSDOMAIN",
                                               "QMAILIDHOST",
                                               "QMAILQUEUE",
                                               "PROTO"};

qmtest::RunOptions opts(std::string in, std::map<std::string, std::string> env = {}) {
    qmtest::RunOptions o;
    o.stdin_data = std::move(in);
    o.unset_env = identity_env;
    o.env = std::move(env);
    if (!o.env.count("QMAILUSER"))
        o.env["QMAILUSER"] = "joe";
    return o;
}

struct Queued {
    std::string envelope; // queue/todo/N
    std::string message;  // queue/mess/S/N
};

std::vector<Queued> queued(const qmtest::MailRoot& root) {
    std::vector<Queued> out;
    for (const std::string& id : qmtest::list_dir(root / "queue/todo")) {
        const std::string split = std::to_string(std::stoul(id) % 23);
        out.push_back({qmtest::slurp(root / ("queue/todo/" + id)),
                       qmtest::slurp(root / ("queue/mess/" + split + "/" + id))});
    }
    return out;
}

// The F and T records of a todo file, without the u and p records.
std::string sender_and_recipients(const std::string& env) {
    auto f = env.find("\0F"s);
    REQUIRE(f != std::string::npos);
    return env.substr(f + 1);
}

const std::regex date_line("Date: \\d{1,2} [A-Z][a-z]{2} \\d{4} \\d\\d:\\d\\d:\\d\\d -0000\n");

} // namespace

TEST_CASE("qmail-inject -n adds Date, Message-ID, From and Cc", "[scenario][inject]") {
    qmtest::MailRoot root;
    auto r = root.run({qmtest::bin("qmail-inject"), "-n"}, opts("Subject: hi\n\nbody"));
    REQUIRE(r.exit_code == 0);
    const std::regex whole("Return-Path: <joe@test\\.example>\n"
                           "Date: \\d{1,2} [A-Z][a-z]{2} \\d{4} \\d\\d:\\d\\d:\\d\\d -0000\n"
                           "Message-ID: <\\d{14}\\.\\d+\\.qmail@test\\.example>\n"
                           "From: joe@test\\.example\n"
                           "Cc: recipient list not shown: ;\n"
                           "Subject: hi\n\nbody\n");
    CHECK(std::regex_match(r.out, whole));
    CHECK(queued(root).empty());
}

TEST_CASE("qmail-inject -n header cases", "[scenario][inject]") {
    qmtest::MailRoot root;
    struct Case {
        std::string in;
        std::map<std::string, std::string> env;
        std::vector<std::string> args;
        std::vector<std::string> present, absent;
    };
    const Case cases[] = {
        // Bcc and Content-Length go; Return-Path becomes the envelope sender.
        {"To: a@x.example\nBcc: b@x.example\nContent-Length: 9\nReturn-Path: <rp@r.example>\n\nb\n",
         {},
         {},
         {"Return-Path: <rp@r.example>\n", "To: a@x.example\n"},
         {"Bcc", "Content-Length", "joe@test.example>"}},
        // -f wins over Return-Path.
        {"Return-Path: <rp@r.example>\nTo: a@x.example\n",
         {},
         {"-f", "me@f.example"},
         {"Return-Path: <me@f.example>\n"},
         {"rp@r.example"}},
        // QMAILINJECT=s ignores Return-Path.
        {"Return-Path: <rp@r.example>\n",
         {{"QMAILINJECT", "s"}},
         {},
         {"Return-Path: <joe@test.example>\n"},
         {"rp@r.example"}},
        // Rewriting: lone box, host without dots, plus host, source route, comma insertion.
        {"To: djb fred, x@silverton, y@z+, <@r1,@r2:w@v.example>\n",
         {},
         {},
         {"To: djb@test.example, fred@test.example, x@silverton.test.example,\n"
          "  y@z.test.example, <w@v.example>\n"},
         {}},
        // Names and comment style.
        {"",
         {{"QMAILNAME", "Joe Q. Public"}},
         {},
         {"From: \"Joe Q. Public\" <joe@test.example>\n"},
         {}},
        {"",
         {{"MAILNAME", "Joe"}, {"QMAILINJECT", "c"}, {"QMAILHOST", "mail.example"}},
         {},
         {"From: joe@mail.example (Joe)\n", "Return-Path: <joe@mail.example>\n"},
         {}},
        // Envelope sender user and host overrides.
        {"",
         {{"QMAILSUSER", "bounces"}, {"QMAILSHOST", "b.example"}},
         {},
         {"Return-Path: <bounces@b.example>\n", "From: joe@test.example\n"},
         {}},
        // VERP flags.
        {"", {{"QMAILINJECT", "r"}}, {}, {"Return-Path: <\"joe-@test.example-\"@[]>\n"}, {}},
        // Resent-.
        {"From: orig@o.example\nDate: x\nMessage-ID: <m@o>\nResent-To: n@n.example\n",
         {},
         {},
         {"\nResent-Date: ", "\nResent-Message-ID: <", "\nResent-From: joe@test.example\n"},
         {"Resent-Cc", "\nCc:"}},
        {"Resent-From: me@m.example\n", {}, {}, {"\nResent-Cc: recipient list not shown: ;\n"}, {}},
        // QMAILINJECT f and i replace From and Message-ID.
        {"From: spoof@x.example\nMessage-ID: <old@x>\n",
         {{"QMAILINJECT", "fi"}},
         {},
         {"\nFrom: joe@test.example\n"},
         {"spoof", "old@x"}},
    };
    for (const Case& c : cases) {
        INFO(c.in);
        std::vector<std::string> argv{qmtest::bin("qmail-inject"), "-n"};
        argv.insert(argv.end(), c.args.begin(), c.args.end());
        auto r = root.run(argv, opts(c.in, c.env));
        REQUIRE(r.exit_code == 0);
        INFO(r.out);
        for (const auto& p : c.present)
            CHECK(r.out.find(p) != std::string::npos);
        for (const auto& a : c.absent)
            CHECK(r.out.find(a) == std::string::npos);
    }
}

TEST_CASE("qmail-inject masquerading through controls and environment", "[scenario][inject]") {
    qmtest::MailRoot root;
    root.control("defaulthost", "mail\n"); // no dots: defaultdomain is added
    root.control("defaultdomain", "corp.example\n");
    root.control("plusdomain", "plus.example\n");
    root.control("idhost", "ids.example\n");
    const std::string in = "To: ann, bob@dev, cat@host+\n";
    auto r = root.run({qmtest::bin("qmail-inject"), "-n"}, opts(in));
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find("Return-Path: <joe@mail.corp.example>\n") != std::string::npos);
    CHECK(r.out.find("From: joe@mail.corp.example\n") != std::string::npos);
    CHECK(r.out.find("To: ann@mail.corp.example, bob@dev.corp.example, cat@host.plus.example\n") !=
          std::string::npos);
    CHECK(
        std::regex_search(r.out, std::regex("Message-ID: <\\d{14}\\.\\d+\\.qmail@ids\\.example>")));

    auto e =
        root.run({qmtest::bin("qmail-inject"), "-n"}, opts(in, {{"QMAILDEFAULTHOST", "h.example"},
                                                                {"QMAILDEFAULTDOMAIN", "d.example"},
                                                                {"QMAILPLUSDOMAIN", "p.example"},
                                                                {"QMAILIDHOST", "i.example"}}));
    REQUIRE(e.exit_code == 0);
    CHECK(e.out.find("To: ann@h.example, bob@dev.d.example, cat@host.p.example\n") !=
          std::string::npos);
    CHECK(e.out.find(".qmail@i.example>") != std::string::npos);
}

TEST_CASE("qmail-inject Mail-Followup-To from QMAILMFTFILE", "[scenario][inject]") {
    qmtest::MailRoot root;
    const std::string mft = root / "lists";
    qmtest::spit(mft, "# my lists\nList@L.example\n");
    root.give_to_user(mft);
    auto r = root.run({qmtest::bin("qmail-inject"), "-n"},
                      opts("To: list@l.example\nCc: ann@a.example\n", {{"QMAILMFTFILE", mft}}));
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find("Mail-Followup-To: list@l.example,\n  ann@a.example\n") != std::string::npos);
    auto none = root.run({qmtest::bin("qmail-inject"), "-n"},
                         opts("To: ann@a.example\n", {{"QMAILMFTFILE", mft}}));
    CHECK(none.out.find("Mail-Followup-To") == std::string::npos);
}

TEST_CASE("qmail-inject queues: envelope and message on disk", "[scenario][inject]") {
    qmtest::MailRoot root;
    auto r = root.run({qmtest::bin("qmail-inject")},
                      opts("To: ann@a.example, bob\nBcc: hidden@h.example\nSubject: s\n\nbody\n"));
    REQUIRE(r.exit_code == 0);
    CHECK(r.err.empty());
    auto q = queued(root);
    REQUIRE(q.size() == 1);
    CHECK(q[0].envelope.rfind("u", 0) == 0);
    CHECK(q[0].envelope.find("\0p"s) != std::string::npos);
    CHECK(sender_and_recipients(q[0].envelope) ==
          "Fjoe@test.example\0Tann@a.example\0Tbob@test.example\0Thidden@h.example\0"s);
    const std::string& m = q[0].message;
    CHECK(m.rfind("Received: (qmail ", 0) == 0);
    CHECK(std::regex_search(m, date_line));
    CHECK(m.find("\nFrom: joe@test.example\nTo: ann@a.example, bob@test.example\nSubject: s\n"
                 "\nbody\n") != std::string::npos);
    CHECK(m.find("hidden") == std::string::npos);
}

TEST_CASE("qmail-inject takes the recipients qmail takes from a header that does not parse",
          "[scenario][inject]") {
    // qmail reads an address list right to left and hands each address to its rewriting
    // as it meets it; a syntax error (an unquoted ':' outside a group, a group that is not
    // closed, a '>' without '<') stops the scan, and what it met before still goes in the
    // envelope while the header stays as written. Each expectation below is what
    // notqmail's qmail-inject (a7012e4) put in its envelope; qmail lists a field's
    // recipients right to left, ours left to right.
    struct Case {
        const char* field;
        std::string recipients; // T records, in our order
    };
    const Case cases[] = {
        {"To: a:b@x.example", "Tb@x.example\0"s},
        {"To: group: b@x.example, c@y.example", "Tb@x.example\0Tc@y.example\0"s},
        {"To: a:b@x.example, \"q:r\" <c@y.example>", "Tb@x.example\0Tc@y.example\0"s},
        {"Cc: list: d@z.example", "Td@z.example\0"s},
        {"To: a:b:c@x.example", "Tc@x.example\0"s},
        {"To: a@b.example:c@d.example", "Tc@d.example\0"s},
        // Left of the error nothing is taken: c@z.example is lost in qmail too.
        {"To: c@z.example, a:b@x.example", "Tb@x.example\0"s},
        {"To: x@y.example, g: a@b.example", "Ta@b.example\0"s},
        {"To: u@v.example>, w@x.example", "Tu@v.example\0Tw@x.example\0"s},
        // Rewritten for the envelope like any recipient, while the header stays as it is.
        {"To: a:bob", "Tbob@test.example\0"s},
    };
    for (const Case& c : cases) {
        INFO(c.field);
        qmtest::MailRoot root;
        auto r = root.run({qmtest::bin("qmail-inject")},
                          opts(std::string(c.field) + "\nSubject: s\n\nbody\n"));
        REQUIRE(r.exit_code == 0);
        auto q = queued(root);
        REQUIRE(q.size() == 1);
        CHECK(sender_and_recipients(q[0].envelope) == "Fjoe@test.example\0"s + c.recipients);
        CHECK(q[0].message.find("\n" + std::string(c.field) + "\n") != std::string::npos);
    }
    // Nothing to the right of the error: no recipients. notqmail then queues a message for
    // nobody (exit 0); we refuse it as with no recipient field at all, as Postfix's
    // sendmail -t does ("No recipient addresses found in header").
    qmtest::MailRoot root;
    auto none = root.run({qmtest::bin("qmail-inject")}, opts("To: a:\nSubject: s\n\nbody\n"));
    CHECK(none.exit_code == 100);
    CHECK(none.err.find("no recipients") != std::string::npos);
    // A sender field that does not parse is still a fatal syntax error.
    auto from = root.run({qmtest::bin("qmail-inject")},
                         opts("From: a:b@x.example\nTo: t@x.example\n\nbody\n"));
    CHECK(from.exit_code == 100);
    CHECK(from.err.find("unable to parse this line: From: a:b@x.example") != std::string::npos);
}

TEST_CASE("qmail-inject argument recipients, -f, -h and -H", "[scenario][inject]") {
    qmtest::MailRoot root;
    const std::string in = "To: t@x.example\n\nb\n";
    REQUIRE(root.run({qmtest::bin("qmail-inject"), "-f", "s@f.example", "arg@y.example"}, opts(in))
                .exit_code == 0);
    REQUIRE(root.run({qmtest::bin("qmail-inject"), "-H", "-f", "", "arg@y.example"}, opts(in))
                .exit_code == 0);
    auto q = queued(root);
    REQUIRE(q.size() == 2);
    std::vector<std::string> envs{sender_and_recipients(q[0].envelope),
                                  sender_and_recipients(q[1].envelope)};
    std::sort(envs.begin(), envs.end());
    CHECK(envs[0] == "F\0Targ@y.example\0Tt@x.example\0"s);
    CHECK(envs[1] == "Fs@f.example\0Targ@y.example\0"s);
}

TEST_CASE("qmail-inject VERP sender with QMAILINJECT=r and m", "[scenario][inject]") {
    qmtest::MailRoot root;
    REQUIRE(root.run({qmtest::bin("qmail-inject"), "a@x.example"},
                     opts("Subject: r\n", {{"QMAILINJECT", "r"}}))
                .exit_code == 0);
    auto q = queued(root);
    REQUIRE(q.size() == 1);
    CHECK(sender_and_recipients(q[0].envelope) == "Fjoe-@test.example-@[]\0Ta@x.example\0"s);
    auto m = root.run({qmtest::bin("qmail-inject"), "-n", "a@x.example"},
                      opts("", {{"QMAILINJECT", "m"}}));
    CHECK(std::regex_search(m.out, std::regex("Return-Path: <joe-\\d+\\.\\d+@test\\.example>\n")));
}

TEST_CASE("qmail-inject errors: usage, syntax, no recipients, qq failure, missing me",
          "[scenario][inject]") {
    qmtest::MailRoot root;
    auto usage = root.run({qmtest::bin("qmail-inject"), "-x"}, opts(""));
    CHECK(usage.exit_code == 100);
    CHECK(usage.err.find("usage: qmail-inject") != std::string::npos);

    auto syntax = root.run({qmtest::bin("qmail-inject"), "a@x.example"},
                           opts("From: \"broken\nTo: a@x.example\n"));
    CHECK(syntax.exit_code == 100);
    CHECK(syntax.err == "qmail-inject: fatal: unable to parse this line: From: \"broken\n");

    auto none = root.run({qmtest::bin("qmail-inject")}, opts("Subject: nobody\n"));
    CHECK(none.exit_code == 100);
    CHECK(none.err == "qmail-inject: fatal: no recipients\n");

    auto qq = root.run({qmtest::bin("qmail-inject"), "a@x.example"},
                       opts("x\n", {{"QMAILQUEUE", "/bin/false"}}));
    CHECK(qq.exit_code == 111);
    CHECK(qq.err.rfind("qmail-inject: fatal: ", 0) == 0);
    CHECK(queued(root).empty());

    fs::remove(root / "control/me");
    auto me = root.run({qmtest::bin("qmail-inject"), "a@x.example"}, opts("x\n"));
    CHECK(me.exit_code == 111);
    CHECK(me.err.find(root / "control/me") != std::string::npos);
    // Everything me would have given comes from the environment: no need for it.
    auto env = root.run({qmtest::bin("qmail-inject"), "-n", "a@x.example"},
                        opts("x\n", {{"QMAILDEFAULTHOST", "h.example"},
                                     {"QMAILDEFAULTDOMAIN", "d.example"},
                                     {"QMAILPLUSDOMAIN", "p.example"},
                                     {"QMAILIDHOST", "i.example"}}));
    CHECK(env.exit_code == 0);
}

TEST_CASE("qmail-inject passes NUL bytes and huge lines through", "[scenario][inject]") {
    qmtest::MailRoot root;
    const std::string body = "nul\0byte\n"s + std::string(3 << 20, 'x') + "\nend";
    auto r = root.run({qmtest::bin("qmail-inject"), "a@x.example"},
                      opts("Subject: big\nX-Long: " + std::string(100000, 'y') + "\n\n" + body));
    REQUIRE(r.exit_code == 0);
    auto q = queued(root);
    REQUIRE(q.size() == 1);
    const std::string& m = q[0].message;
    CHECK(m.size() > body.size());
    CHECK(m.substr(m.size() - body.size() - 2) == "\n" + body + "\n");
    CHECK(m.find("\nX-Long: " + std::string(100000, 'y') + "\n") != std::string::npos);
    // A NUL inside a recipient address cannot go into the envelope.
    auto nul = root.run({qmtest::bin("qmail-inject")}, opts("To: a\0b@x.example\n"s));
    CHECK(nul.exit_code == 100);
}

TEST_CASE("sendmail -t -f -F -oi queues through qmail-inject", "[scenario][inject][sendmail]") {
    qmtest::MailRoot root;
    auto r = root.run({qmtest::bin("sendmail"), "-oi", "-t", "-f", "owner@lists.example", "-F",
                       "List Robot", "extra@e.example"},
                      opts("To: ann@a.example\nSubject: s\n\nbody\n.\nmore\n",
                           {{"NAME", "Someone Else"}, {"QMAILHOST", "wrong.example"}}));
    REQUIRE(r.exit_code == 0);
    auto q = queued(root);
    REQUIRE(q.size() == 1);
    CHECK(sender_and_recipients(q[0].envelope) ==
          "Fowner@lists.example\0Textra@e.example\0Tann@a.example\0"s);
    CHECK(q[0].message.find("\nFrom: \"List Robot\" <owner@lists.example>\n") != std::string::npos);
    CHECK(q[0].message.find("\nbody\n.\nmore\n") != std::string::npos); // -oi: '.' is data

    // Without -t only the arguments are recipients.
    auto a = root.run({qmtest::bin("sendmail"), "bob@b.example"}, opts("To: ann@a.example\n\nx\n"));
    REQUIRE(a.exit_code == 0);
    bool found = false;
    for (const auto& m : queued(root))
        found =
            found || sender_and_recipients(m.envelope) == "Fjoe@test.example\0Tbob@b.example\0"s;
    CHECK(found);

    auto bad = root.run({qmtest::bin("sendmail"), "-bz"}, opts(""));
    CHECK(bad.exit_code == 100);
    CHECK(bad.err == "sendmail: usage: sendmail [ -t ] [ -fsender ] [ -Fname ] [ -bp ] [ -bs ] "
                     "[ arg ... ]\n");
}

TEST_CASE("mailq and sendmail -bp run qmail-qread, newaliases is refused",
          "[scenario][inject][sendmail]") {
    qmtest::MailRoot root;
    REQUIRE(root.run({qmtest::bin("qmail-inject"), "queued@q.example"}, opts("x\n")).exit_code ==
            0);
    const std::string links = root / "links";
    fs::create_directories(links);
    fs::create_symlink(qmtest::bin("sendmail"), links + "/mailq");
    fs::create_symlink(qmtest::bin("sendmail"), links + "/newaliases");
    root.give_to_user(links);
    auto bp = root.run({qmtest::bin("sendmail"), "-bp"}, opts(""));
    auto mq = root.run({links + "/mailq"}, opts(""));
    CHECK(bp.exit_code == mq.exit_code);
    CHECK(bp.out == mq.out);
    if (fs::exists(qmtest::bin("qmail-qread"))) {
        CHECK(bp.exit_code == 0);
        CHECK(bp.out.find("queued@q.example") != std::string::npos);
    } else {
        CHECK(bp.exit_code == 111);
        CHECK(bp.err.find("unable to run qmail-qread") != std::string::npos);
    }
    auto na = root.run({links + "/newaliases"}, opts(""));
    CHECK(na.exit_code == 100);
    CHECK(na.err == "sendmail: fatal: please use fastforward/newaliases instead\n");
}

TEST_CASE("sendmail -bs runs qmail-smtpd or says clearly that it cannot",
          "[scenario][inject][sendmail]") {
    qmtest::MailRoot root;
    auto r = root.run({qmtest::bin("sendmail"), "-bs"}, opts("QUIT\r\n"));
    if (fs::exists(qmtest::bin("qmail-smtpd"))) {
        CHECK(r.out.rfind("220 ", 0) == 0);
        CHECK(r.out.find("221 ") != std::string::npos);
    } else {
        CHECK(r.exit_code == 111);
        CHECK(r.err.rfind("sendmail: fatal: unable to run qmail-smtpd: ", 0) == 0);
    }
}

TEST_CASE("datemail adds a local Date, mailsubj builds Subject and To",
          "[scenario][inject][sendmail]") {
    qmtest::MailRoot root;
    auto d = root.run({qmtest::bin("datemail"), "-t"},
                      opts("To: ann@a.example\n\nbody\n", {{"TZ", "EST5"}}));
    REQUIRE(d.exit_code == 0);
    auto s = root.run({qmtest::bin("mailsubj"), "weekly report", "bob@b.example", "cat"},
                      opts("numbers\n"));
    REQUIRE(s.exit_code == 0);
    auto q = queued(root);
    REQUIRE(q.size() == 2);
    int seen = 0;
    for (const auto& m : q) {
        if (m.message.find("\nSubject: weekly report\n") != std::string::npos) {
            ++seen;
            CHECK(sender_and_recipients(m.envelope) ==
                  "Fjoe@test.example\0Tbob@b.example\0Tcat@test.example\0"s);
            CHECK(m.message.find("\nTo: bob@b.example, cat@test.example\n\nnumbers\n") !=
                  std::string::npos);
        } else {
            ++seen;
            CHECK(std::regex_search(m.message, std::regex("\nDate: \\d{1,2} [A-Z][a-z]{2} \\d{4} "
                                                          "\\d\\d:\\d\\d:\\d\\d -0500\n")));
            CHECK_FALSE(std::regex_search(m.message, date_line)); // no GMT Date added
            CHECK(sender_and_recipients(m.envelope) == "Fjoe@test.example\0Tann@a.example\0"s);
        }
    }
    CHECK(seen == 2);
    auto usage = root.run({qmtest::bin("mailsubj"), "only-subject"}, opts(""));
    CHECK(usage.exit_code == 100);
}

TEST_CASE("the injection programs answer --help", "[scenario][inject]") {
    for (const char* p : {"qmail-inject", "sendmail", "datemail", "mailsubj"}) {
        auto r = qmtest::run({qmtest::bin(p), "--help"});
        INFO(p);
        CHECK(r.exit_code == 0);
        CHECK(r.out.rfind("usage: ", 0) == 0);
    }
}

TEST_CASE("qmail-inject removes Authentication-Results fields with qmail-smtpd's authserv-id "
          "once control/authcheck is there",
          "[scenario][inject][mailauth]") {
    qmtest::MailRoot root;
    const std::string in = "Authentication-Results: mx.test.example; dmarc=pass "
                           "header.from=bank.example\nSubject: hi\n\nbody";
    auto before = root.run({qmtest::bin("qmail-inject"), "-n"}, opts(in));
    REQUIRE(before.exit_code == 0);
    CHECK(before.out.find("header.from=bank.example") != std::string::npos);
    root.control("authcheck", "dkim\n");
    root.control("authservid", "mx.test.example\n");
    auto after = root.run({qmtest::bin("qmail-inject"), "-n"}, opts(in));
    REQUIRE(after.exit_code == 0);
    CHECK(after.out.find("Authentication-Results") == std::string::npos);
    CHECK(after.out.find("Subject: hi\n") != std::string::npos);
}
