// The date formats qmail writes: RFC 822 dates in GMT ("26 Sep 1995 04:46:54 -0000",
// date822fmt) and the ctime-style date of an mbox From_ line ("Thu Jan 01 00:00:00 1970":
// qmail's myctime pads the day with a zero, where ctime(3) pads it with a space).
#pragma once

#include <ctime>
#include <string>

namespace qm {

[[nodiscard]] std::string date822(std::time_t t);
// With a trailing newline, as qmail's myctime.
[[nodiscard]] std::string mbox_ctime(std::time_t t);
// "YYYYMMDDhhmmss" in GMT, for Message-IDs.
[[nodiscard]] std::string compact_timestamp(std::time_t t);

} // namespace qm
