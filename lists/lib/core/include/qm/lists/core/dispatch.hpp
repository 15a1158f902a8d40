// ezmlm-dispatch (ezmlm-dispatch(1)): one .qmail-default for every list in a directory,
// each list in a subdirectory named by its local part. Which list and which of its
// control files (editor, manager, owner, bouncer, digest/bouncer, confirmer, moderator)
// take a delivery, and the $DEFAULT that file sees, as ezmlm-idx 7 chooses them from
// qmail-local's $DEFAULT. Pure.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace qm::lists {

struct DispatchTarget {
    std::string list;                 // the subdirectory
    std::string control_file;         // relative to it, e.g. "editor", "digest/bouncer"
    std::optional<std::string> value; // $DEFAULT for it; nullopt: unset
};

// For the command part rest of an address of list ("" for the list address itself):
// list -> editor; owner, digest-owner -> owner; digest-return-X -> digest/bouncer with X;
// return-X -> bouncer; confirm-/discard-X -> confirmer; accept-/reject-X -> moderator
// (with X); anything else -> manager with rest. is_file says whether a control file
// exists (a missing bouncer, confirmer or moderator passes the address to the manager).
[[nodiscard]] DispatchTarget
dispatch_within(const std::string& list, std::string_view rest,
                const std::function<bool(const std::string&)>& is_file);

// The whole $DEFAULT: the longest list name is not tried first but the whole value, then
// shorter prefixes at each '-' from the right, the first that is_list says exists.
// nullopt when none does.
[[nodiscard]] std::optional<DispatchTarget>
dispatch(std::string_view default_part, const std::function<bool(const std::string&)>& is_list,
         const std::function<bool(const std::string&)>& is_file);

} // namespace qm::lists
