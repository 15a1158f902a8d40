#include "qm/fd.hpp"
#include "qm/fwd/aliases.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>

using namespace std::string_literals;
using qm::fwd::Record;

namespace {

const qm::fwd::Qualify yp{"mail.yp.to", "yp.to", "yp.to", "mail.yp.to"};
const qm::fwd::Qualify distinct{"dh.example", "dd.example", "pd.example", "me.example"};

qm::Result<std::vector<Record>> compile(const std::string& text,
                                        const qm::fwd::Qualify& q = distinct) {
    std::vector<Record> out;
    auto r = qm::fwd::compile_aliases(text, "/etc/aliases", q,
                                      [&](std::string_view k, std::string_view d) -> qm::Status {
                                          out.push_back({std::string(k), std::string(d)});
                                          return {};
                                      });
    if (!r)
        return qm::fail(r.error());
    return out;
}

} // namespace

TEST_CASE("the fastforward worked example gives Debian's records", "[forward][aliases]") {
    auto r = compile("root: alice, bill (the admin)\n"
                     "staff: :include:/etc/staff-list\n"
                     "owner-staff: Staff Admin <admin@yp.to>\n"
                     "weather: \"|weather-server --city x\"\n"
                     "hostmaster@yp.to:\n"
                     "   fred,\n"
                     "\n"
                     "   Joe Shmoe <shmoe@heaven.af.mil>\n"
                     "@virt.dom: catchall\n",
                     yp);
    REQUIRE(r);
    std::vector<Record> want = {
        {":root@", "&bill@mail.yp.to\0&alice@mail.yp.to\0"s},
        {":staff@", "/etc/staff-list.bin\0"s},
        {"?staff@", "owner-staff@mail.yp.to"},
        {":owner-staff@", "&admin@yp.to\0"s},
        {":weather@", "!weather-server --city x\0"s},
        {":hostmaster@yp.to", "&shmoe@heaven.af.mil\0&fred@mail.yp.to\0"s},
        {":@virt.dom", "&catchall@mail.yp.to\0"s},
    };
    CHECK(*r == want);
}

// Each line compiled alone, with the record Debian's newaliases writes for it (checked
// against the real binary; tests/scenario/forward/cross_compat_test.cpp repeats that).
TEST_CASE("aliases lines compile like newaliases 0.51", "[forward][aliases]") {
    struct Case {
        std::string line, key, data;
    } cases[] = {
        {"nocolon joe", ":nocolon@", "&joe@dh.example\0"s},
        {"a: b c d", ":a@", "&d@dh.example\0&c@dh.example\0&b@dh.example\0"s},
        {"a: \"|prog x\", b@c", ":a@", "!prog x\0&b@c.dd.example\0"s},
        {"a: |prog x y", ":a@", "&y@dh.example\0!prog\0&x@dh.example\0"s},
        {"a: b, \"|p\", c", ":a@", "!p\0&c@dh.example\0&b@dh.example\0"s},
        {"grp: friends: a@b, c@d;", ":grp@",
         "&c@d.dd.example\0&a@b.dd.example\0&friends@dh.example\0"s},
        {"a: x@host, y@host+, z@[1.2.3.4], w@b., v@[x]", ":a@",
         "&v@[x].dd.example\0&w@b.\0&z@[1.2.3.4]\0&y@host.pd.example\0&x@host.dd.example\0"s},
        {"a: \"spaced out\"@h, \"q x\"", ":a@", "&q x@dh.example\0&spaced out@h.dd.example\0"s},
        {"A@B.COM: Bob@Example.COM", ":a@b.com", "&Bob@Example.COM\0"s},
        {"a: b <c@d> (e) f", ":a@", "&f@dh.example\0&c@d.dd.example\0"s},
        {"  lead: x", ":lead@", "&x@dh.example\0"s},
        {"a: :include: /x/y, :include:rel", ":a@", "./rel.bin\0/x/y.bin\0"s},
        {"a: : include : \"/p q\"", ":a@", "/p q.bin\0"s},
        {"a: \":include:/x\"", ":a@", "&:include:/x@dh.example\0"s},
        {"Owner-foo: bob", ":owner-foo@", "&bob@dh.example\0"s},
        {"a: \\bob", ":a@", "&bob@dh.example\0"s},
        {"a: b@c@d", ":a@", "&b@c@d.dd.example\0"s},
        {"a: <\"|x y\">", ":a@", "!x y\0"s},
        {"\"quoted target\": x", ":quoted target@", "&x@dh.example\0"s},
        {"a: b . c @ d . e", ":a@", "&b.c@d.e\0"s},
        {"a: <b,c>", ":a@", "&b,c@dh.example\0"s},
        {"a: \"q r\"@;", ":a@", "&q r@dh.example\0"s},
        {"a: |x@y, \"|x\"@y", ":a@", "&|x@y.dd.example\0&|x@y.dd.example\0"s},
        {"@virt.dom: z", ":@virt.dom", "&z@dh.example\0"s},
        {"a: b\r", ":a@", "&b@dh.example\0"s},
    };
    for (const auto& c : cases) {
        INFO(c.line);
        auto r = compile(c.line + "\n");
        REQUIRE(r);
        REQUIRE(r->size() == 1);
        CHECK((*r)[0].key == c.key);
        CHECK((*r)[0].data == c.data);
    }
}

