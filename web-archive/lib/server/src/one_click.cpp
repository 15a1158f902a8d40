#include "qm/web/server/one_click.hpp"

#include "qm/lists/core/clock.hpp"
#include "qm/lists/manage/one_click.hpp"
#include "qm/web/server/forms.hpp"
#include "qm/web/server/html.hpp"
#include "qm/web/server/route.hpp"

#include <iostream>

namespace qm::web::server {

namespace {

using qm::lists::OneClickOutcome;

Response answer(int status, std::string_view title, const std::string& content) {
    Response r;
    r.status = status;
    r.body = page_html(title, "", "<h1>" + escape_html(title) + "</h1>\n" + content);
    r.compressible = true;
    add_private_fields(r);
    return r;
}

// Where a reader can still leave when the link cannot be used. The list's address is
// not named: the page answers anyone who guesses a list's name.
constexpr std::string_view by_mail =
    "<p>The list's mail also says how to leave by mail: send a message to the "
    "<code>mailto:</code> address in its List-Unsubscribe field.</p>\n";

Response confirm_page(std::string_view list, std::string_view token, const std::string& address,
                      int status) {
    const std::string action = "/" + encode_segment(list) + "/unsubscribe/" + std::string(token);
    return answer(status, "Unsubscribe from " + std::string(list),
                  "<p>Unsubscribe <b>" + escape_html(obfuscate_address(address)) + "</b> from " +
                      escape_html(list) +
                      "? Nothing changes until you press the button.</p>\n"
                      "<form method=\"post\" action=\"" +
                      escape_html(action) +
                      "\"><input type=\"hidden\" name=\"List-Unsubscribe\" "
                      "value=\"One-Click\"><button>Unsubscribe</button></form>\n");
}

} // namespace

Response one_click_page(const std::string& dir, std::string_view list, std::string_view token,
                        const Request& request) {
    const bool post = request.method == "POST";
    std::string form;
    if (post) {
        auto text = form_text(request.content_type, request.body);
        if (!text)
            return answer(415, "Unsupported form",
                          "<p>Send List-Unsubscribe=One-Click as "
                          "application/x-www-form-urlencoded or multipart/form-data.</p>\n");
        form = std::move(*text);
    }
    auto result = qm::lists::one_click_unsubscribe(
        dir, qm::lists::CookieScope::main, post ? "POST" : "GET", token, form, qm::lists::now());
    if (!result) {
        // Most often the server runs as a user who may not read dir/key or change the
        // subscriber files (it must run as the list's owner).
        std::cerr << "ezmlm-webarchive: " << list
                  << ": one-click unsubscription failed: " << result.error().with_dsn() << "\n";
        return answer(503, "Cannot unsubscribe now",
                      "<p>The list's files could not be read or changed, so nothing was "
                      "done. Try again later.</p>\n" +
                          std::string(by_mail));
    }
    switch (result->outcome) {
    case OneClickOutcome::confirm_needed:
        // A POST without the one-click field is a client's mistake: the button again.
        return confirm_page(list, token, result->address, post ? 400 : 200);
    case OneClickOutcome::unsubscribed:
        return answer(200, "Unsubscribed",
                      "<p><b>" + escape_html(obfuscate_address(result->address)) +
                          "</b> is no longer subscribed to " + escape_html(list) + ".</p>\n");
    case OneClickOutcome::not_subscribed:
        return answer(200, "Not subscribed",
                      "<p><b>" + escape_html(obfuscate_address(result->address)) +
                          "</b> was not subscribed to " + escape_html(list) +
                          ": nothing to do.</p>\n");
    case OneClickOutcome::bad_token:
        break;
    }
    return answer(403, "Link not valid",
                  "<p>This unsubscribe link is not valid: it was changed, or it is older than "
                  "90 days. Nothing was done.</p>\n" +
                      std::string(by_mail));
}

} // namespace qm::web::server
