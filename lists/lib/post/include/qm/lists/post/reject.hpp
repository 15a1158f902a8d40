// ezmlm-reject: the editor's first line refuses posts a list should not distribute
// (ezmlm-reject(1)): too big or too small for dir/msgsize, a MIME type in dir/mimereject
// (or a top-level type dir/mimeremove would strip entirely, or one dir/mimekeep does not
// keep), a field named in dir/headerreject, no Subject or a subject that is only a
// command, a command in the first body line (-b), the list address in neither To nor Cc.
// Precedence: junk or bulk is not refused but ignored (exit 99), as ezmlm does: bouncing
// an autoresponder's mail only starts a loop.
#pragma once

#include "qm/lists/core/listdir.hpp"
#include "qm/lists/post/post_shape.hpp"
#include "qm/result.hpp"

#include <optional>
#include <string>
#include <vector>

namespace qm::lists {

struct RejectRules {
    // The command-line switches (ezmlm-reject's letters).
    bool require_list_address = true;    // -t (default) / -T
    bool ignore_missing_address = false; // -q: exit 99 instead of refusing
    bool require_subject = true;         // -s / -S
    bool reject_commands = true;         // -c / -C: subject that is only a command
    bool body_commands = false;          // -b / -B: also "subscribe..." subject or first line
    bool header_reject = true;           // -h / -H: dir/headerreject
    // -f / -F: a command subject (with -c) is sent on to list-request instead of refused
    // (needs the list directory).
    bool forward_commands = false;

    // From the list directory (all empty without one).
    std::optional<ListInfo> list; // outlocal/outhost for the To/Cc check
    // dir/sublist: posts come from the parent list, addressed to it and with its
    // Precedence: bulk, and ezmlm-send checks their return path; ezmlm-idx leaves
    // ezmlm-reject out of a sublist's editor, we accept everything there.
    bool sublist = false;
    size_t max_body = 0, min_body = 0;   // dir/msgsize "max:min"; 0 = no limit
    std::vector<std::string> mimereject; // lower case
    std::vector<std::string> mimeremove;
    std::optional<std::vector<std::string>> mimekeep; // present: keep only these
    std::vector<std::string> headerreject;            // lower-case field names
};

// Fills rules' list-directory part from dir. Without a list directory the To/Cc check
// cannot be made and is off, as in ezmlm.
[[nodiscard]] Status read_reject_rules(const std::string& dir, RejectRules& rules);

// accept: hand the post on; ignore: drop it silently (exit 99). A refusal is a permanent
// Failure whose text tells the poster why (exit 100, the bounce carries it).
struct PostVerdict {
    // forward: a command to send on to list-request (-f), then ignore it here.
    enum class Kind { accept, ignore, forward } kind = Kind::accept;
    std::string reason; // for ignore
};
[[nodiscard]] Result<PostVerdict> check_post(const RejectRules& rules, const PostShape& post);

// True if one of the address fields names outlocal@outhost (any letter case), read as
// RFC 822 address lists; a field that does not parse is searched as plain text.
[[nodiscard]] bool names_list(const std::vector<std::string>& address_fields, const ListInfo& list);

} // namespace qm::lists
