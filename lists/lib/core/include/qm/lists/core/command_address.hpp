// The pieces of ezmlm's command addresses (reference lists.md 1.5) that several programs
// share: the target written as box=domain, and the T.COOKIE confirmation part of
// list-sc.T.COOKIE-box=domain@host, list-return-warn-T.COOKIE-box=domain@host and the
// like. Each program parses its own verbs ($DEFAULT after "outlocal-") with these.
#pragma once

#include "qm/lists/core/listdir.hpp"

#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace qm::lists {

// "joe@far.example" -> "joe=far.example" (the last '@' becomes '=').
[[nodiscard]] std::string encode_target(std::string_view address);
// "joe=far.example" -> "joe@far.example" (the last '=' becomes '@'). nullopt when there is
// no '=', the box or the domain is empty, or the result could not be a mail address
// (control characters, spaces, a second '@' in the domain): such a request is refused,
// never guessed at.
[[nodiscard]] std::optional<std::string> decode_target(std::string_view encoded);

struct Confirmation {
    std::time_t when = 0;
    std::string cookie; // 20 letters a-p
};
// "1700000000.kpjgaoohbkefgcnmdjlb" -> {1700000000, "kpjg..."}; the part must be exactly a
// decimal time, a dot and 20 letters a-p. Anything else: nullopt.
[[nodiscard]] std::optional<Confirmation> parse_confirmation(std::string_view text);
[[nodiscard]] std::string format_confirmation(const Confirmation& c);

// outlocal-<verb>.<T>.<COOKIE>-<box=domain>@outhost, e.g. verb "sc" or "return-warn-"
// style verbs given with their own separator ("return-warn-" yields
// outlocal-return-warn-T.COOKIE-box=domain@outhost).
[[nodiscard]] std::string confirmation_address(const ListInfo& list, std::string_view verb,
                                               const Confirmation& c, std::string_view target);

} // namespace qm::lists
