// ezmlm-webarchive's page threads, through the real binary on a loopback port: many
// pages fetched at once each get their own right answer, and a page whose index read
// never returns (an index that is a FIFO nobody writes: open() blocks) holds one thread,
// not the server. With pages built on the event loop's thread, as before the pool, the
// other list's pages would wait behind it and time out.
#include "qm/web/index/indexer.hpp"
#include "support.hpp"
#include "web_list.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr const char* curl = "/usr/bin/curl";

bool listening(int port) {
    return qmtest::run({curl, "-s", "-o", "/dev/null", "--max-time", "2",
                        "http://127.0.0.1:" + std::to_string(port) + "/style.css"})
               .exit_code == 0;
}

} // namespace

TEST_CASE("pages are built on a pool so a stuck read holds up no other client",
          "[scenario][web][e2e]") {
    if (::access(curl, X_OK) != 0)
        return qmtest::skip("no /usr/bin/curl (Debian's curl) to fetch the pages");
    webtest::ListDir team;
    webtest::fill(team, 40);
    qmtest::spit(team.dir + "/public", "");
    REQUIRE(qm::web::update_web_index(team.dir));
    // A public list whose index is a FIFO: the server's open() of it blocks until a
    // writer comes.
    webtest::ListDir stuck;
    qmtest::spit(stuck.dir + "/public", "");
    std::filesystem::create_directories(stuck.dir + "/webarchive");
    const std::string fifo = qm::web::index_path(stuck.dir);
    REQUIRE(::mkfifo(fifo.c_str(), 0644) == 0);

    qmtest::TempDir tmp;
    const int port = qmtest::free_port();
    qmtest::Daemon server({qmtest::bin("ezmlm-webarchive"), "--listen",
                           "127.0.0.1:" + std::to_string(port), "--threads", "2", "--list",
                           "team=" + team.dir, "--list", "stuck=" + stuck.dir},
                          {}, tmp / "server.log");
    REQUIRE(qmtest::wait_for([&] { return listening(port); }));
    INFO(server.log());
    const std::string base = "http://127.0.0.1:" + std::to_string(port);

    // A client whose page cannot be built until the FIFO gets a writer.
    qmtest::Daemon blocked({curl, "-s", "-o", "/dev/null", "-w", "status %{http_code}\n",
                            "--max-time", "60", base + "/stuck/"},
                           {}, tmp / "blocked.log");
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    CHECK(qmtest::slurp(tmp / "blocked.log").empty()); // still waiting

    // Meanwhile 40 message pages at once, each within 10 seconds, each its own.
    std::vector<std::string> argv{curl, "-sS",        "--parallel", "--parallel-max",
                                  "20", "--max-time", "10",         "--fail"};
    for (int n = 1; n <= 40; ++n) {
        argv.push_back(base + "/team/" + std::to_string(n) + "@example.org/");
        argv.push_back("-o");
        argv.push_back(tmp / ("page" + std::to_string(n)));
    }
    auto r = qmtest::run(argv);
    INFO(r.err);
    CHECK(r.exit_code == 0);
    for (int n = 1; n <= 40; ++n) {
        INFO(n);
        const std::string page = qmtest::slurp(tmp / ("page" + std::to_string(n)));
        // The post's own first word (web_list.hpp: post n says "word<n> common").
        CHECK(page.find("word" + std::to_string(n) + " common") != std::string::npos);
        for (int other : {n - 1, n + 1})
            CHECK(page.find("word" + std::to_string(other) + " common") == std::string::npos);
    }
    CHECK(qmtest::slurp(tmp / "blocked.log").empty()); // still waiting, still no answer

    // Writers open and close the FIFO until the stuck page gives up: an empty "index" is
    // no index of the server's schema, 503.
    CHECK(qmtest::wait_for([&] {
        const int fd = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK);
        if (fd >= 0)
            ::close(fd);
        return qmtest::slurp(tmp / "blocked.log").find("status 503") != std::string::npos;
    }));
    // A target too long for a page but within the header limit: 414, and the
    // connection stays usable.
    auto too_long = qmtest::run({curl, "-s", "-o", "/dev/null", "-w", "%{http_code}",
                                 base + "/team/?q=" + std::string(5000, 'a')});
    CHECK(too_long.out == "414");
    // A download over the socket: gzip as it is, not gzipped again for the client.
    auto mbox = qmtest::run({curl, "-s", "-D", "-", "-o", tmp / "t.mbox.gz", "-H",
                             "Accept-Encoding: gzip", base + "/team/3@example.org/t.mbox.gz"});
    CHECK(mbox.out.find("200 OK") != std::string::npos);
    CHECK(mbox.out.find("Content-Type: application/gzip") != std::string::npos);
    CHECK(mbox.out.find("Content-Encoding") == std::string::npos);
    CHECK(mbox.out.find("Content-Disposition: attachment; filename=\"team-thread-") !=
          std::string::npos);
    auto unzipped = qmtest::run({"/bin/gzip", "-dc", tmp / "t.mbox.gz"});
    CHECK(unzipped.exit_code == 0);
    CHECK(unzipped.out.starts_with("From mboxrd@z "));
    CHECK(unzipped.out.find("Message-ID: <3@example.org>") != std::string::npos);
    CHECK(server.stop() == 0);
}
