// fastforward(1) 0.51: looks the recipient up in a forwarding table, expands addresses,
// binary mailing lists and nested table entries, runs the programs it finds and injects
// one copy for all remaining recipients through qmail-queue, with the list owner as
// envelope sender. Loops inside the table are cut by remembering every command already
// expanded; loops across deliveries are caught by qmail-local's Delivered-To check.
#pragma once

#include "qm/cdb.hpp"
#include "qm/result.hpp"

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qm::fwd {

struct ForwardPlan {
    std::vector<std::string> programs;   // "|cmd" or "!cmd", in expansion order
    std::string sender;                  // envelope sender of the forwarded copy
    std::vector<std::string> recipients; // in fastforward's output order
};

// Reads a binary mailing list at delivery time (the path relative to the cwd).
using ListLoader = std::function<Result<std::string>(const std::string& path)>;
// The real loader: the file must be world-readable (it is read on behalf of whoever sent
// the mail); a missing file is a temporary failure so mail waits for the admin.
[[nodiscard]] Result<std::string> load_list_file(const std::string& path);

// nullopt when the table has no entry for recipient. Keys tried: ":user@host",
// ":@host", ":user@"; the same with '?' for the owner, unless sender is "" or "#@[]".
[[nodiscard]] Result<std::optional<ForwardPlan>> expand(const cdb::Reader& db,
                                                        std::string_view recipient,
                                                        std::string_view sender,
                                                        const ListLoader& load);

struct FastforwardRequest {
    std::string table;         // the cdb file
    std::string recipient;     // already chosen from $RECIPIENT or $DEFAULT/$EXT@$HOST
    std::string sender;        // $SENDER, or fastforward's placeholder when unset
    std::string dtline;        // $DTLINE, prepended to the forwarded copy
    bool pass_through = false; // -p
    bool dry_run = false;      // -n
};

// Runs fastforward on the message on fd message_fd (rewound before each use). Messages
// for the caller ("run ...", "to <...>", "qp N") go to report. Returns the exit code for
// success: 0, or 99 with -p when the table handled the recipient.
[[nodiscard]] Result<int> fastforward(const FastforwardRequest& req, int message_fd,
                                      const std::function<void(const std::string&)>& report);

// Runs "|cmd" with sh -c or "!cmd" through preline, the message on stdin from offset 0.
// Exit 0 is success; 64 65 70 76 77 78 100 112 are permanent; anything else temporary.
[[nodiscard]] Status run_delivery_program(std::string_view command, int message_fd);

// Makes fd 0 seekable: returns it unchanged if it is, else a copy in an anonymous file.
[[nodiscard]] Result<int> seekable_message(int fd);

} // namespace qm::fwd
