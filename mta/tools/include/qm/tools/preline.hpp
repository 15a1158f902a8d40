// preline(1): feeds a program the message with the mbox-style lines qmail-local leaves
// out of program deliveries: $UFLINE (From_), $RPLINE (Return-Path) and $DTLINE
// (Delivered-To), in that order, followed by our stdin.
#pragma once

#include "qm/result.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace qm::tools {

struct PrelineRequest {
    bool ufline = true; // -f omits, -F restores
    bool rpline = true; // -r / -R
    bool dtline = true; // -d / -D
    std::vector<std::string> command;
};

// Options come first and end at the first non-option or "--", so the command keeps its
// own flags. An unknown option or a missing command is a usage error (permanent).
[[nodiscard]] Result<PrelineRequest> parse_preline_args(const std::vector<std::string>& args);

struct PrelineLines {
    std::string ufline, rpline, dtline;
};
[[nodiscard]] std::string preline_prefix(const PrelineRequest& req, const PrelineLines& lines);

// Runs the command with prefix + the rest of in_fd on its stdin; returns its exit code.
[[nodiscard]] Result<int> run_preline(const PrelineRequest& req, std::string_view prefix,
                                      int in_fd);

} // namespace qm::tools
