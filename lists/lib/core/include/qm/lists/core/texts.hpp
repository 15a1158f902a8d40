// The English texts ezmlm-make puts in a new list's text/ directory (ezmlm(5) names),
// with ezmlm-idx's tags: <#l#> list local part, <#h#> list host, <#A#> target address,
// <#R#> the address to reply to.
#pragma once

#include <string_view>
#include <utility>
#include <vector>

namespace qm::lists {

[[nodiscard]] const std::vector<std::pair<std::string_view, std::string_view>>& default_texts();

} // namespace qm::lists
