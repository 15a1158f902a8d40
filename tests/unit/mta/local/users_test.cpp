#include "qm/cdb.hpp"
#include "qm/local/pw2u.hpp"
#include "qm/local/users.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <map>

using namespace std::string_literals;

namespace {

qm::local::CdbFind finder(const std::map<std::string, std::string>& m) {
    return [&m](std::string_view k) -> std::optional<std::string> {
        auto it = m.find(std::string(k));
        if (it == m.end())
            return std::nullopt;
        return it->second;
    };
}

std::map<std::string, std::string> as_map(const qm::local::UsersTable& t) {
    std::map<std::string, std::string> m;
    for (auto& r : t.records)
        m.emplace(r.key, r.value);
    m.emplace("", t.wildchars);
    return m;
}

} // namespace

TEST_CASE("users/assign lines become qmail-newu's records", "[local][users]") {
    auto t = qm::local::parse_assign("=Joe:joe:1001:100:/home/joe:::\n"
                                     "+joe-:joe:1001:100:/home/joe:-::\n"
                                     "+list.:lists:1002:100:/home/lists:-:l-:\n"
                                     "+:alias:7790:2108:/var/qmail/alias:-::\n"
                                     ".\n"
                                     "ignored after the dot\n");
    REQUIRE(t);
    REQUIRE(t->records.size() == 4);
    CHECK(t->records[0].key == "!joe\0"s);
    CHECK(t->records[0].value == "joe\0"s
                                 "1001\0"s
                                 "100\0"s
                                 "/home/joe\0"s
                                 "\0"s);
    CHECK(t->records[1].key == "!joe-");
    CHECK(t->records[1].value == "joe\0"s
                                 "1001\0"s
                                 "100\0"s
                                 "/home/joe\0"s
                                 "-\0"s);
    CHECK(t->records[2].key == "!list.");
    CHECK(t->records[2].value == "lists\0"s
                                 "1002\0"s
                                 "100\0"s
                                 "/home/lists\0"s
                                 "-\0"s
                                 "l-");
    CHECK(t->records[3].key == "!");
    CHECK(t->wildchars == "-.");
}

TEST_CASE("a malformed assign line is named by its number", "[local][users]") {
    struct Case {
        std::string text;
        unsigned line;
    } cases[] = {
        {"=joe:joe:1:1:/h:::\n=bad:joe:1:1:/h\n.\n", 2},
        {"=joe:joe:1:1:/h:::\n", 2},               // no "." line
        {"=joe:joe:x:1:/h:::\n.\n", 1},            // uid not a number
        {"joe:joe:1:1:/h:::\n.\n", 1},             // no = or +
        {"=joe:joe:1:1:/h:::\n=b:b:1:1:/h:::", 2}, // no final newline
    };
    for (auto& c : cases) {
        auto t = qm::local::parse_assign(c.text, "users/assign");
        REQUIRE_FALSE(t);
        INFO(t.error().text);
        CHECK(t.error().text.find("users/assign line " + std::to_string(c.line) + ":") !=
              std::string::npos);
    }
}

TEST_CASE("users/cdb lookup: exact beats wildcard, longest prefix wins", "[local][users]") {
    auto t = qm::local::parse_assign("=joe:joe:1001:100:/home/joe:::\n"
                                     "+joe-:joe:1001:100:/home/joe:-::\n"
                                     "+joe-list-:lists:1002:100:/home/lists:-:jl-:\n"
                                     "+:alias:7790:2108:/q/alias:-::\n"
                                     ".\n");
    REQUIRE(t);
    auto m = as_map(*t);
    auto find = finder(m);

    auto r = qm::local::lookup_users(find, "JOE");
    REQUIRE(r);
    REQUIRE(*r);
    CHECK((*r)->user == "joe");
    CHECK((*r)->uid == 1001);
    CHECK((*r)->gid == 100);
    CHECK((*r)->home == "/home/joe");
    CHECK((*r)->dash == "");
    CHECK((*r)->ext == "");

    r = qm::local::lookup_users(find, "joe-Direct");
    REQUIRE(r);
    REQUIRE(*r);
    CHECK((*r)->user == "joe");
    CHECK((*r)->dash == "-");
    CHECK((*r)->ext == "Direct"); // the rest keeps its case

    r = qm::local::lookup_users(find, "joe-list-sub");
    REQUIRE(*r);
    CHECK((*r)->user == "lists");
    CHECK((*r)->ext == "jl-sub");

    r = qm::local::lookup_users(find, "postmaster");
    REQUIRE(*r);
    CHECK((*r)->user == "alias");
    CHECK((*r)->ext == "postmaster");
}

