// ezmlm-webarchive end to end: posts go through the real qmail-send, ezmlm-send archives
// them and ezmlm-webindex indexes them (list_mta.hpp); the real server binary then
// serves the list on a loopback port and curl fetches its pages. Checks the pages'
// content, the safety fields on every response, 404s, 304s, a hostile post shown only
// escaped, oversized and slow requests.
#include "list_mta.hpp"
#include "support.hpp"
#include "web_fetch.hpp"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

using liststest::ListMta;
using webtest::connect_to;
using webtest::curl;
using webtest::fetch;
using webtest::Fetched;

namespace {

void check_safety(const Fetched& f) {
    CHECK(f.field("content-security-policy") ==
          "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
          "frame-ancestors 'none'; base-uri 'none'");
    CHECK(f.field("x-content-type-options") == "nosniff");
    CHECK(f.field("referrer-policy") == "no-referrer");
}

constexpr const char* hostile =
    "From: \"<script>alert(1)</script>\" <mallory@test.example>\nTo: joe-team@test.example\n"
    "Subject: <script>alert(1)</script> hello\nMessage-ID: <evil@test.example>\n"
    "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b\"\n\n--b\n"
    "Content-Type: text/plain\n\nbody <script>alert(1)</script> <img src=x onerror=alert(1)>\n"
    "--b\nContent-Type: text/html; name=\"<script>alert(1)</script>.html\"\n"
    "Content-Disposition: attachment; filename=\"<script>alert(1)</script>.html\"\n\n"
    "<script>alert(1)</script>\n--b--\n";

} // namespace

