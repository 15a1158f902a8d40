// What the pages that take a POST share (one_click.hpp, login.hpp): reading a form's
// body, the CSRF check on its Origin, and the fields that keep their answers out of
// caches. Pure functions, no I/O.
#pragma once

#include "qm/web/server/config.hpp"
#include "qm/web/server/site.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace qm::web::server {

// A POST's form as application/x-www-form-urlencoded text: such a body as it is; the
// fields of a multipart/form-data body (those without a file name) as name=value pairs,
// percent-encoded, joined by "&"; nullopt for any other type or broken multipart.
[[nodiscard]] std::optional<std::string> form_text(std::string_view content_type,
                                                   std::string_view body);

// Whether a form was sent from this site's own pages: its Origin field is exactly the
// site's origin (site_origin). Browsers send Origin with every POST; a missing one, "null"
// (a sandboxed frame, a page under Referrer-Policy no-referrer) or another site's is
// refused. SameSite=Lax on the session cookie is the second line.
[[nodiscard]] bool same_origin(const Config& config, const Request& request);

// Cache-Control: private, no-store (and Vary: Cookie): for every answer about a reader's
// account or from a private archive, so no shared cache or browser history keeps one.
void add_private_fields(Response& response);

// The page for a form that did not come from this site (403).
[[nodiscard]] Response cross_site_form();

} // namespace qm::web::server