TEST_CASE("wildcard prefixes only end at a listed character", "[local][users]") {
    // "+jo-" makes '-' a wildcard end; "joe" may not match prefix "jo" because 'o' is not
    // a wildcard character.
    auto t = qm::local::parse_assign("+jo-:jo:5:5:/h/jo:-::\n.\n");
    REQUIRE(t);
    auto m = as_map(*t);
    m.emplace("!jo", "x\0"s
                     "6\0"s
                     "6\0"s
                     "/h/x\0"s
                     "\0"s); // a record no '+' line could make
    auto r = qm::local::lookup_users(finder(m), "joe");
    REQUIRE(r);
    CHECK_FALSE(*r);
    r = qm::local::lookup_users(finder(m), "jo-x");
    REQUIRE(*r);
    CHECK((*r)->user == "jo");
    CHECK((*r)->ext == "x");
}

TEST_CASE("a users/cdb without the empty key is trouble, not absence", "[local][users]") {
    std::map<std::string, std::string> m{{"!joe\0"s, "joe\0"
                                                     "1\0"
                                                     "1\0"
                                                     "/h\0"
                                                     "\0"s}};
    auto r = qm::local::lookup_users(finder(m), "joe");
    REQUIRE_FALSE(r);
    CHECK(r.error().severity == qm::Severity::temporary);
}

TEST_CASE("build_users_cdb writes a cdb that resolve() reads", "[local][users]") {
    qmtest::TempDir root;
    std::filesystem::create_directories(root / "users");
    std::filesystem::create_directories(root / "alias");
    std::filesystem::create_directories(root / "h/joe");
    qmtest::spit(root / "users/assign", "=joe:joe:1234:99:" + (root / "h/joe") + ":::\n" +
                                            "+joe-:joe:1234:99:" + (root / "h/joe") + ":-::\n.\n");
    REQUIRE(qm::local::build_users_cdb(root.path()));

    qm::local::ResolveContext ctx;
    ctx.qmail_home = root.path();
    ctx.root_mode = false;
    ctx.self_uid = ::geteuid();
    ctx.self_gid = ::getegid();
    auto r = qm::local::resolve("joe-Foo", ctx);
    REQUIRE(r);
    CHECK(r->uid == 1234);
    CHECK(r->home == root / "h/joe");
    CHECK(r->dash == "-");
    CHECK(r->ext == "Foo");

    // Nobody in users/cdb, nobody in passwd with our uid: the alias directory.
    auto a = qm::local::resolve("no-such-user-xyzzy", ctx);
    REQUIRE(a);
    CHECK(a->home == root / "alias");
    CHECK(a->dash == "-");
    CHECK(a->ext == "no-such-user-xyzzy");
    CHECK(a->uid == ::geteuid());

    // A malformed assign leaves the old cdb untouched.
    const std::string before = qmtest::slurp(root / "users/cdb");
    qmtest::spit(root / "users/assign", "=joe:joe:1234\n.\n");
    auto bad = qm::local::build_users_cdb(root.path());
    REQUIRE_FALSE(bad);
    CHECK(bad.error().text.find("line 1") != std::string::npos);
    CHECK(qmtest::slurp(root / "users/cdb") == before);
}

TEST_CASE("no alias directory of ours: temporary failure", "[local][users]") {
    qmtest::TempDir root;
    qm::local::ResolveContext ctx;
    ctx.qmail_home = root.path();
    ctx.self_uid = ::geteuid() + 1; // alias/ would not be ours
    auto a = qm::local::resolve("no-such-user-xyzzy", ctx);
    REQUIRE_FALSE(a);
    CHECK(a.error().severity == qm::Severity::temporary);
    CHECK(a.error().text == "Unable to find alias user!");
}

