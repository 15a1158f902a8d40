// The timestamp in front of an activity-log line, as the loggers write it: a number of
// seconds (accustamp, qmail's splogger inside a syslog line, journalctl -o short-unix) or
// multilog's TAI64N label. matchup keeps the number as written and turns a label into
// seconds, since the summaries subtract one timestamp from another.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace qm::analog {

struct Stamped {
    std::string when;      // seconds since 1970, possibly with a fraction: "1733499012.25"
    std::string_view text; // the event: "new msg 1234"
};

// Recognises "SECONDS[.FRACTION] TEXT", "@TAI64N TEXT", journalctl's "SECONDS HOST
// TAG[PID]: TEXT" and a syslog line from splogger ("Mon DD HH:MM:SS HOST TAG: SECONDS
// TEXT"); nullopt for anything else.
[[nodiscard]] std::optional<Stamped> split_stamp(std::string_view line);

// "@" and 24 hex digits (TAI64N: 2^62 + 10 + Unix seconds, then nanoseconds) as
// "SECONDS.NNNNNNNNN"; nullopt when it is not one.
[[nodiscard]] std::optional<std::string> tai64n_seconds(std::string_view label);

} // namespace qm::analog
