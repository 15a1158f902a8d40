#include "qm/fwd/fastforward.hpp"
#include "qm/fwd/table.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <map>

using namespace std::string_literals;

namespace {

struct Table {
    qmtest::TempDir dir;
    std::optional<qm::cdb::Reader> db;
    std::map<std::string, std::string> lists;

    explicit Table(const std::string& setforward_text) {
        auto records = qm::fwd::parse_setforward(setforward_text);
        REQUIRE(records);
        REQUIRE(qm::fwd::write_table(dir / "t.cdb", *records));
        auto r = qm::cdb::Reader::open(dir / "t.cdb");
        REQUIRE(r);
        REQUIRE(*r);
        db = std::move(**r);
    }
    qm::Result<std::optional<qm::fwd::ForwardPlan>> expand(const std::string& rcpt,
                                                           const std::string& sender) {
        return qm::fwd::expand(*db, rcpt, sender,
                               [&](const std::string& p) -> qm::Result<std::string> {
                                   auto it = lists.find(p);
                                   if (it == lists.end())
                                       return qm::fail(qm::temp("4.3.0", "no list " + p));
                                   return it->second;
                               });
    }
};

} // namespace

TEST_CASE("fastforward expansion order, lists and owners as in 0.51", "[forward][fastforward]") {
    Table t("root@yp.to: god@heaven.af.mil, &staff@af.mil;\n"
            "sos@yp.to: ?owner-sos@yp.to;\n"
            "sos@yp.to: /etc/lists/sos.bin, joe@yp.to, |archive-it;\n");
    t.lists["/etc/lists/sos.bin"] = "&god@heaven.af.mil\0&djb@silverton.berkeley.edu\0"
                                    "./nested.bin\0&Bob@Example.COM\0"s;
    t.lists["./nested.bin"] = "&joe@x.org\0"s;
    auto p = t.expand("SOS@yp.to", "alice@ext.org");
    REQUIRE(p);
    REQUIRE(*p);
    CHECK((*p)->sender == "owner-sos@yp.to");
    CHECK((*p)->programs == std::vector<std::string>{"|archive-it"});
    CHECK((*p)->recipients == std::vector<std::string>{"god@heaven.af.mil",
                                                       "djb@silverton.berkeley.edu", "joe@x.org",
                                                       "Bob@Example.COM", "joe@yp.to"});
    // Bounces keep their sender: a bounce to a list must never go to the list owner
    // as a new message that could bounce again.
    for (auto s : {"", "#@[]"}) {
        auto b = t.expand("sos@yp.to", s);
        REQUIRE(b);
        CHECK((*b)->sender == s);
    }
    auto none = t.expand("nobody@yp.to", "a@b");
    REQUIRE(none);
    CHECK_FALSE(*none);
}

TEST_CASE("fastforward wildcards apply to the incoming address only", "[forward][fastforward]") {
    Table t("@virt.dom: &x@virt.dom, &y@virt.dom;\n"
            "x@virt.dom: &real-x@elsewhere;\n"
            "postmaster@: &admin@corp;\n"
            "@virt.dom: ?owner@virt.dom;\n");
    auto p = t.expand("anyone@virt.dom", "s@s");
    REQUIRE(p);
    REQUIRE(*p);
    CHECK((*p)->sender == "owner@virt.dom"); // owners are looked up with wildcards too
    // x@virt.dom has its own entry and is expanded; y@virt.dom is not re-matched by the
    // @virt.dom wildcard (that would loop for ever).
    CHECK((*p)->recipients == std::vector<std::string>{"real-x@elsewhere", "y@virt.dom"});
    auto pm = t.expand("PostMaster@any.host", "s@s");
    REQUIRE(pm);
    REQUIRE(*pm);
    CHECK((*pm)->recipients == std::vector<std::string>{"admin@corp"});
}

TEST_CASE("fastforward cuts loops inside the table", "[forward][fastforward]") {
    Table t("a@x: &b@x, &out@y;\n"
            "b@x: &a@x, &b@x, &out@y;\n"
            "c@x: &d@x;\n"
            "d@x: &c@x;\n");
    auto p = t.expand("a@x", "s@s");
    REQUIRE(p);
    CHECK((*p)->recipients == std::vector<std::string>{"out@y"});
    auto loop = t.expand("c@x", "s@s");
    REQUIRE(loop);
    REQUIRE(*loop);
    CHECK((*loop)->recipients.empty());
}

TEST_CASE("an address with its own owner is forwarded, not expanded", "[forward][fastforward]") {
    Table t("outer@yp.to: &sos@yp.to, &z@yp.to;\n"
            "sos@yp.to: ?owner-sos@yp.to;\n"
            "sos@yp.to: &member@x;\n");
    auto p = t.expand("outer@yp.to", "a@b");
    REQUIRE(p);
    CHECK((*p)->sender == "a@b");
    CHECK((*p)->recipients == std::vector<std::string>{"sos@yp.to", "z@yp.to"});
}

TEST_CASE("unreadable lists fail temporarily, long entries are skipped", "[forward][fastforward]") {
    Table t("l@x: /missing.bin;\nm@x: /ok.bin;\n");
    auto p = t.expand("l@x", "a@b");
    REQUIRE_FALSE(p);
    CHECK_FALSE(p.error().permanent());
    t.lists["/ok.bin"] = "&" + std::string(899, 'a') + "\0&"s + std::string(898, 'b') + "\0zz\0"s;
    auto m = t.expand("m@x", "a@b");
    REQUIRE(m);
    CHECK((*m)->recipients == std::vector<std::string>{std::string(898, 'b')});
}

TEST_CASE("load_list_file wants world-readable lists", "[forward][fastforward]") {
    qmtest::TempDir d;
    qmtest::spit(d / "l.bin", "&a@b\0"s, 0640);
    auto r = qm::fwd::load_list_file(d / "l.bin");
    REQUIRE_FALSE(r);
    CHECK(r.error().text == d / "l.bin" + " is not world-readable");
    CHECK_FALSE(r.error().permanent());
    qmtest::spit(d / "l.bin", "&a@b\0"s, 0644);
    CHECK(qm::fwd::load_list_file(d / "l.bin") == "&a@b\0"s);
    auto missing = qm::fwd::load_list_file(d / "none.bin");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().text == "unable to read " + d / "none.bin" + ": file does not exist");
}
