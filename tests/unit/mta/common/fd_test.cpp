// write_all_by: the bounded write the network daemons use on stdout, where the peer is a
// client that may never read.
#include "qm/fd.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>

namespace {

using clock_type = std::chrono::steady_clock;

struct Pair {
    int reader = -1, writer = -1;
    ~Pair() {
        ::close(reader);
        ::close(writer);
    }
};

Pair pipe_pair() {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    return {fds[0], fds[1]};
}

Pair socket_pair() {
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
    return {fds[0], fds[1]};
}

std::string drain(int fd) {
    std::string got;
    REQUIRE(::fcntl(fd, F_SETFL, O_NONBLOCK) == 0);
    char buf[65536];
    for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;)
        got.append(buf, static_cast<size_t>(n));
    return got;
}

} // namespace

TEST_CASE("write_all_by gives up on a peer that never reads, at the deadline",
          "[unit][common][fd]") {
    // 8 MiB: far more than a pipe's or a socket pair's buffer.
    const std::string big(8 << 20, 'x');
    for (bool socket : {false, true}) {
        INFO((socket ? "socket pair" : "pipe"));
        Pair p = socket ? socket_pair() : pipe_pair();
        const auto start = clock_type::now();
        auto sent = qm::write_all_by(p.writer, big, start + std::chrono::milliseconds(300));
        const auto took = clock_type::now() - start;
        REQUIRE_FALSE(sent);
        CHECK(sent.error().severity == qm::Severity::temporary);
        CHECK(sent.error().text == "write timeout");
        CHECK(took >= std::chrono::milliseconds(250));
        CHECK(took < std::chrono::seconds(3));
        // What did go out is a prefix of the data: nothing was lost in the middle.
        const std::string got = drain(p.reader);
        CHECK(!got.empty());
        CHECK(got == big.substr(0, got.size()));
    }
}

TEST_CASE("write_all_by writes everything to a peer that reads", "[unit][common][fd]") {
    Pair p = socket_pair();
    const std::string line = "250 ok\r\n";
    auto sent = qm::write_all_by(p.writer, line, clock_type::now() + std::chrono::seconds(5));
    REQUIRE(sent);
    char buf[64];
    CHECK(::read(p.reader, buf, sizeof buf) == static_cast<ssize_t>(line.size()));
}

TEST_CASE("write_all_by reports a peer that left as a write error, not a timeout",
          "[unit][common][fd]") {
    Pair p = socket_pair();
    ::close(p.reader);
    p.reader = -1;
    auto sent =
        qm::write_all_by(p.writer, "250 ok\r\n", clock_type::now() + std::chrono::seconds(5));
    REQUIRE_FALSE(sent);
    CHECK(sent.error().text != "write timeout");
}
