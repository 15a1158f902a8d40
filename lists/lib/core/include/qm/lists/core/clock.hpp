// The list programs' idea of "now". Cookies expire, bounces age and digests fall due by
// it; tests of those cycles set QM_LISTS_NOW (decimal Unix time) instead of waiting days.
#pragma once

#include <ctime>

namespace qm::lists {

// QM_LISTS_NOW when it is set to a decimal time, else the system clock.
[[nodiscard]] std::time_t now();

} // namespace qm::lists
