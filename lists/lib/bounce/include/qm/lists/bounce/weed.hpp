// ezmlm-weed's decision (ezmlm-weed(1)): which messages reaching a list's return or
// command addresses are not worth reading. Delivery-delay and success notices, vacation
// and other automatic replies, and mail from other lists are dropped; real failure
// reports always pass, even when they carry Auto-Submitted (Postfix's do) or arrive
// wrapped in MIME, because losing them would keep dead addresses on the list.
#pragma once

#include <string>
#include <string_view>

namespace qm::lists {

struct WeedDecision {
    bool drop = false;
    std::string reason; // why it was dropped, for the log; empty when it passes
};

[[nodiscard]] WeedDecision weed(std::string_view message);

} // namespace qm::lists