TEST_CASE("owner- aliases set the owner of the list", "[forward][aliases]") {
    auto r = compile("owner-foo@Dom.ain: bob\nowner-x: y\n");
    REQUIRE(r);
    std::vector<Record> want = {
        {"?foo@dom.ain", "owner-foo@Dom.ain"},
        {":owner-foo@dom.ain", "&bob@dh.example\0"s},
        {"?x@", "owner-x@me.example"},
        {":owner-x@", "&y@dh.example\0"s},
    };
    CHECK(*r == want);
}

TEST_CASE("continuations and comments", "[forward][aliases]") {
    auto r = compile("# a comment\n"
                     "\tcomment continuation: evil@x\n"
                     "a: b,\n"
                     "\n"
                     " c\n"
                     "\n"
                     "d: e\n");
    REQUIRE(r);
    std::vector<Record> want = {
        {":a@", "&c@dh.example\0&b@dh.example\0"s},
        {":d@", "&e@dh.example\0"s},
    };
    CHECK(*r == want);
}

// The table of malformed lines with the exact error each one gets.
TEST_CASE("malformed aliases lines: file, line and reason", "[forward][aliases]") {
    struct Case {
        std::string text, error;
    } cases[] = {
        {"f:", "/etc/aliases:1: unable to parse this line (no recipients): f:"},
        {"foo", "/etc/aliases:1: unable to parse this line (no recipients): foo"},
        {"ok: x\n\nbad: \"x", "/etc/aliases:3: unable to parse this line "
                              "(unterminated quoted string): bad: \"x"},
        {"a: (x", "/etc/aliases:1: unable to parse this line (unterminated comment): a: (x"},
        {"a: y@[x", "/etc/aliases:1: unable to parse this line (unterminated domain literal): "
                    "a: y@[x"},
        {"a: <b", "/etc/aliases:1: unable to parse this line ('<' without '>'): a: <b"},
        {"a: b>", "/etc/aliases:1: unable to parse this line ('>' without '<'): a: b>"},
        {"a: <<b>>", "/etc/aliases:1: unable to parse this line ('<' inside '<...>'): a: <<b>>"},
        {"a: .b", "/etc/aliases:1: unable to parse this line (address starts with '.'): a: .b"},
        {"a: @b", "/etc/aliases:1: unable to parse this line (address starts with '@'): a: @b"},
        {"a@: b", "/etc/aliases:1: unable to parse this line (bad alias name): a@: b"},
        {"a: b\\", "/etc/aliases:1: unable to parse this line (backslash at end of line): a: b\\"},
        {"a: <>", "/etc/aliases:1: empty recipient addresses not permitted"},
        {"a: \"\"", "/etc/aliases:1: empty recipient addresses not permitted"},
        {"f: /var/mail/f", "/etc/aliases:1: file delivery /var/mail/f not supported"},
        {"f: \"/var/mail/f\"", "/etc/aliases:1: file delivery /var/mail/f not supported"},
        {"a: :include:", "/etc/aliases:1: empty :include: filenames not permitted"},
        {"a: :include: , b", "/etc/aliases:1: empty :include: filenames not permitted"},
        {"a: :include: <x>", "/etc/aliases:1: empty :include: filenames not permitted"},
        {"a: :include:\"x\0y\""s, "/etc/aliases:1: NUL not permitted in :include: filenames"},
        {"a: b,\n  c\nd:\n", "/etc/aliases:3: unable to parse this line (no recipients): d:"},
        {"a: \"x\0y\""s, "/etc/aliases:1: NUL not permitted in addresses"},
    };
    for (const auto& c : cases) {
        INFO(c.text);
        auto r = compile(c.text + "\n");
        REQUIRE_FALSE(r);
        CHECK(r.error().text == c.error);
        CHECK(r.error().permanent());
    }
}

