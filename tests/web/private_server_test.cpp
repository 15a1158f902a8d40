// Private archives and one-click unsubscription end to end: lists made by ezmlm-make,
// posts through the real qmail-send, ezmlm-send and ezmlm-webindex (list_mta.hpp), the
// real ezmlm-webarchive on a loopback port, curl as the browser and the mail client.
// The login mail goes out through qmail-queue and arrives in the reader's Maildir; the
// one-click URL is the one ezmlm-send wrote into a subscriber's copy of a post.
#include "list_mta.hpp"
#include "support.hpp"
#include "web_fetch.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

using liststest::header_value;
using liststest::ListMta;
using webtest::curl;
using webtest::fetch;

namespace {

// Whether the server accepts connections yet.
bool listening(int port) {
    const int fd = webtest::connect_to(port);
    if (fd >= 0)
        ::close(fd);
    return fd >= 0;
}

} // namespace

TEST_CASE("a private archive end to end: mailed link, session, leaving",
          "[scenario][web][e2e][private]") {
    if (::access(curl, X_OK) != 0)
        return qmtest::skip("no /usr/bin/curl (Debian's curl) to fetch the pages");
    ListMta m;
    const std::string hidden = m.make_list("hidden", {"-P"});
    for (const char* who : {"alice@test.example", "carol@test.example"}) {
        auto r = m.root.run({qmtest::bin("ezmlm-sub"), hidden, who});
        REQUIRE(r.exit_code == 0);
    }
    m.start();
    m.inject("From: Dave <dave@test.example>\nTo: joe-hidden@test.example\n"
             "Subject: secret plans\nMessage-ID: <plan@test.example>\n\n"
             "the secret is in the garden\n");
    REQUIRE(qmtest::wait_for([&] {
        return qmtest::slurp(hidden + "/num").starts_with("1:") &&
               std::filesystem::exists(hidden + "/webarchive/index.sqlite");
    }));

    const int port = qmtest::free_port();
    const std::string origin = "http://127.0.0.1:" + std::to_string(port);
    auto server = m.root.start({qmtest::bin("ezmlm-webarchive"), "--listen",
                                "127.0.0.1:" + std::to_string(port), "--state", m.root / "webstate",
                                "--list", "hidden=" + hidden},
                               "web.log");
    REQUIRE(qmtest::wait_for([&] { return listening(port); }));
    INFO(server->log());
    const std::vector<std::string> form = {"-H", "Origin: " + origin};

    // A stranger: the same login page everywhere, nothing of the post.
    const std::string login = fetch(port, "/hidden/").body;
    for (const char* path : {"/hidden/", "/hidden/?q=secret", "/hidden/new.atom",
                             "/hidden/plan@test.example/", "/hidden/plan@test.example/raw",
                             "/hidden/plan@test.example/t/", "/hidden/nosuch@test.example/"}) {
        INFO(path);
        auto f = fetch(port, path);
        CHECK(f.status == 403);
        CHECK(f.body == login);
        CHECK(f.field("cache-control") == "private, no-store");
        CHECK(f.body.find("secret") == std::string::npos);
    }
    CHECK(fetch(port, "/hidden/", {"-X", "DELETE"}).status == 405);

    // bob is no subscriber: the same answer, and no mail.
    auto bob = fetch(port, "/hidden/_/login",
                     {"-H", "Origin: " + origin, "--data-urlencode", "address=bob@test.example"});
    auto alice =
        fetch(port, "/hidden/_/login",
              {"-H", "Origin: " + origin, "--data-urlencode", "address=alice@test.example"});
    CHECK(bob.status == 200);
    CHECK(alice.status == 200);
    std::string same = bob.body;
    same.replace(same.find("bob@"), 4, "alice@");
    CHECK(same == alice.body);
    // Without the site's Origin nothing is mailed.
    CHECK(
        fetch(port, "/hidden/_/login", {"--data-urlencode", "address=carol@test.example"}).status ==
        403);

    const std::string mail = m.wait_message_with("alice", "Subject: Log in to the web archive");
    REQUIRE(!mail.empty());
    REQUIRE(m.wait_idle());
    for (const char* who : {"bob", "carol"})
        for (const auto& got : m.messages(who))
            CHECK(got.find("Log in to the web archive") == std::string::npos);
    const size_t at = mail.find(origin + "/hidden/_/login/");
    REQUIRE(at != std::string::npos);
    const std::string link =
        mail.substr(at + origin.size(), mail.find('\n', at) - at - origin.size());

    // The link: GET shows a button (twice: a scanner spends nothing), POST logs in once.
    for (int i = 0; i < 2; ++i) {
        auto shown = fetch(port, link);
        CHECK(shown.status == 200);
        CHECK(shown.field("set-cookie").empty());
    }
    auto in = fetch(port, link, {"-H", "Origin: " + origin, "-X", "POST"});
    CHECK(in.status == 303);
    CHECK(in.field("location") == "/hidden/");
    const std::string set_cookie = in.field("set-cookie");
    CHECK(set_cookie.starts_with("session="));
    // (Header fields come lower-cased from fetch.)
    CHECK(set_cookie.find("; httponly") != std::string::npos);
    CHECK(set_cookie.find("; samesite=lax") != std::string::npos);
    CHECK(set_cookie.find("; path=/;") != std::string::npos);
    const std::string cookie = set_cookie.substr(0, set_cookie.find(';'));
    CHECK(fetch(port, link, {"-H", "Origin: " + origin, "-X", "POST"}).status == 403);

    auto front = fetch(port, "/hidden/", {"-H", "Cookie: " + cookie});
    CHECK(front.status == 200);
    CHECK(front.body.find("secret plans") != std::string::npos);
    CHECK(front.field("cache-control") == "private, no-store");
    auto raw = fetch(port, "/hidden/plan@test.example/raw", {"-H", "Cookie: " + cookie});
    CHECK(raw.status == 200);
    CHECK(raw.body.find("the secret is in the garden") != std::string::npos);

    // alice leaves the list: her session opens nothing any more.
    REQUIRE(m.root.run({qmtest::bin("ezmlm-unsub"), hidden, "alice@test.example"}).exit_code == 0);
    auto gone = fetch(port, "/hidden/plan@test.example/", {"-H", "Cookie: " + cookie});
    CHECK(gone.status == 403);
    CHECK(gone.body.find("garden") == std::string::npos);
    CHECK(server->log().find("login link mailed to alice@test.example") != std::string::npos);
}

