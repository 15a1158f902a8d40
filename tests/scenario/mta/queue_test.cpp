#include "support.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <filesystem>

using namespace std::string_literals;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> files_under(const std::string& dir) {
    std::vector<std::string> out;
    for (auto& e : fs::recursive_directory_iterator(dir))
        if (e.is_regular_file())
            out.push_back(fs::relative(e.path(), dir).string());
    std::sort(out.begin(), out.end());
    return out;
}

} // namespace

TEST_CASE("qmail-queue commits message and envelope", "[scenario][queue]") {
    qmtest::MailRoot root;
    auto r = root.run({qmtest::bin("qmail-queue")},
                      {.stdin_data = "Subject: hi\n\nbody\n",
                       .fd1_input = "Fjoe@a.example\0Tbob@b.example\0Tann@c.example\0\0"s});
    REQUIRE(r.exit_code == 0);
    auto todo = qmtest::list_dir(root / "queue/todo");
    REQUIRE(todo.size() == 1);
    const std::string id = todo[0];
    const std::string split = std::to_string(std::stoul(id) % 23);
    auto mess = qmtest::slurp(root / ("queue/mess/" + split + "/" + id));
    CHECK(mess.rfind("Received: (qmail ", 0) == 0);
    CHECK(mess.find(" invoked by uid ") != std::string::npos);
    CHECK(mess.find("\nSubject: hi\n\nbody\n") != std::string::npos);
    struct stat st {};
    REQUIRE(::stat((root / ("queue/mess/" + split + "/" + id)).c_str(), &st) == 0);
    CHECK(std::to_string(st.st_ino) == id); // mess/N has inode N
    auto env = qmtest::slurp(root / ("queue/todo/" + id));
    CHECK(env.find("\0Fjoe@a.example\0Tbob@b.example\0Tann@c.example\0"s) != std::string::npos);
    CHECK(env.rfind("u", 0) == 0);
    CHECK(qmtest::list_dir(root / "queue/pid").empty());
}

TEST_CASE("qmail-queue rejects bad envelopes and leaves nothing behind", "[scenario][queue]") {
    qmtest::MailRoot root;
    struct Case {
        std::string envelope;
        int code;
    } cases[] = {
        {"Xjoe\0\0"s, 91},
        {"Fjoe@a\0Tbob@b\0"s, 54}, // no final NUL
        {"Fjoe@a\0Zbob@b\0\0"s, 91},
        {"F"s + std::string(1100, 'a') + "\0\0"s, 11},
        {""s, 54},
    };
    for (const auto& c : cases) {
        auto r = root.run({qmtest::bin("qmail-queue")},
                          {.stdin_data = "Subject: x\n\nbody\n", .fd1_input = c.envelope});
        CHECK(r.exit_code == c.code);
    }
    auto left = files_under(root / "queue");
    // Only the lock files remain.
    CHECK(left == std::vector<std::string>{"lock/sendmutex", "lock/tcpto", "lock/tcpto6"});
}

TEST_CASE("qmail-queue without a queue directory fails temporarily", "[scenario][queue]") {
    qmtest::TempDir empty;
    auto r = qmtest::run({qmtest::bin("qmail-queue")}, {.stdin_data = "x\n",
                                                        .fd1_input = "Fa@b\0Tc@d\0\0"s,
                                                        .env = {{"QMAILHOME", empty.path()}}});
    CHECK(r.exit_code == 62);
}
