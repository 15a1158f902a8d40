// The indexer over a list's archive: incremental and idempotent, missing messages
// recorded, a rebuild giving the same index, a kill at any point leaving an index the
// next run completes, concurrent runs never corrupting it; and ezmlm-webindex's exit
// codes.
#include "qm/web/index/indexer.hpp"
#include "web_list.hpp"

#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <csignal>
#include <filesystem>
#include <memory>
#include <thread>

namespace fs = std::filesystem;
using namespace qm::web;
using webtest::ListDir;

namespace {

unsigned long last_indexed(const std::string& dir) {
    if (!fs::exists(index_path(dir)))
        return 0;
    auto index = Index::open(index_path(dir));
    REQUIRE(index);
    auto last = index->last_indexed();
    REQUIRE(last);
    return *last;
}

// "ok" also when there is no index yet: killed before it made one, the indexer left
// nothing the next run could stumble over.
std::string integrity(const std::string& dir) {
    if (!fs::exists(index_path(dir)))
        return "ok";
    auto index = Index::open(index_path(dir));
    INFO((index ? "" : index.error().text));
    REQUIRE(index);
    auto verdict = index->integrity();
    REQUIRE(verdict);
    return *verdict;
}

} // namespace

TEST_CASE("the indexer takes what is archived up to num and records what is missing",
          "[web][indexer]") {
    ListDir l;
    for (unsigned long n = 1; n <= 10; ++n)
        if (n != 4)
            l.put(n, webtest::post(n), n == 7 ? 0644 : 0744);
    l.put(11, webtest::post(11)); // beyond num: not yet given out for good
    l.num(10);
    auto first = update_web_index(l.dir);
    REQUIRE(first);
    CHECK(first->indexed == 8);
    CHECK(first->missing == 2);
    CHECK(first->last == 10);
    CHECK_FALSE(first->handed_over);
    auto index = Index::open(index_path(l.dir));
    REQUIRE(index);
    auto counts = index->counts();
    REQUIRE(counts);
    CHECK(counts->messages == 8);
    CHECK(counts->missing == 2);
    CHECK(counts->searchable == 8);
    auto m4 = index->message(4);
    REQUIRE(m4);
    CHECK_FALSE(*m4);
    auto m11 = index->message(11);
    REQUIRE(m11);
    CHECK_FALSE(*m11);
    auto m3 = index->message(3);
    REQUIRE(m3);
    REQUIRE(*m3);
    CHECK((*m3)->message_id == "3@example.org");
    CHECK((*m3)->thread == 1);
    CHECK((*m3)->parent == 2UL);
    CHECK((*m3)->from_name == "Poster 3");
    CHECK((*m3)->size == webtest::post(3).size());

    // The next post: only it is read.
    l.num(11);
    auto second = update_web_index(l.dir);
    REQUIRE(second);
    CHECK(second->indexed == 1);
    CHECK(second->missing == 0);
    CHECK(second->last == 11);
}

TEST_CASE("running the indexer twice changes nothing", "[web][indexer]") {
    ListDir l;
    webtest::fill(l, 120);
    REQUIRE(update_web_index(l.dir));
    const std::string once = webtest::dump(l.dir, 130);
    auto again = update_web_index(l.dir);
    REQUIRE(again);
    CHECK(again->indexed == 0);
    CHECK(again->missing == 0);
    CHECK(webtest::dump(l.dir, 130) == once);
    CHECK(once.find("counts 120 24 0 120 ") != std::string::npos);
}

TEST_CASE("post by post or rebuilt at once, the index is the same", "[web][indexer]") {
    ListDir l;
    webtest::fill(l, 60);
    // As the editor runs it: after every post.
    for (unsigned long n = 1; n <= 60; ++n) {
        l.num(n);
        auto r = update_web_index(l.dir);
        REQUIRE(r);
        CHECK(r->last == n);
    }
    const std::string incremental = webtest::dump(l.dir, 60);
    // Out-of-order threads came together: posts 6..10 hold thread 6 (root archived last).
    CHECK(incremental.find("10 6@example.org") != std::string::npos);
    UpdateOptions rebuild;
    rebuild.rebuild = true;
    unsigned long calls = 0;
    rebuild.progress = [&](unsigned long done, unsigned long total) {
        ++calls;
        CHECK(done <= total);
        CHECK(total == 60);
    };
    REQUIRE(update_web_index(l.dir, rebuild));
    CHECK(calls == 60);
    CHECK(webtest::dump(l.dir, 60) == incremental);
    // 12 threads of five.
    CHECK(incremental.find("counts 60 12 0 60 ") != std::string::npos);
}

