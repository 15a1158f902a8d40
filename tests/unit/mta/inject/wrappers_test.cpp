#include "qm/inject/wrappers.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>

using qm::inject::ExecPlan;

namespace {

qm::Result<ExecPlan> plan(std::vector<std::string> a, std::string_view prog = "sendmail",
                          bool proto = false) {
    return qm::inject::sendmail_plan(prog, a, proto);
}

} // namespace

TEST_CASE("sendmail becomes qmail-inject -a or -H", "[inject][sendmail]") {
    auto p = plan({"-oi", "-i", "-odb", "-oem", "-om", "-v", "-x", "-m", "-eq", "-B8BITMIME",
                   "-pfoo", "-Exyz", "-J", "-bm", "bob@x.example", "ann"});
    REQUIRE(p);
    CHECK(p->program == "qmail-inject");
    CHECK(p->args == std::vector<std::string>{"-a", "--", "bob@x.example", "ann"});
    CHECK(p->set_env.empty());
    CHECK(p->unset_env.empty());

    auto t = plan({"-t", "-oi"});
    REQUIRE(t);
    CHECK(t->args == std::vector<std::string>{"-H", "--"});

    auto grouped = plan({"-ti", "--", "-weird"});
    REQUIRE(grouped);
    CHECK(grouped->args == std::vector<std::string>{"-H", "--", "-weird"});
}

TEST_CASE("sendmail -f sets the From user and host, -F the name", "[inject][sendmail]") {
    auto p = plan({"-f", "list-owner@l.example", "-FList Robot", "-t"});
    REQUIRE(p);
    CHECK(p->args == std::vector<std::string>{"-H", "-f", "list-owner@l.example", "--"});
    CHECK(p->unset_env ==
          std::vector<std::string>{"QMAILNAME", "MAILNAME", "NAME", "QMAILHOST", "MAILHOST"});
    using Kv = std::pair<std::string, std::string>;
    CHECK(p->set_env == std::vector<Kv>{{"QMAILHOST", "l.example"},
                                        {"QMAILUSER", "list-owner"},
                                        {"MAILNAME", "List Robot"}});
    auto path = plan({"-f<b@c.example>"});
    REQUIRE(path);
    CHECK(path->args == std::vector<std::string>{"-a", "-f", "b@c.example", "--"});
    CHECK(path->set_env == std::vector<Kv>{{"QMAILHOST", "c.example"}, {"QMAILUSER", "b"}});
    auto bare = plan({"-fbox"});
    REQUIRE(bare);
    CHECK(bare->set_env == std::vector<Kv>{{"QMAILUSER", "box"}});
}

TEST_CASE("sendmail -bp, mailq, -bs and newaliases", "[inject][sendmail]") {
    CHECK(plan({"-bp"})->program == "qmail-qread");
    CHECK(plan({}, "mailq")->program == "qmail-qread");
    auto bs = plan({"-bs"});
    REQUIRE(bs);
    CHECK(bs->program == "qmail-smtpd");
    CHECK(bs->set_env.size() == 8);
    CHECK(bs->set_env[0] == std::pair<std::string, std::string>{"RELAYCLIENT", ""});
    CHECK(bs->set_env[7] == std::pair<std::string, std::string>{"TCPREMOTEINFO", "sendmail-bs"});
    CHECK(plan({"-bs"}, "sendmail", true)->set_env.empty());
    auto na = plan({}, "newaliases");
    REQUIRE_FALSE(na);
    CHECK(na.error().permanent());
    CHECK(na.error().text == "please use fastforward/newaliases instead");
}

TEST_CASE("sendmail usage errors", "[inject][sendmail]") {
    for (std::vector<std::string> bad :
         {std::vector<std::string>{"-bx"}, {"-q"}, {"-f"}, {"-Z", "a"}, {"-bi"}}) {
        auto r = plan(bad);
        REQUIRE_FALSE(r);
        CHECK(r.error().permanent());
        CHECK(r.error().text ==
              "usage: sendmail [ -t ] [ -fsender ] [ -Fname ] [ -bp ] [ -bs ] [ arg ... ]");
    }
}

TEST_CASE("datemail adds a local Date only when missing", "[inject][datemail]") {
    ::setenv("TZ", "CET-1", 1);
    ::tzset();
    // 26 Sep 1995 04:46:54 GMT
    CHECK(qm::inject::local_date_field(812090814) == "Date: 26 Sep 1995 05:46:54 +0100\n");
    ::setenv("TZ", "EST5", 1);
    ::tzset();
    CHECK(qm::inject::local_date_field(812090814) == "Date: 25 Sep 1995 23:46:54 -0500\n");
    ::unsetenv("TZ");
    ::tzset();
    const std::string with = "Subject: x\nDATE: today\n\nbody\n";
    CHECK(qm::inject::add_date_if_missing(with, 812090814) == with);
    std::string added = qm::inject::add_date_if_missing("Subject: x\n\nDate: body\n", 812090814);
    CHECK(added.rfind("Date: 26 Sep 1995 ", 0) == 0);
    CHECK(added.substr(added.find('\n') + 1) == "Subject: x\n\nDate: body\n");
}

TEST_CASE("mailsubj message", "[inject][mailsubj]") {
    std::vector<std::string> r{"a@x.example", "Bob <b@y.example>"};
    CHECK(qm::inject::mailsubj_message("hi\nBcc: evil", r, "body\n") ==
          "Subject: hi Bcc: evil\nTo: a@x.example, Bob <b@y.example>\n\nbody\n");
}
