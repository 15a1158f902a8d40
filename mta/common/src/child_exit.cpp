#include "qm/child_exit.hpp"

#include <sys/wait.h>

namespace qm {

ChildOutcome classify_child_exit(int wait_status) {
    if (!WIFEXITED(wait_status))
        return ChildOutcome::crashed;
    switch (WEXITSTATUS(wait_status)) {
    case 0:
        return ChildOutcome::success;
    case 99:
        return ChildOutcome::success_stop;
    case 100:
    case 64:
    case 65:
    case 70:
    case 76:
    case 77:
    case 78:
    case 112:
        return ChildOutcome::permanent;
    default:
        return ChildOutcome::temporary;
    }
}

} // namespace qm
