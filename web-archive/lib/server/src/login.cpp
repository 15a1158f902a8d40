#include "qm/web/server/login.hpp"

#include "qm/lists/core/listdir.hpp"
#include "qm/lists/core/reply.hpp"
#include "qm/lists/core/subscribers.hpp"
#include "qm/lists/moderate/moderation.hpp"
#include "qm/web/server/forms.hpp"
#include "qm/web/server/html.hpp"
#include "qm/web/server/session.hpp"

#include <sys/stat.h>

#include <iostream>

namespace qm::web::server {

namespace {

bool is_https(const Config& config) {
    return site_origin(config).starts_with("https://");
}

// The value of cookie name in a Cookie field ("a=1; b=2"), "" when absent.
std::string cookie_value(std::string_view field, std::string_view name) {
    size_t pos = 0;
    while (pos < field.size()) {
        size_t end = field.find(';', pos);
        if (end == std::string_view::npos)
            end = field.size();
        std::string_view pair = field.substr(pos, end - pos);
        while (!pair.empty() && pair.front() == ' ')
            pair.remove_prefix(1);
        const size_t eq = pair.find('=');
        if (eq != std::string_view::npos && pair.substr(0, eq) == name)
            return std::string(pair.substr(eq + 1));
        pos = end + 1;
    }
    return {};
}

std::string set_cookie(const Config& config, std::string_view value, std::time_t max_age) {
    std::string c = session_cookie_name(config) + "=" + std::string(value) +
                    "; Path=/; Max-Age=" + std::to_string(max_age) + "; HttpOnly; SameSite=Lax";
    if (is_https(config))
        c += "; Secure";
    return c;
}

void log(std::string_view list, const std::string& text) {
    std::cerr << "ezmlm-webarchive: " << list << ": " << text << "\n";
}

std::string list_href(std::string_view list) {
    return "/" + encode_segment(list) + "/";
}

// A page of the login flow: its forms post to the site, so its referrer policy lets the
// browser send its Origin (forms.hpp).
Response account_page(int status, std::string_view title, std::string_view list,
                      const std::string& content) {
    Response r;
    r.status = status;
    r.body =
        page_html(title, list, "<h1>" + escape_html(title) + "</h1>\n" + content, "same-origin");
    r.compressible = true;
    r.fields.emplace_back("Referrer-Policy", "same-origin");
    return r;
}

std::string address_form(std::string_view list) {
    return "<form method=\"post\" action=\"" + escape_html(list_href(list)) +
           "_/login\"><label>Your address <input type=\"email\" name=\"address\" "
           "maxlength=\"400\" required autocomplete=\"email\"></label> "
           "<button>Mail me a login link</button></form>\n";
}

// What a reader without a session sees on every page of the list.
Response login_page(std::string_view list, int status, std::string_view note = "") {
    std::string c;
    if (!note.empty())
        c += "<p><b>" + std::string(note) + "</b></p>\n";
    c += "<p>The archive of " + escape_html(list) +
         " is private: its subscribers and moderators read it after logging in. Give your "
         "address; if it may read the archive, a link to log in is mailed to it.</p>\n" +
         address_form(list);
    return account_page(status, "Private archive: " + std::string(list), list, c);
}

Response button_page(std::string_view title, std::string_view list, const std::string& text,
                     const std::string& action, std::string_view button) {
    return account_page(200, title, list,
                        text + "<form method=\"post\" action=\"" + escape_html(action) +
                            "\"><button>" + escape_html(button) + "</button></form>\n");
}

Response expired_link(std::string_view list) {
    return login_page(list, 403,
                      "This login link does not work (any more): it was used already, is "
                      "older than 30 minutes, or is for another list. Ask for a new one.");
}

// Mails address a login link for list when it may read it (after the answer was sent).
void mail_link(LoginStore& logins, const Config& config, const std::string& dir,
               const std::string& list, const std::string& address) {
    auto allowed = may_read(dir, address);
    if (!allowed) {
        log(list, "cannot check who may read the archive: " + allowed.error().with_dsn());
        return;
    }
    if (!*allowed)
        return;
    auto secret = logins.issue_link(address, list);
    if (!secret) {
        log(list, "cannot record a login link: " + secret.error().with_dsn());
        return;
    }
    if (!*secret) {
        log(list, "login link for " + address + " not mailed: " +
                      std::to_string(login_mails_per_window) + " already within the hour");
        return;
    }
    auto info = qm::lists::read_list(dir);
    if (!info) {
        log(list, "cannot read the list's address: " + info.error().with_dsn());
        return;
    }
    const std::string link = site_origin(config) + list_href(list) + "_/login/" + **secret;
    qm::lists::Reply mail;
    mail.to = address;
    mail.subject = "Log in to the web archive of " + info->address();
    mail.body = "Someone, probably you, asked to read the web archive of " + info->address() +
                " as\n" + address + ".\n\nTo log in, open this link within " +
                std::to_string(login_link_lifetime / 60) +
                " minutes and press the button there:\n\n" + link +
                "\n\nThe link works once. If you did not ask for it, ignore this message:\n"
                "nothing happens without the link.\n";
    if (auto q = qm::lists::send_reply(*info, mail, logins.now()); !q)
        log(list, "cannot mail a login link to " + address + ": " + q.error().with_dsn());
    else
        log(list, "login link mailed to " + address);
}

// The reader's session address, when the request carries a live session cookie.
Result<std::optional<std::string>> session_of(LoginStore& logins, const Config& config,
                                              const Request& request) {
    const std::string secret = cookie_value(request.cookie, session_cookie_name(config));
    if (secret.empty())
        return std::optional<std::string>{};
    return logins.session_address(secret);
}

Response login_form(LoginStore& logins, const Config& config, const std::string& dir,
                    const std::string& list, const Request& request) {
    if (request.method != "POST")
        return login_page(list, 200);
    if (!same_origin(config, request))
        return cross_site_form();
    const auto form = form_text(request.content_type, request.body);
    const std::string typed = form ? form_value(*form, "address") : std::string{};
    auto address = qm::lists::normalise_address(typed);
    if (typed.empty() || !address || address->find('\n') != std::string::npos)
        return login_page(list, 400, "That is not a mail address.");
    Response r = account_page(
        200, "Check your mail", list,
        "<p>If <b>" + escape_html(*address) + "</b> may read the archive of " + escape_html(list) +
            ", a link to log in is on its way to it. It works once, within " +
            std::to_string(login_link_lifetime / 60) +
            " minutes.</p>\n<p>No mail? Check the address and ask again in a while (at most " +
            std::to_string(login_mails_per_window) + " links an hour).</p>\n");
    // Whether the address is a reader shows neither in this answer nor in its timing: the
    // lookup and the mail happen after it is sent.
    r.deferred = [&logins, config, dir, list, addr = *address] {
        mail_link(logins, config, dir, list, addr);
    };
    return r;
}

Response login_link(LoginStore& logins, const Config& config, const std::string& list,
                    const std::string& token, const Request& request) {
    if (request.method != "POST") {
        auto address = logins.link_address(token, list);
        if (!address) {
            log(list, "cannot read the login links: " + address.error().with_dsn());
            return error_page(503);
        }
        if (!*address)
            return expired_link(list);
        return button_page("Log in to " + list, list,
                           "<p>Log in to the archive of " + escape_html(list) + " as <b>" +
                               escape_html(**address) + "</b>.</p>\n",
                           list_href(list) + "_/login/" + token, "Log in");
    }
    if (!same_origin(config, request))
        return cross_site_form();
    auto address = logins.spend_link(token, list);
    if (!address) {
        log(list, "cannot read the login links: " + address.error().with_dsn());
        return error_page(503);
    }
    if (!*address)
        return expired_link(list);
    auto session = logins.open_session(**address);
    if (!session) {
        log(list, "cannot start a session: " + session.error().with_dsn());
        return error_page(503);
    }
    log(list, **address + " logged in");
    Response r = account_page(303, "Logged in", list,
                              "<p><a href=\"" + escape_html(list_href(list)) +
                                  "\">Go to the archive</a>.</p>\n");
    r.fields.emplace_back("Location", list_href(list));
    r.fields.emplace_back("Set-Cookie", set_cookie(config, *session, session_lifetime));
    return r;
}

Response logout(LoginStore& logins, const Config& config, const std::string& list,
                const Request& request) {
    if (request.method != "POST")
        return button_page("Log out", list, "<p>Log out of the private archives here.</p>\n",
                           list_href(list) + "_/logout", "Log out");
    if (!same_origin(config, request))
        return cross_site_form();
    const std::string secret = cookie_value(request.cookie, session_cookie_name(config));
    if (auto s = logins.close_session(secret); !s) {
        log(list, "cannot end a session: " + s.error().with_dsn());
        return error_page(503);
    }
    Response r = account_page(200, "Logged out", list,
                              "<p>You are logged out. <a href=\"" + escape_html(list_href(list)) +
                                  "\">Log in again</a>.</p>\n");
    r.fields.emplace_back("Set-Cookie", set_cookie(config, "", 0));
    return r;
}

// A page of the list for a reader with a session.
Response reader_page(LoginStore& logins, const Config& config, const std::string& dir,
                     const std::string& list, const Request& request,
                     const std::function<Response()>& serve) {
    auto address = session_of(logins, config, request);
    if (!address) {
        log(list, "cannot read the sessions: " + address.error().with_dsn());
        return error_page(503);
    }
    if (!*address)
        return login_page(list, 403);
    auto allowed = may_read(dir, **address);
    if (!allowed) {
        log(list, "cannot check who may read the archive: " + allowed.error().with_dsn());
        return error_page(503);
    }
    if (!*allowed)
        return login_page(list, 403,
                          escape_html(**address) +
                              " may not read this archive (it is neither a subscriber nor a "
                              "moderator of the list). Log in with another address:");
    Response r = serve();
    // The way out, in the header of every HTML page (site.cpp's page() ends its header
    // with "</header>"); the logout page has the form.
    if (r.content_type.starts_with("text/html")) {
        if (const size_t at = r.body.find("</header>"); at != std::string::npos)
            r.body.insert(at, " · <a href=\"" + escape_html(list_href(list)) +
                                  "_/logout\">log out " + escape_html(**address) + "</a>");
    }
    return r;
}

bool has_database(const std::string& db) {
    struct stat st {};
    return ::stat((db + "/subscribers").c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

} // namespace

std::string session_cookie_name(const Config& config) {
    return is_https(config) ? "__Host-session" : "session";
}

Result<bool> may_read(const std::string& dir, std::string_view address) {
    auto moderators = qm::lists::moderator_db(dir);
    if (!moderators)
        return fail(moderators.error());
    std::vector<std::string> dbs{*moderators};
    if (!qm::lists::has_flag(dir, "modgetonly")) {
        dbs.push_back(dir);
        dbs.push_back(dir + "/digest");
    }
    for (const auto& db : dbs) {
        if (!has_database(db))
            continue;
        auto found = qm::lists::is_subscriber(db, address);
        if (!found)
            return fail(found.error());
        if (*found)
            return true;
    }
    return false;
}

Response private_page(LoginStore* logins, const Config& config, const Route& route,
                      const std::string& dir, const Request& request,
                      const std::function<Response()>& serve) {
    if (logins == nullptr || !list_is_archived(dir))
        return error_page(404);
    Response r;
    switch (route.page) {
    case Page::login:
        r = login_form(*logins, config, dir, route.list, request);
        break;
    case Page::login_link:
        r = login_link(*logins, config, route.list, route.token, request);
        break;
    case Page::logout:
        r = logout(*logins, config, route.list, request);
        break;
    default:
        r = reader_page(*logins, config, dir, route.list, request, serve);
        break;
    }
    add_private_fields(r);
    return r;
}

} // namespace qm::web::server