TEST_CASE("a directory that is not an archived list is a permanent failure", "[web][indexer]") {
    qmtest::TempDir tmp;
    auto none = update_web_index(tmp / "nowhere");
    REQUIRE_FALSE(none);
    CHECK(none.error().permanent());
    auto plain = update_web_index(tmp.path());
    REQUIRE_FALSE(plain);
    CHECK(plain.error().permanent());
    ListDir l;
    fs::remove(l.dir + "/archived");
    auto unarchived = update_web_index(l.dir);
    REQUIRE_FALSE(unarchived);
    CHECK(unarchived.error().permanent());
    CHECK_FALSE(fs::exists(l.dir + "/webarchive"));
}

TEST_CASE("the indexer leaves an empty WAL behind", "[web][indexer]") {
    ListDir l;
    webtest::fill(l, 300);
    REQUIRE(update_web_index(l.dir));
    // Kept (readers who cannot create it need it) but empty: nothing for a reader to read.
    REQUIRE(fs::exists(index_path(l.dir) + "-wal"));
    CHECK(fs::file_size(index_path(l.dir) + "-wal") == 0);
    CHECK(last_indexed(l.dir) == 300);
}

TEST_CASE("root does not index a list someone else owns", "[web][indexer]") {
    const auto user = qmtest::unprivileged_test_user();
    if (!user)
        return qmtest::skip("not root");
    ListDir l;
    webtest::fill(l, 3);
    REQUIRE(::chown(l.dir.c_str(), user->uid, user->gid) == 0);
    auto refused = update_web_index(l.dir);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().permanent());
    CHECK(refused.error().text.find("owner") != std::string::npos);
    CHECK_FALSE(fs::exists(l.dir + "/webarchive"));
}

TEST_CASE("ezmlm-webindex exits 0, 100 or 111 as qmail expects", "[web][indexer][program]") {
    ListDir l;
    webtest::fill(l, 12);
    const std::string prog = qmtest::bin("ezmlm-webindex");
    // From a .qmail: the message on stdin is not its business.
    auto ok = qmtest::run({prog, l.dir}, {.stdin_data = "From: x\n\nthe post\n"});
    CHECK(ok.exit_code == 0);
    CHECK(ok.err.empty()); // quiet unless something is wrong: stderr is no terminal
    CHECK(last_indexed(l.dir) == 12);
    auto rebuilt = qmtest::run({prog, "--rebuild", "--quiet", l.dir});
    CHECK(rebuilt.exit_code == 0);
    CHECK(rebuilt.err.empty());
    CHECK(last_indexed(l.dir) == 12);

    qmtest::TempDir tmp;
    auto not_list = qmtest::run({prog, tmp.path()});
    CHECK(not_list.exit_code == 100);
    CHECK(not_list.err.starts_with("ezmlm-webindex: fatal: "));
    CHECK(qmtest::run({prog}).exit_code == 100);
    CHECK(qmtest::run({prog, "--bogus", l.dir}).exit_code == 100);
    auto help = qmtest::run({prog, "--help"});
    CHECK(help.exit_code == 0);
    CHECK(help.out.find("--rebuild") != std::string::npos);

    // An index that cannot be opened (here a directory in its place): temporary.
    ListDir broken;
    fs::create_directories(broken.dir + "/webarchive/index.sqlite");
    auto cannot = qmtest::run({prog, broken.dir});
    CHECK(cannot.exit_code == 111);
    // Not a database at all: permanent until rebuilt... which removes nothing by itself,
    // so the admin sees it.
    ListDir junk;
    fs::create_directories(junk.dir + "/webarchive");
    qmtest::spit(junk.dir + "/webarchive/index.sqlite", std::string(8192, 'j'));
    auto notdb = qmtest::run({prog, junk.dir});
    CHECK(notdb.exit_code == 100);
    CHECK(notdb.err.find("--rebuild") != std::string::npos);
}