TEST_CASE("ezmlm-webarchive serves a list's archive safely", "[scenario][web][e2e]") {
    if (::access(curl, X_OK) != 0)
        return qmtest::skip("no /usr/bin/curl (Debian's curl) to fetch the pages");
    // Long enough for the pages that show it to be gzipped (above 1 KiB).
    std::string agenda;
    for (int i = 1; i <= 30; ++i)
        agenda += "item " + std::to_string(i) + " of the agenda, to be discussed\n";
    ListMta m;
    m.make();
    const std::string priv = m.make_list("hidden", {"-P"});
    m.start();
    m.inject("From: Dave <dave@test.example>\nTo: joe-team@test.example\n"
             "Subject: =?iso-8859-1?q?Caf=E9?= plans\nMessage-ID: <root@test.example>\n"
             "Date: Mon, 2 Mar 2026 10:00:00 +0000\n\n"
             "shall we meet at eight\nwrite to dave@test.example\n" +
             agenda);
    m.inject("From: Carol <carol@test.example>\nTo: joe-team@test.example\n"
             "Subject: Re: Cafe plans\nMessage-ID: <r1/x@test.example>\n"
             "Date: Mon, 2 Mar 2026 11:00:00 +0000\n"
             "In-Reply-To: <root@test.example>\nReferences: <root@test.example>\n\n"
             "> shall we meet at eight\n> write to dave@test.example\nyes, at the station\n",
             "carol");
    m.inject(hostile, "bob");
    REQUIRE(m.wait_idle());
    REQUIRE(qmtest::wait_for([&] {
        return qmtest::slurp(m.dir + "/num").starts_with("3:") &&
               std::filesystem::exists(m.dir + "/webarchive/index.sqlite");
    }));

    const int port = qmtest::free_port();
    auto server = m.root.start({qmtest::bin("ezmlm-webarchive"), "--listen",
                                "127.0.0.1:" + std::to_string(port), "--timeout", "1", "--list",
                                "team=" + m.dir, "--list", "hidden=" + priv},
                               "web.log");
    REQUIRE(qmtest::wait_for([&] {
        const int fd = connect_to(port);
        if (fd >= 0)
            ::close(fd);
        return fd >= 0;
    }));
    INFO(server->log());

    SECTION("pages") {
        auto lists = fetch(port, "/");
        CHECK(lists.status == 200);
        check_safety(lists);
        CHECK(lists.body.find("href=\"/team/\"") != std::string::npos);
        CHECK(lists.body.find("hidden") == std::string::npos); // not public

        auto front = fetch(port, "/team/");
        CHECK(front.status == 200);
        check_safety(front);
        CHECK(front.field("content-type") == "text/html; charset=utf-8");
        CHECK(front.body.find("Caf\xc3\xa9 plans") != std::string::npos);
        CHECK(front.body.find("href=\"/team/root@test.example/t/\"") != std::string::npos);

        auto msg = fetch(port, "/team/root@test.example/");
        CHECK(msg.status == 200);
        check_safety(msg);
        CHECK(msg.body.find("shall we meet at eight") != std::string::npos);
        CHECK(msg.body.find("dave@t…") != std::string::npos);
        CHECK(msg.body.find("dave@test.example") == std::string::npos);
        CHECK(msg.has("etag: \""));
        CHECK(msg.has("last-modified: "));

        auto reply = fetch(port, "/team/r1%2Fx@test.example/");
        CHECK(reply.status == 200);
        CHECK(reply.body.find("<details><summary>quoted text (2 lines)") != std::string::npos);

        auto notmod =
            fetch(port, "/team/root@test.example/", {"-H", "If-None-Match: " + msg.field("etag")});
        CHECK(notmod.status == 304);
        CHECK(notmod.body.empty());
        check_safety(notmod);

        auto raw = fetch(port, "/team/root@test.example/raw");
        CHECK(raw.status == 200);
        CHECK(raw.field("content-type") == "text/plain; charset=utf-8");
        CHECK(raw.field("x-content-type-options") == "nosniff");
        CHECK(raw.body.find("Message-ID: <root@test.example>") != std::string::npos);
        CHECK(fetch(port, "/team/root@test.example/raw",
                    {"-H", "If-None-Match: " + raw.field("etag")})
                  .status == 304);

        auto thread = fetch(port, "/team/r1%2Fx@test.example/t/");
        CHECK(thread.status == 200);
        const size_t first = thread.body.find("shall we meet");
        const size_t nested = thread.body.find("<ul class=\"t\">");
        const size_t second = thread.body.find("yes, at the station");
        CHECK(first < nested);
        CHECK(nested < second);
        CHECK(second != std::string::npos);

        auto search = fetch(port, "/team/?q=eight+from%3Adave");
        CHECK(search.status == 200);
        CHECK(search.body.find("<mark>eight</mark>") != std::string::npos);
        CHECK(search.body.find("/team/root@test.example/") != std::string::npos);
        CHECK(search.body.find("/team/r1%2Fx@test.example/") == std::string::npos);
        for (const char* q : {"%22", "NEAR(", "*", "from%3A", "%22a%22%22b", "subject%3A%22"}) {
            INFO(q);
            CHECK(fetch(port, std::string("/team/?q=") + q).status == 200);
        }

        auto atom = fetch(port, "/team/new.atom");
        CHECK(atom.status == 200);
        CHECK(atom.field("content-type") == "application/atom+xml; charset=utf-8");
        CHECK(atom.body.find("<entry>") != std::string::npos);

        auto css = fetch(port, "/style.css");
        CHECK(css.status == 200);
        CHECK(css.field("content-type") == "text/css; charset=utf-8");

        auto zipped = fetch(port, "/team/r1%2Fx@test.example/t/", {"--compressed"});
        CHECK(zipped.field("content-encoding") == "gzip");
        CHECK(zipped.body == thread.body);

        auto zipped_msg = fetch(port, "/team/root@test.example/", {"--compressed"});
        CHECK(zipped_msg.field("content-encoding") == "gzip");
        CHECK(zipped_msg.field("etag") != msg.field("etag"));
        CHECK(fetch(port, "/team/root@test.example/",
                    {"--compressed", "-H", "If-None-Match: " + zipped_msg.field("etag")})
                  .status == 304);

        auto head = fetch(port, "/team/", {"-I"});
        CHECK(head.status == 200);
        // curl -I prints the header again where the body would be: no page after it.
        CHECK(head.body.find("<!DOCTYPE") == std::string::npos);
        CHECK(head.field("content-length") == front.field("content-length"));
    }

    SECTION("a hostile post appears only escaped") {
        for (const char* path : {"/team/", "/team/evil@test.example/", "/team/evil@test.example/t/",
                                 "/team/?q=alert", "/team/new.atom"}) {
            INFO(path);
            auto f = fetch(port, path);
            CHECK(f.status == 200);
            CHECK(f.body.find("<script") == std::string::npos);
            CHECK(f.body.find("<img") == std::string::npos);
            CHECK(f.body.find("&lt;script&gt;") != std::string::npos);
        }
        auto msg = fetch(port, "/team/evil@test.example/");
        const std::string link =
            "/team/evil@test.example/2-%3Cscript%3Ealert%281%29%3C%2Fscript%3E.html";
        CHECK(msg.body.find("href=\"" + link + "\"") != std::string::npos);
        auto att = fetch(port, link);
        CHECK(att.status == 200);
        CHECK(att.field("content-type") == "application/octet-stream");
        CHECK(att.field("content-disposition").starts_with("attachment; filename=\""));
        CHECK(att.body.starts_with("<script>alert(1)</script>"));
        CHECK(fetch(port, "/team/evil@test.example/3-x").status == 404);
        CHECK(fetch(port, "/team/evil@test.example/1-x").status == 404); // the text part
    }

    SECTION("unknown, private and malformed targets get small 404 pages") {
        for (const char* path :
             {"/nosuch/", "/hidden/", "/hidden/new.atom", "/team/nosuch@test.example/",
              "/team/nosuch@test.example/raw", "/team/../../etc/passwd", "/team/%2e%2e/raw",
              "/%2e%2e/", "/team/root@test.example/x/y/"}) {
            INFO(path);
            auto f = fetch(port, path, {"--path-as-is"});
            CHECK(f.status == 404);
            check_safety(f);
            CHECK(f.body.find("404 Not Found") != std::string::npos);
        }
        auto moved = fetch(port, "/team");
        CHECK(moved.status == 301);
        CHECK(moved.field("location") == "/team/");
    }

    SECTION("requests out of bounds are refused") {
        CHECK(fetch(port, "/", {"-X", "POST"}).status == 405);
        CHECK(fetch(port, "/", {"-X", "DELETE"}).status == 405);
        CHECK(fetch(port, "/", {"-H", "X-Big: " + std::string(9000, 'a')}).status == 431);
        CHECK(fetch(port, "/", {"--data-binary", "x=1", "-X", "GET"}).status == 413);
    }

    SECTION("a slow client is cut off") {
        const int fd = connect_to(port);
        REQUIRE(fd >= 0);
        // Half a request, then nothing: the server's deadline (--timeout 1) closes the
        // connection; the receive timeout only keeps a broken server from hanging the test.
        const std::string part = "GET / HTTP/1.1\r\nHost: x\r\n";
        REQUIRE(::write(fd, part.data(), part.size()) == static_cast<ssize_t>(part.size()));
        timeval tv{30, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        char buf[512];
        const ssize_t n = ::read(fd, buf, sizeof buf);
        CHECK(n == 0);
        ::close(fd);
    }
}
