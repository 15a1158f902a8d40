#include "qm/smtp/policy.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>

namespace {

// A mail root holding only control files; QMAILHOME points at it while it lives.
struct ControlDir {
    qmtest::TempDir dir;
    ControlDir() {
        std::filesystem::create_directories(dir / "control");
        ::setenv("QMAILHOME", dir.path().c_str(), 1);
        control("me", "test.example\n");
    }
    ~ControlDir() { ::unsetenv("QMAILHOME"); }
    ControlDir(const ControlDir&) = delete;
    ControlDir& operator=(const ControlDir&) = delete;
    void control(const std::string& name, const std::string& content) const {
        qmtest::spit(dir / ("control/" + name), content);
    }
};

qm::smtp::Controls loaded() {
    auto c = qm::smtp::load_controls();
    REQUIRE(c);
    return std::move(*c);
}

} // namespace

TEST_CASE("policy: without rcpthosts a recipient is ours only when qmail-send delivers it here",
          "[smtp][policy]") {
    ControlDir d;
    d.control("locals", "test.example\nOther.Example\n.dotted.example\n");
    d.control("percenthack", "test.example\n");
    d.control("virtualdomains", "virtual.example:joe\n"
                                "boss@virtual.example:\n"
                                "except.example:\n"
                                ".wild.example:w\n"
                                "bad.wild.example:\n"
                                "user@single.example:bob\n"
                                "nocolon.example\n");
    d.control("localiphost", "ip.elsewhere.example\n");
    const auto c = loaded();

    // Delivered here: locals (any case), virtual domains and their wildcards, one
    // virtual address, a bare local part (envnoathost is me), a percent hack that ends
    // here and a bang path (qmail-send does not follow those).
    for (const char* ours :
         {"x@test.example", "x@TEST.Example", "x@other.example", "x@virtual.example",
          "x@Virtual.Example", "x@a.wild.example", "x@sub.bad.wild.example", "user@single.example",
          "postmaster", "victim%test.example@test.example", "victim%virtual.example@test.example",
          "elsewhere.example!victim@test.example"}) {
        INFO(ours);
        CHECK(qm::smtp::recipient_allowed(c, ours));
    }
    // Remote for qmail-send, so a relay: refused.
    for (const char* relay : {
             "x@except.example",                      // an exception line: "not virtual"
             "x@EXCEPT.example",                      //
             "boss@virtual.example",                  // an address exception in a virtual domain
             "Boss@Virtual.Example",                  //
             "x@bad.wild.example",                    // a domain exception under a wildcard
             "x@wild.example",                        // a wildcard does not cover its own domain
             "other@single.example",                  // only that one address is virtual
             "x@nocolon.example",                     // not a virtualdomains line at all
             "x@dotted.example",                      // a locals line is a domain, never a suffix
             "x@sub.dotted.example",                  //
             "x@test.example.",                       // trailing dot
             "x@[198.51.100.9]",                      // an IP literal that is no locals entry
             "x@elsewhere.example",                   //
             "victim%elsewhere.example@test.example", // percenthack: leaves this host
             "victim%elsewhere.example@TEST.EXAMPLE", //
             "a%elsewhere.example%test.example@test.example", // two rounds of it
         }) {
        INFO(relay);
        CHECK_FALSE(qm::smtp::recipient_allowed(c, relay));
    }
    // box@[one of our addresses] becomes box@localiphost, which qmail-send sends away.
    const std::string rewritten = qm::smtp::rewrite_local_ip_literal(c, "box@[127.0.0.1]");
    CHECK(rewritten == "box@ip.elsewhere.example");
    CHECK_FALSE(qm::smtp::recipient_allowed(c, rewritten));
}

TEST_CASE("policy: without rcpthosts or locals, me is the local domain", "[smtp][policy]") {
    ControlDir d;
    d.control("virtualdomains", "me.test.example:\n");
    const auto c = loaded();
    CHECK(qm::smtp::recipient_allowed(c, "x@test.example"));
    CHECK(qm::smtp::recipient_allowed(c, "box@[127.0.0.1]") == false); // not rewritten here
    CHECK(qm::smtp::recipient_allowed(c, qm::smtp::rewrite_local_ip_literal(c, "box@[127.0.0.1]")));
    CHECK_FALSE(qm::smtp::recipient_allowed(c, "x@me.test.example"));
}