TEST_CASE("one-click unsubscription end to end with ezmlm-send's own URL",
          "[scenario][web][e2e][one_click]") {
    if (::access(curl, X_OK) != 0)
        return qmtest::skip("no /usr/bin/curl (Debian's curl) to fetch the pages");
    ListMta m;
    m.make();
    // ezmlm-send wants an https base; the proxy in front of the server would carry it.
    const std::string base = "https://lists.test.example/team";
    qmtest::spit(m.dir + "/unsubscribeurl", base + "\n");
    m.root.give_to_user(m.dir + "/unsubscribeurl");
    REQUIRE(m.root.run({qmtest::bin("ezmlm-sub"), m.dir, "alice@test.example", "bob@test.example"})
                .exit_code == 0);
    m.start();
    m.inject("From: dave@test.example\nTo: joe-team@test.example\nSubject: links\n\nhello\n");
    const std::string msg = m.wait_message_with("alice", "Subject: links");
    REQUIRE(!msg.empty());
    auto lu = header_value(msg, "List-Unsubscribe");
    REQUIRE(lu);
    REQUIRE(lu->starts_with("<" + base + "/unsubscribe/"));
    const std::string path =
        lu->substr(1 + std::string("https://lists.test.example").size(),
                   lu->find('>') - 1 - std::string("https://lists.test.example").size());

    const int port = qmtest::free_port();
    auto server = m.root.start({qmtest::bin("ezmlm-webarchive"), "--listen",
                                "127.0.0.1:" + std::to_string(port), "--list", "team=" + m.dir},
                               "web.log");
    REQUIRE(qmtest::wait_for([&] { return listening(port); }));
    INFO(server->log());

    // GET (a scanner, a preview) changes nothing.
    auto shown = fetch(port, path);
    CHECK(shown.status == 200);
    CHECK(shown.body.find("<button>Unsubscribe</button>") != std::string::npos);
    CHECK(fetch(port, path, {"-I"}).status == 200);
    CHECK(m.subscribers() == std::vector<std::string>{"alice@test.example", "bob@test.example"});

    // Forged: another address under alice's cookie.
    std::string forged = path;
    forged.replace(forged.find("alice"), 5, "bob");
    CHECK(fetch(port, forged, {"--data", "List-Unsubscribe=One-Click"}).status == 403);
    // POST elsewhere stays 405; a body over the limit is 413.
    CHECK(fetch(port, "/team/", {"--data", "List-Unsubscribe=One-Click"}).status == 405);
    CHECK(fetch(port, path, {"--data-binary", std::string(9000, 'a')}).status == 413);
    CHECK(m.subscribers().size() == 2);

    // RFC 8058's POST, as a mail provider sends it (urlencoded), then a multipart retry.
    auto done = fetch(port, path, {"--data", "List-Unsubscribe=One-Click"});
    CHECK(done.status == 200);
    CHECK(done.body.find("no longer subscribed") != std::string::npos);
    CHECK(m.subscribers() == std::vector<std::string>{"bob@test.example"});
    auto retry = fetch(port, path, {"-F", "List-Unsubscribe=One-Click"});
    CHECK(retry.status == 200);
    CHECK(qmtest::slurp(m.dir + "/Log").find("one-click") != std::string::npos);
}
