// dir/Log (dir/digest/Log, ...): ezmlm's advisory record of subscription changes, one
// line per change, "TIME EVENT ADDRESS[ COMMENT]": TIME decimal Unix time, EVENT "+" or
// "-" (ezmlm-idx also writes "+manual", "-probe", ...), ADDRESS with every byte outside
// '!'..'~' written as '?', COMMENT free text with tabs as spaces and other control bytes
// as '?'. The list owner reads it; ezmlm-manage's -log command mails it to moderators.
#pragma once

#include "qm/result.hpp"

#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace qm::lists {

[[nodiscard]] std::string format_log_line(std::time_t when, std::string_view event,
                                          std::string_view address, std::string_view comment = {});

// Appends one line to db/Log and syncs it (db is the list directory or a sub-database).
[[nodiscard]] Status append_subscription_log(const std::string& db, std::time_t when,
                                             std::string_view event, std::string_view address,
                                             std::string_view comment = {});

// The last line of db/Log about address (compared ignoring case, as written by
// format_log_line), or nothing when Log has none (or there is no Log).
struct LogEntry {
    std::time_t when = 0;
    std::string event;
    std::string comment;
};
[[nodiscard]] Result<std::optional<LogEntry>> last_log_entry(const std::string& db,
                                                             std::string_view address);

} // namespace qm::lists