TEST_CASE("policy: with rcpthosts qmail's rule holds, virtualdomains or not", "[smtp][policy]") {
    ControlDir d;
    d.control("rcpthosts", "test.example\n.sub.test.example\n");
    d.control("virtualdomains", "other.example:joe\n");
    const auto c = loaded();
    CHECK(qm::smtp::recipient_allowed(c, "x@test.example"));
    CHECK(qm::smtp::recipient_allowed(c, "x@a.sub.test.example"));
    CHECK(qm::smtp::recipient_allowed(c, "postmaster"));
    CHECK_FALSE(qm::smtp::recipient_allowed(c, "x@other.example"));
    CHECK_FALSE(qm::smtp::recipient_allowed(c, "x@sub.test.example"));
}

TEST_CASE("policy: a percenthack domain that rcpthosts accepts is named for the warning",
          "[smtp][policy]") {
    ControlDir d;
    d.control("rcpthosts", "test.example\n.sub.test.example\n");
    d.control("percenthack", "test.example\nrelay.sub.test.example\nelsewhere.example\n");
    const auto c = loaded();
    // Relayed as qmail relays them: the compatibility the warning is about.
    CHECK(qm::smtp::recipient_allowed(c, "victim%elsewhere.example@test.example"));
    CHECK(c.relaying_percenthack ==
          std::vector<std::string>{"test.example", "relay.sub.test.example"});

    ControlDir without;
    without.control("percenthack", "test.example\n");
    CHECK(loaded().relaying_percenthack.empty());
}

TEST_CASE("policy: recipient limits from controls, tcprules settings and the floor",
          "[smtp][policy]") {
    ControlDir d;
    qm::smtp::Connection conn;
    auto limits = qm::smtp::recipient_limits(loaded(), conn);
    CHECK(limits.per_message == 1000);
    CHECK(limits.per_session == 100000);

    d.control("maxrcpt", "250\n");
    d.control("maxrcptsession", "0\n");
    const auto c = loaded();
    limits = qm::smtp::recipient_limits(c, conn);
    CHECK(limits.per_message == 250);
    CHECK(limits.per_session == 100); // never below RFC 5321's 100

    qm::smtp::apply_settings(conn, {{"MAXRCPT", "5000"}, {"MAXRCPTSESSION", "9000"}});
    limits = qm::smtp::recipient_limits(c, conn);
    CHECK(limits.per_message == 5000);
    CHECK(limits.per_session == 9000);
    qm::smtp::apply_settings(conn, {{"MAXRCPT", "lots"}}); // not a number: the control file
    CHECK(qm::smtp::recipient_limits(c, conn).per_message == 250);
}

TEST_CASE("policy: the greeting delay from greetdelay, a GREETDELAY setting and the cap",
          "[smtp][policy]") {
    ControlDir d;
    qm::smtp::Connection conn;
    CHECK(qm::smtp::greet_delay(loaded(), conn) == 0); // off by default, as in qmail

    d.control("greetdelay", "5\n");
    auto c = loaded();
    CHECK(qm::smtp::greet_delay(c, conn) == 5);
    qm::smtp::apply_settings(conn, {{"GREETDELAY", "0"}}); // a trusted network's rule
    CHECK(qm::smtp::greet_delay(c, conn) == 0);
    qm::smtp::apply_settings(conn, {{"GREETDELAY", "100000"}});
    CHECK(qm::smtp::greet_delay(c, conn) == qm::smtp::max_greet_delay);

    d.control("greetdelay", "-3\n");
    CHECK(loaded().greet_delay_seconds == 0);
    d.control("greetdelay", "9999\n");
    CHECK(loaded().greet_delay_seconds == qm::smtp::max_greet_delay);
}
