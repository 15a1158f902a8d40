#include "qm/date.hpp"

#include <catch2/catch.hpp>

#include <ctime>

namespace {

std::time_t gmt(int year, int month, int day, int hour, int min, int sec) {
    std::tm tm{};
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = min;
    tm.tm_sec = sec;
    return ::timegm(&tm);
}

} // namespace

TEST_CASE("mbox From_ date: the day padded with a zero as qmail's myctime does", "[common][date]") {
    // notqmail's myctime.c formats the day with fmt_uint0(..., 2): "Dec 05", not ctime's
    // "Dec  5". A From_ line is "From sender " and this.
    CHECK(qm::mbox_ctime(0) == "Thu Jan 01 00:00:00 1970\n");
    CHECK(qm::mbox_ctime(gmt(2026, 12, 5, 9, 7, 3)) == "Sat Dec 05 09:07:03 2026\n");
    CHECK(qm::mbox_ctime(gmt(2026, 12, 25, 23, 59, 59)) == "Fri Dec 25 23:59:59 2026\n");
}

TEST_CASE("RFC 822 date: the day unpadded and GMT as qmail's date822fmt writes it",
          "[common][date]") {
    CHECK(qm::date822(gmt(2026, 12, 5, 9, 7, 3)) == "5 Dec 2026 09:07:03 -0000");
    CHECK(qm::date822(gmt(1995, 9, 26, 4, 46, 54)) == "26 Sep 1995 04:46:54 -0000");
    CHECK(qm::compact_timestamp(gmt(2026, 12, 5, 9, 7, 3)) == "20261205090703");
}
