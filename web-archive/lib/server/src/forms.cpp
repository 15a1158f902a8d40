#include "qm/web/server/forms.hpp"

#include "qm/address.hpp"
#include "qm/lists/core/mime.hpp"
#include "qm/web/index/message.hpp"
#include "qm/web/server/route.hpp"

#include <algorithm>

namespace qm::web::server {

namespace {

// The fields of a multipart/form-data body (RFC 7578) as urlencoded pairs.
std::optional<std::string> multipart_form(std::string_view content_type, std::string_view body) {
    // The MIME reader takes a message with "\n" line ends; HTTP sends "\r\n".
    std::string message = "Content-Type: " + std::string(content_type) + "\n\n";
    for (size_t i = 0; i < body.size(); ++i)
        if (!(body[i] == '\r' && i + 1 < body.size() && body[i + 1] == '\n'))
            message += body[i];
    auto leaves = qm::lists::mime_leaves(message);
    if (!leaves)
        return std::nullopt;
    std::string out;
    for (const auto& leaf : *leaves) {
        const auto disposition = qm::lists::unfolded_field(leaf.fields, "content-disposition");
        if (!disposition || !qm::address::lowercase(*disposition).starts_with("form-data"))
            continue;
        const std::string name = qm::web::header_parameter(*disposition, "name");
        if (name.empty() || !qm::web::header_parameter(*disposition, "filename").empty())
            continue;
        std::string_view value = leaf.body;
        while (!value.empty() && (value.back() == '\n' || value.back() == '\r'))
            value.remove_suffix(1);
        if (!out.empty())
            out += '&';
        out += encode_query_value(name) + "=" + encode_query_value(value);
    }
    return out;
}

} // namespace

std::optional<std::string> form_text(std::string_view content_type, std::string_view body) {
    const std::string type = qm::address::lowercase(
        qm::lists::trim_blanks(content_type.substr(0, content_type.find(';'))));
    if (type == "application/x-www-form-urlencoded")
        return std::string(body);
    if (type == "multipart/form-data")
        return multipart_form(content_type, body);
    return std::nullopt;
}

bool same_origin(const Config& config, const Request& request) {
    return !request.origin.empty() && request.origin == site_origin(config);
}

void add_private_fields(Response& response) {
    std::erase_if(response.fields,
                  [](const auto& f) { return qm::address::lowercase(f.first) == "cache-control"; });
    response.fields.emplace_back("Cache-Control", "private, no-store");
}

Response cross_site_form() {
    Response r;
    r.status = 403;
    r.body = page_html("Form refused", "",
                       "<h1>Form refused</h1>\n<p>This form did not come from this site's own "
                       "pages (its Origin is missing or another site's), so it was not "
                       "acted on. Open the page on this site and send it from there.</p>\n");
    add_private_fields(r);
    return r;
}

} // namespace qm::web::server