TEST_CASE("qmail-pw2u output follows qmail-getpw's rules", "[local][pw2u]") {
    qm::local::Pw2uOptions opt;
    opt.home = qm::local::Pw2uOptions::Home::ignore;
    const std::string passwd = "root:x:0:0:root:/root:/bin/sh\n"
                               "joe:x:1001:100:Joe:/home/joe:/bin/sh\n"
                               "Upper:x:1002:100::/home/upper:/bin/sh\n"
                               "short:x:1003:100\n"
                               "alias:x:7790:2108::/var/qmail/alias:/bin/true\n";
    auto out = qm::local::pw2u(passwd, opt, {});
    REQUIRE(out);
    CHECK(*out == "=joe:joe:1001:100:/home/joe:::\n"
                  "+joe-:joe:1001:100:/home/joe:-::\n"
                  "+:alias:7790:2108:/var/qmail/alias:-::\n"
                  "=alias:alias:7790:2108:/var/qmail/alias:::\n"
                  "+alias-:alias:7790:2108:/var/qmail/alias:-::\n"
                  ".\n");

    qm::local::Pw2uFiles files;
    files.exclude = "alias\n";
    files.subusers = "jl:joe:list:\n";
    files.append = "=extra:joe:1001:100:/x:::\n";
    opt.conf_break = '\0';
    opt.allow_uppercase = true;
    auto out2 = qm::local::pw2u(passwd, opt, files);
    REQUIRE_FALSE(out2); // alias excluded, so no catch-all: qmail refuses
    files.exclude = "Upper\n";
    out2 = qm::local::pw2u(passwd, opt, files);
    REQUIRE(out2);
    CHECK(*out2 == "=joe:joe:1001:100:/home/joe:::\n"
                   "+:alias:7790:2108:/var/qmail/alias:-::\n"
                   "=alias:alias:7790:2108:/var/qmail/alias:::\n"
                   "=jl:joe:1001:100:/home/joe:-:list:\n"
                   "=extra:joe:1001:100:/x:::\n"
                   ".\n");
}

TEST_CASE("qmail-pw2u leaves out passwd lines whose ids qmail-newu would refuse", "[local][pw2u]") {
    // Found by tests/fuzz/local_users_fuzz: a line with an empty or non-numeric gid (or
    // uid) was copied into the table, and qmail-newu then refused the whole table.
    qm::local::Pw2uOptions opt;
    opt.home = qm::local::Pw2uOptions::Home::ignore;
    const std::string passwd = "alias:x:7790:2108::/var/qmail/alias:/bin/true\n"
                               "nogid:x:1001::::\n"
                               "badgid:x:1002:10x:::\n"
                               "baduid:x:1003z:100:::\n"
                               "huge:x:1004:99999999999999999999999:::\n"
                               "joe:x:1005:100::/home/joe:/bin/sh\n";
    qm::local::Pw2uFiles files;
    files.subusers = "s\0b:joe:pre:\nsub:joe:pre:\n"s;
    files.mailnames = "joe:joe:j\0oe\n"s;
    auto out = qm::local::pw2u(passwd, opt, files);
    REQUIRE(out);
    CHECK(*out == "+:alias:7790:2108:/var/qmail/alias:-::\n"
                  "=alias:alias:7790:2108:/var/qmail/alias:::\n"
                  "+alias-:alias:7790:2108:/var/qmail/alias:-::\n"
                  "=joe:joe:1005:100:/home/joe:::\n"
                  "+joe-:joe:1005:100:/home/joe:-::\n"
                  "=sub:joe:1005:100:/home/joe:-:pre:\n"
                  "+sub-:joe:1005:100:/home/joe:-:pre-:\n"
                  ".\n");
    CHECK(qm::local::parse_assign(*out));
}

TEST_CASE("passwd lookup: longest user-BREAK-ext match, uid 0 and foreign homes skipped",
          "[local][users]") {
    const passwd* pw = ::getpwnam("qmtest");
    struct stat st {};
    if (!pw || ::stat(pw->pw_dir, &st) != 0 || st.st_uid != pw->pw_uid)
        return; // needs script/bootstrap's test user with its own home
    const uid_t uid = pw->pw_uid;
    const std::string home = pw->pw_dir;
    qm::local::ResolveContext ctx;
    ctx.root_mode = true;

    auto r = qm::local::lookup_passwd("QMTest-Foo.Bar-baz", ctx);
    REQUIRE(r);
    REQUIRE(*r);
    CHECK((*r)->user == "qmtest");
    CHECK((*r)->uid == uid);
    CHECK((*r)->home == home);
    CHECK((*r)->dash == "-");
    CHECK((*r)->ext == "Foo.Bar-baz");

    r = qm::local::lookup_passwd("qmtest", ctx);
    REQUIRE(*r);
    CHECK((*r)->dash.empty());
    CHECK((*r)->ext.empty());

    for (const char* skipped : {"root", "root-x", "qmtestx", "qmtest_x"}) {
        r = qm::local::lookup_passwd(skipped, ctx);
        REQUIRE(r);
        CHECK_FALSE(*r);
    }
    // Normal-user mode only knows accounts we could deliver as.
    ctx.root_mode = false;
    ctx.self_uid = uid + 1;
    r = qm::local::lookup_passwd("qmtest", ctx);
    REQUIRE(r);
    CHECK_FALSE(*r);
    ctx.self_uid = uid;
    r = qm::local::lookup_passwd("qmtest", ctx);
    REQUIRE(*r);
}