TEST_CASE("newinclude lists", "[forward][aliases]") {
    auto bin = qm::fwd::compile_include("alice, bob@x (Bob)\n# comment\nBob Jones <bj@y>\n"
                                        ":include:/z\n  cont: x\nq: :include: rel\n"
                                        "b, :include:/x, c\n",
                                        "list", distinct);
    REQUIRE(bin);
    CHECK(*bin == "&bob@x.dd.example\0&alice@dh.example\0&bj@y.dd.example\0/z\0"
                  "&x@dh.example\0&cont@dh.example\0./rel\0&q@dh.example\0"
                  "&c@dh.example\0/x\0&b@dh.example\0"s);
    auto prog = qm::fwd::compile_include("a\n\"|p\"\n", "list", distinct);
    REQUIRE_FALSE(prog);
    CHECK(prog.error().text == "list:2: program delivery |p not supported");
    auto file = qm::fwd::compile_include("/var/x\n", "list", distinct);
    REQUIRE_FALSE(file);
    CHECK(file.error().text == "list:1: file delivery /var/x not supported");
}

TEST_CASE("compiling from a file in blocks gives the same records", "[forward][aliases]") {
    // Lines of many lengths so that lines and continuations straddle the 64 KiB blocks,
    // and a last line without its newline.
    std::string text;
    for (int i = 0; i < 6000; ++i) {
        text += "a" + std::to_string(i) + ": " + std::string(static_cast<size_t>(i % 37 + 1), 'x') +
                "@h" + std::to_string(i) + ",\n";
        if (i % 3 == 0)
            text += "\t\"|prog " + std::to_string(i) + "\",\n\n";
        text += "  tail" + std::to_string(i) + "\n";
    }
    text += "last: one";
    auto in_memory = compile(text);
    REQUIRE(in_memory);
    qmtest::TempDir d;
    qmtest::spit(d / "aliases", text);
    qm::UniqueFd fd(::open((d / "aliases").c_str(), O_RDONLY));
    REQUIRE(fd);
    std::vector<Record> streamed;
    auto r = qm::fwd::compile_aliases_fd(fd.get(), "aliases", distinct,
                                         [&](std::string_view k, std::string_view v) -> qm::Status {
                                             streamed.push_back({std::string(k), std::string(v)});
                                             return {};
                                         });
    REQUIRE(r);
    CHECK(streamed == *in_memory);
    CHECK(streamed.size() == 6001);
    CHECK(streamed.back() == Record{":last@", "&one@dh.example\0"s});
}
