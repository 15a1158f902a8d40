// dir/Log: ezmlm's advisory record of subscription changes (ezmlm(5)), one line per
// change: "T event address[ comment]", T the decimal Unix time, event such as +manual,
// -probe. Bytes outside printable ASCII become '?', so a line is always one line.
#pragma once

#include "qm/result.hpp"

#include <ctime>
#include <string>
#include <string_view>

namespace qm::lists {

[[nodiscard]] std::string subscriber_log_line(std::time_t when, std::string_view event,
                                              std::string_view address,
                                              std::string_view comment = {});

// Appends one line to db/Log (db is the list directory or a sub-database such as
// dir/digest). Like ezmlm's the log is advisory, but we still sync it.
[[nodiscard]] Status append_subscriber_log(const std::string& db, std::time_t when,
                                           std::string_view event, std::string_view address,
                                           std::string_view comment = {});

} // namespace qm::lists