TEST_CASE("a rebuild on a terminal shows its progress", "[web][indexer][program]") {
    ListDir l;
    webtest::fill(l, 30);
    const std::string prog = qmtest::bin("ezmlm-webindex");
    // script(1) gives it a terminal for stderr.
    auto shown = qmtest::run(
        {"/usr/bin/script", "-q", "-e", "-c", prog + " --rebuild " + l.dir, "/dev/null"});
    CHECK(shown.exit_code == 0);
    INFO(shown.out);
    CHECK(shown.out.find("ezmlm-webindex: 30/30 messages") != std::string::npos);
    auto quiet = qmtest::run(
        {"/usr/bin/script", "-q", "-e", "-c", prog + " --rebuild --quiet " + l.dir, "/dev/null"});
    CHECK(quiet.exit_code == 0);
    CHECK(quiet.out.find("messages") == std::string::npos);
}

TEST_CASE("an indexer killed at any point leaves an index the next run completes",
          "[web][indexer][crash]") {
    ListDir l;
    // Enough for a run of seconds: a smaller archive is indexed before the test, polling
    // the index, gets to kill the indexer.
    constexpr unsigned long posts = 24000;
    webtest::fill(l, posts);
    const std::string prog = qmtest::bin("ezmlm-webindex");
    // Killed right away (while it makes the schema, perhaps), then at two later points
    // of its progress as the index records it.
    int kills = 0;
    for (unsigned long at : {0UL, 1000UL, 3000UL}) {
        INFO("kill at " << at);
        qmtest::Daemon run({prog, "--rebuild", l.dir}, {}, l.tmp / "log");
        if (at > 0)
            REQUIRE(qmtest::wait_for([&] { return last_indexed(l.dir) >= at; }));
        const int status = run.stop(SIGKILL);
        if (WIFSIGNALED(status))
            ++kills;
        const unsigned long after = last_indexed(l.dir);
        CHECK(after < posts);
        CHECK(integrity(l.dir) == "ok");
    }
    CHECK(kills == 3);
    // Killed while an incremental run goes on from where the rebuild got to.
    {
        const unsigned long before = last_indexed(l.dir);
        qmtest::Daemon run({prog, l.dir}, {}, l.tmp / "log");
        REQUIRE(qmtest::wait_for([&] { return last_indexed(l.dir) >= before + 500; }));
        run.stop(SIGKILL);
    }
    auto done = qmtest::run({prog, l.dir});
    CHECK(done.exit_code == 0);
    CHECK(last_indexed(l.dir) == posts);
    CHECK(integrity(l.dir) == "ok");
    const std::string resumed = webtest::dump(l.dir, posts);
    // The same as one run without interruption.
    REQUIRE(qmtest::run({prog, "--rebuild", l.dir}).exit_code == 0);
    CHECK(webtest::dump(l.dir, posts) == resumed);
}

TEST_CASE("concurrent indexers never corrupt the index and miss no post", "[web][indexer]") {
    ListDir l;
    constexpr unsigned long posts = 1500;
    webtest::fill(l, posts);
    const std::string prog = qmtest::bin("ezmlm-webindex");
    // Posts arrive while indexers run: each new num starts one more, as the editor does.
    l.num(500);
    std::vector<std::unique_ptr<qmtest::Daemon>> runs;
    runs.push_back(std::make_unique<qmtest::Daemon>(std::vector<std::string>{prog, l.dir},
                                                    qmtest::RunOptions{}, l.tmp / "log"));
    for (unsigned long n = 501; n <= posts; n += 100) {
        l.num(std::min(posts, n + 99));
        runs.push_back(std::make_unique<qmtest::Daemon>(std::vector<std::string>{prog, l.dir},
                                                        qmtest::RunOptions{}, l.tmp / "log"));
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    for (auto& r : runs) {
        const int status = r->stop(0); // waits for it to end by itself
        CHECK(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 0);
    }
    INFO(qmtest::slurp(l.tmp / "log"));
    CHECK(last_indexed(l.dir) == posts);
    CHECK(integrity(l.dir) == "ok");
    const std::string concurrent = webtest::dump(l.dir, posts);
    CHECK(concurrent.find("counts 1500 300 0 1500 ") != std::string::npos);
    REQUIRE(update_web_index(l.dir, {.rebuild = true}));
    CHECK(webtest::dump(l.dir, posts) == concurrent);
}
