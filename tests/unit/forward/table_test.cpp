#include "qm/fwd/table.hpp"

#include <catch2/catch.hpp>

using namespace std::string_literals;
using qm::fwd::Record;

namespace {

std::vector<std::pair<std::string, std::string>> pairs(const std::vector<Record>& rs) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& r : rs)
        out.emplace_back(r.key, r.data);
    return out;
}

} // namespace

// The setforward example of fastforward 0.51 and the records Debian's setforward makes.
const std::string example = "root@yp.to: god@heaven.af.mil, &staff@af.mil;\n"
                            "sos@yp.to: ?owner-sos@yp.to;\n"
                            "sos@yp.to: /etc/lists/sos.bin, joe@yp.to, |archive-it;\n"
                            "news@: !/usr/bin/news-in;\n"
                            "@virt.dom: &catch\\ all@virt.dom;\n";

TEST_CASE("setforward records match fastforward 0.51 byte for byte", "[forward][table]") {
    auto r = qm::fwd::parse_setforward(example);
    REQUIRE(r);
    std::vector<Record> want = {
        {":root@yp.to", "&god@heaven.af.mil\0&staff@af.mil\0"s},
        {"?sos@yp.to", "owner-sos@yp.to"},
        {":sos@yp.to", "/etc/lists/sos.bin\0&joe@yp.to\0|archive-it\0"s},
        {":news@", "!/usr/bin/news-in\0"s},
        {":@virt.dom", "&catch all@virt.dom\0"s},
    };
    CHECK(*r == want);
}

TEST_CASE("setforward drops spaces, keeps escapes, lowercases targets only", "[forward][table]") {
    auto r = qm::fwd::parse_setforward(
        "We\\:ird\\@X: &a\\,b c, |prog -v\\;x, ?own\\ er, ./rel, /abs, !pre, #comment\n"
        "  more@x;\n"
        "a: ;\n"
        "b: ?;\n"
        "c: |;\n"
        "A@B: X@Y,,;\n");
    REQUIRE(r);
    std::vector<Record> want = {
        {"?we:ird@x", "own er"},
        {":we:ird@x", "&a,bc\0|prog-v;x\0./rel\0/abs\0!pre\0&more@x\0"s},
        {"?b", ""},
        {":c", "|\0"s},
        {":a@b", "&X@Y\0"s},
    };
    CHECK(*r == want);
}

TEST_CASE("setforward errors carry the original wording", "[forward][table]") {
    struct Case {
        std::string input, error;
    } cases[] = {
        {"a@b: x@y", "final instruction must end with semicolon"},
        {"a@b: c; d@e", "final instruction must end with semicolon"},
        {"a@b x@y;", "commas are not permitted before colons"},
        {"a,b: c;", "commas are not permitted before colons"},
        {"a@b:: x;", "double colons are not permitted"},
        {"a@b: x\0y;"s, "NUL bytes are not permitted"},
    };
    for (const auto& c : cases) {
        auto r = qm::fwd::parse_setforward(c.input);
        INFO(c.input);
        REQUIRE_FALSE(r);
        CHECK(r.error().text == c.error);
        CHECK(r.error().permanent());
    }
}

TEST_CASE("printforward output is the original's and reads back", "[forward][table]") {
    auto r = qm::fwd::parse_setforward(example);
    REQUIRE(r);
    auto text = qm::fwd::format_printforward(pairs(*r));
    REQUIRE(text);
    CHECK(*text == "root@yp.to:\n, &god@heaven.af.mil\n, &staff@af.mil\n;\n"
                   "sos@yp.to: ?owner-sos@yp.to;\n"
                   "sos@yp.to:\n, /etc/lists/sos.bin\n, &joe@yp.to\n, |archive-it\n;\n"
                   "news@:\n, !/usr/bin/news-in\n;\n"
                   "@virt.dom:\n, &catch\\ all@virt.dom\n;\n");
    auto again = qm::fwd::parse_setforward(*text);
    REQUIRE(again);
    CHECK(*again == *r);
}

TEST_CASE("printforward escapes exactly what 0.51 escapes", "[forward][table]") {
    std::string all;
    for (int c = 1; c < 256; ++c)
        all += static_cast<char>(c);
    auto text = qm::fwd::format_printforward({{":a", "&" + all + "\0"s}});
    REQUIRE(text);
    std::string want = "a:\n, &";
    for (int c = 1; c < 256; ++c) {
        if (c <= 32 || c >= 128 || c == '#' || c == ',' || c == ':' || c == ';' || c == '\\')
            want += '\\';
        want += static_cast<char>(c);
    }
    CHECK(*text == want + "\n;\n");
    // Every byte survives the round trip.
    auto back = qm::fwd::parse_setforward(*text);
    REQUIRE(back);
    REQUIRE(back->size() == 1);
    CHECK((*back)[0].data == "&" + all + "\0"s);
}

TEST_CASE("printforward refuses a table that is not a forwarding table", "[forward][table]") {
    auto text = qm::fwd::format_printforward({{"!joe", "x"}});
    REQUIRE_FALSE(text);
    CHECK(text.error().text == "bad database format");
}

TEST_CASE("setmaillist and printmaillist formats", "[forward][table]") {
    auto bin = qm::fwd::compile_maillist("god@heaven.af.mil\n&djb@silverton.berkeley.edu\n"
                                         "# comment\n\n/etc/lists/more.bin\n./rel\n"
                                         "Bob@Example.COM  \t\n|prog\nbad line\n");
    CHECK(bin == "&god@heaven.af.mil\0&djb@silverton.berkeley.edu\0/etc/lists/more.bin\0"
                 "./rel\0&Bob@Example.COM\0&|prog\0&bad line\0"s);
    auto text = qm::fwd::format_maillist(bin);
    REQUIRE(text);
    CHECK(*text == "&god@heaven.af.mil\n&djb@silverton.berkeley.edu\n/etc/lists/more.bin\n"
                   "./rel\n&Bob@Example.COM\n&|prog\n&bad line\n");
    for (auto bad : {"&a\0/x"s, "&a\0zzz\0"s, "\0"s}) {
        auto r = qm::fwd::format_maillist(bad);
        REQUIRE_FALSE(r);
        CHECK(r.error().text == "bad mailing list format");
    }
    CHECK(qm::fwd::format_maillist("") == std::string());
}
