// The shared flush of a maildir's new/ (mta/local/src/dir_sync.cpp): every caller gets
// the answer of a flush that began after it asked, and a failed flush fails every caller
// it covered.
#include "../../../../mta/local/src/internal.hpp"
#include "qm/fd.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>

#include <atomic>
#include <thread>
#include <vector>

using qm::local::detail::sync_directory;

namespace {

// sync_directory(fd) from `threads` threads at once, `each` times each: how many said yes.
int successes(int fd, int threads, int each) {
    std::atomic<int> ok{0};
    std::vector<std::thread> running;
    for (int t = 0; t < threads; ++t)
        running.emplace_back([&] {
            for (int i = 0; i < each; ++i)
                if (sync_directory(fd))
                    ++ok;
        });
    for (auto& t : running)
        t.join();
    return ok;
}

} // namespace

TEST_CASE("local: deliveries flushing one directory at once all get its flush", "[local]") {
    qmtest::TempDir dir;
    qm::UniqueFd fd(::open(dir.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    REQUIRE(fd);
    CHECK(successes(fd.get(), 16, 20) == 16 * 20);
}

TEST_CASE("local: a directory flush that fails fails every delivery it covered", "[local]") {
    qmtest::TempDir dir;
    // fsync of an O_PATH descriptor fails (EBADF), as a flush on a failing disk would.
    qm::UniqueFd path_only(::open(dir.path().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    REQUIRE(path_only);
    CHECK(successes(path_only.get(), 8, 10) == 0);
}
