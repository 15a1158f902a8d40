#include "qm/tools/splogger.hpp"

#include <catch2/catch.hpp>

#include <syslog.h>

using qm::tools::SploggerLines;

namespace {

int stamps = 0;
std::string fake_stamp() {
    return "100." + std::to_string(++stamps);
}

} // namespace

TEST_CASE("splogger: a stamp per line - priority by alert: and warning: - ? for unprintables",
          "[tools][splogger]") {
    stamps = 0;
    SploggerLines lines(fake_stamp);
    // Lines may arrive in any pieces.
    auto e = lines.feed("status: local 0/10\nwarn");
    REQUIRE(e.size() == 1);
    CHECK(e[0].priority == LOG_INFO);
    CHECK(e[0].text == "100.1 status: local 0/10");
    e = lines.feed("ing: trouble\nalert: cannot start\n\ttab\x01\xff\n\n");
    REQUIRE(e.size() == 3); // the empty line makes no entry
    CHECK(e[0].priority == LOG_WARNING);
    CHECK(e[0].text == "100.2 warning: trouble");
    CHECK(e[1].priority == LOG_ALERT);
    CHECK(e[1].text == "100.3 alert: cannot start");
    CHECK(e[2].text == "100.4 ?tab??");
    CHECK(lines.finish().empty());
}

TEST_CASE("splogger: a long line goes in pieces of 799 bytes - the rest with stamp+",
          "[tools][splogger]") {
    stamps = 0;
    SploggerLines lines(fake_stamp);
    auto e = lines.feed("warning: " + std::string(1700, 'x') + "\n");
    REQUIRE(e.size() == 3);
    CHECK(e[0].text == "100.1 warning: " + std::string(790, 'x'));
    CHECK(e[1].text == "100.1+" + std::string(799, 'x'));
    CHECK(e[2].text == "100.1+" + std::string(111, 'x'));
    // Every piece keeps the line's priority.
    CHECK(e[1].priority == LOG_WARNING);
    CHECK(e[2].priority == LOG_WARNING);
    // A last line without its newline is logged at the end.
    CHECK(lines.feed("end without newline").empty());
    auto last = lines.finish();
    REQUIRE(last.size() == 1);
    CHECK(last[0].text == "100.2 end without newline");
}
