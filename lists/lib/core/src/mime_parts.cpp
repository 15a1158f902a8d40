#include "mime_parts.hpp"

#include "qm/address.hpp"
#include "qm/lists/core/mime.hpp"

#include <iterator>

namespace qm::lists::mime {

namespace {

using qm::address::lowercase;

const mimetic::MimeEntity*
find_part_below(const mimetic::MimeEntity& e,
                const std::function<bool(const mimetic::MimeEntity&)>& want, int depth) {
    if (want(e))
        return &e;
    if (depth > 8)
        return nullptr;
    for (const auto* p : e.body().parts())
        if (const auto* hit = find_part_below(*p, want, depth + 1))
            return hit;
    return nullptr;
}

} // namespace

std::string decoded_body(const mimetic::MimeEntity& e) {
    std::string raw(e.body().begin(), e.body().end());
    return decode_transfer_encoding(e.header().contentTransferEncoding().mechanism(), raw);
}

bool is_type(const mimetic::MimeEntity& e, std::string_view type, std::string_view subtype) {
    const auto& ct = e.header().contentType();
    return lowercase(ct.type()) == type && lowercase(ct.subtype()) == subtype;
}

const mimetic::MimeEntity* find_part(const mimetic::MimeEntity& e,
                                     const std::function<bool(const mimetic::MimeEntity&)>& want) {
    return find_part_below(e, want, 0);
}

const mimetic::MimeEntity* first_plain_text(const mimetic::MimeEntity& e) {
    return find_part(e, [](const mimetic::MimeEntity& p) {
        return p.body().parts().empty() &&
               (is_type(p, "text", "plain") || lowercase(p.header().contentType().type()).empty());
    });
}

} // namespace qm::lists::mime
