// dot-forward(1) 0.71: reads sendmail .forward files for qmail-local. Each line holds RFC
// 822 addresses; "|cmd" pipes through a program (with preline's From_, Return-Path and
// Delivered-To lines); the user's own name or $USER@$HOST means "deliver here too";
// file deliveries and :include: are refused (the user should write a .qmail instead).
#pragma once

#include "qm/fwd/rfc822.hpp"
#include "qm/result.hpp"

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace qm::fwd {

struct DotForwardAction {
    enum class Kind { forward, program, direct };
    Kind kind;
    std::string text; // address or command
};

// Actions in dot-forward's order (lines in order, each line's addresses last to first).
// Refusals and parse errors are failures naming file and line; dot-forward reports them
// as temporary so the mail waits while the user fixes the file.
[[nodiscard]] Result<std::vector<DotForwardAction>>
parse_dot_forward(std::string_view content, const std::string& file, const Qualify& q,
                  std::string_view user, std::string_view host);

struct DotForwardRequest {
    std::vector<std::string> files; // tried in turn; the first non-empty one is used
    std::string user, host;         // $USER, $HOST
    std::string newsender, dtline;  // $NEWSENDER, $DTLINE
    bool dry_run = false;           // -n
};

// 0: no file, or direct delivery requested (qmail-local goes on with the .qmail file);
// 99: forwarded or piped, the rest of the .qmail file is skipped.
[[nodiscard]] Result<int> dot_forward(const DotForwardRequest& req, const Qualify& q,
                                      int message_fd,
                                      const std::function<void(const std::string&)>& report);

} // namespace qm::fwd
