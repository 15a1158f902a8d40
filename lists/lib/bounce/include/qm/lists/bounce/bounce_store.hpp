// The bounce directory of a list (ezmlm's layout, reference lists.md 1.3 and 1.7), kept
// so that a list can move between ezmlm and us with its bounce state:
//
//   bounce/d/<T/10000>/d<T%10000>.<pid>  first bounce of an address since its last
//                                        warning: "address\0Return-Path: <sender>\n"
//                                        then the bounce, readable with any pager
//   bounce/d/<T/10000>/w<T%10000>.<pid>  a bounced warning, same layout
//   bounce/h/<c>/h<19 letters>           the numbers of the messages that bounced,
//                                        "   N\n" each; c and the letters are a hash of
//                                        the address
//   bounce/lastd, bounce/lasth           when ezmlm-warn last looked, last purged
//   bounce/uncounted                     ours: failures that count toward nothing
//                                        (transient, policy, message), one line each
//
// T is the list clock (qm::lists::now()) and every file's mtime is set to it, so that
// ages computed by ezmlm-warn agree with the clock a test controls. Writers hold
// <work>/lockbounce; <work> is the list directory or dir/digest.
#pragma once

#include "qm/lists/bounce/bounce_report.hpp"
#include "qm/result.hpp"

#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace qm::lists {

// The 20 letters a-p naming an address's bounce history: ezmlm-idx 7's keyless cookie of
// the address exactly as the bounce gave it (ezmlm7_cookie.hpp), so that histories carry
// over between 7.x and us in both directions (its ezmlm-warn reads ours, we read its).
[[nodiscard]] std::string bounce_hash(std::string_view address);
[[nodiscard]] std::string bounce_history_path(const std::string& work, std::string_view address);
// The name our versions before 7.x's naming used (a SHA-256 of the address with its
// domain lower-cased), still read so that a history kept then is not lost.
[[nodiscard]] std::string earlier_bounce_history_path(const std::string& work,
                                                      std::string_view address);
// Where the address's history is now: 7.x's name, or the earlier one when only that
// exists.
[[nodiscard]] Result<std::string> current_bounce_history_path(const std::string& work,
                                                              std::string_view address);
// bounce/d/<when/10000>, where bounces recorded at `when` go.
[[nodiscard]] std::string bounce_day_dir(const std::string& work, std::time_t when);

// A distribution bounce of message msgnum: adds msgnum to the address's history and, if
// the history was empty, keeps this bounce as the d file the warning will quote.
// sequence tells apart several addresses recorded by one process (a QSBMF report
// naming many). The bounce is kept up to max_kept_bounce bytes.
[[nodiscard]] Status record_distribution_bounce(const std::string& work, std::string_view address,
                                                unsigned long msgnum, std::time_t when,
                                                std::string_view sender, std::string_view bounce,
                                                unsigned sequence = 0);
// A bounced warning: the w file that makes ezmlm-warn send a probe.
[[nodiscard]] Status record_warning_bounce(const std::string& work, std::string_view address,
                                           std::time_t when, std::string_view sender,
                                           std::string_view bounce);
// One line in bounce/uncounted: "T verdict what address status diagnostic", what being
// the message number, "warn" or "probe".
[[nodiscard]] Status record_uncounted(const std::string& work, std::time_t when,
                                      std::string_view what, std::string_view address,
                                      const RecipientFailure& failure);

inline constexpr size_t max_kept_bounce = 64 * 1024;

// The d/w file split into its address and the rest (Return-Path line and bounce).
struct KeptBounce {
    std::string address;
    std::string text;
};
[[nodiscard]] KeptBounce parse_kept_bounce(std::string_view file);

// A file's contents, nullopt when it does not exist.
[[nodiscard]] Result<std::optional<std::string>> read_existing(const std::string& path);

// Sets a file's access and modification time to the list clock.
[[nodiscard]] Status set_list_mtime(const std::string& path, std::time_t when);

} // namespace qm::lists
