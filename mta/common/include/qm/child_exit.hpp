// How a delivery program's exit status is read (qmail-command(8)): 0 success, 99 success
// and stop processing the .qmail file, 100 and the sysexits codes 64 65 70 76 77 78 112
// permanent, everything else (111 included) temporary; a crash is temporary.
#pragma once

namespace qm {

enum class ChildOutcome { success, success_stop, permanent, temporary, crashed };

[[nodiscard]] ChildOutcome classify_child_exit(int wait_status);

} // namespace qm
