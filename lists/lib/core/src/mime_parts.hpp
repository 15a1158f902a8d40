// MIME reading shared by the list programs that look inside mail they are sent (bounce
// reports, moderators' replies), on top of mimetic. Private to the list libraries, which
// get it by linking qm_lists_mime_parts: mimetic's headers are no part of their
// interfaces.
#pragma once

#include <mimetic/mimetic.h>

#include <functional>
#include <string>
#include <string_view>

namespace qm::lists::mime {

// The part's body with its Content-Transfer-Encoding (base64, quoted-printable) undone.
[[nodiscard]] std::string decoded_body(const mimetic::MimeEntity& e);

// True if the part's Content-Type is type/subtype (ignoring case).
[[nodiscard]] bool is_type(const mimetic::MimeEntity& e, std::string_view type,
                           std::string_view subtype);

// Depth-first (at most 8 levels down): the first part for which want holds.
[[nodiscard]] const mimetic::MimeEntity*
find_part(const mimetic::MimeEntity& e,
          const std::function<bool(const mimetic::MimeEntity&)>& want);

// The first leaf part that is text/plain or has no Content-Type (a message without
// MIME is its own such part); nullptr when there is none.
[[nodiscard]] const mimetic::MimeEntity* first_plain_text(const mimetic::MimeEntity& e);

} // namespace qm::lists::mime
