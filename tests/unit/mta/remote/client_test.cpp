#include "qm/remote/client.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdio>
#include <optional>

namespace asio = boost::asio;

TEST_CASE("client: a refused connection defers every recipient", "[remote][client]") {
    char path[] = "/tmp/qm-client-test-XXXXXX";
    int fd = ::mkstemp(path);
    REQUIRE(fd >= 0);
    REQUIRE(::write(fd, "x\n", 2) == 2);
    ::close(fd);
    asio::io_context io;
    qm::remote::ClientConfig cfg;
    cfg.helohost = "test.example";
    cfg.routes.set({"remote.example:127.0.0.1:1"});
    qm::remote::Client client(io.get_executor(), cfg);
    std::optional<std::vector<qm::Verdict>> got;
    asio::co_spawn(
        io,
        client.deliver(
            {path, "a@test.example", "remote.example", {"x@remote.example", "y@remote.example"}}),
        [&](std::exception_ptr e, qm::remote::Outcome r) {
            REQUIRE_FALSE(e);
            got = qm::remote::fold(r);
        });
    io.run();
    ::unlink(path);
    REQUIRE(got);
    REQUIRE(got->size() == 2);
    CHECK((*got)[0].letter() == 'Z');
    CHECK((*got)[0].text == "Sorry, I wasn't able to establish an SMTP connection. (#4.4.1)\n");
}
