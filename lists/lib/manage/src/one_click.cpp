#include "qm/lists/manage/one_click.hpp"

#include "qm/lists/core/command_address.hpp"
#include "qm/lists/core/subscribers.hpp"
#include "qm/lists/core/subscription_log.hpp"
#include "qm/lists/manage/manage.hpp"

namespace qm::lists {

namespace {

// The comment of the Log lines one-click unsubscription writes.
constexpr std::string_view one_click_comment = "one-click";

bool plain_url_byte(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~' || c == '=' || c == '+' || c == '@';
}

int hex_value(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

// The form body holds List-Unsubscribe=One-Click as one of its &-separated pairs
// (RFC 8058 section 3.1; a client may add others).
bool one_click_body(std::string_view body) {
    while (!body.empty() && (body.back() == '\n' || body.back() == '\r'))
        body.remove_suffix(1);
    while (!body.empty()) {
        auto amp = body.find('&');
        if (body.substr(0, amp) == "List-Unsubscribe=One-Click")
            return true;
        body = amp == std::string_view::npos ? std::string_view{} : body.substr(amp + 1);
    }
    return false;
}

} // namespace

std::string percent_encode(std::string_view text) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : text) {
        if (plain_url_byte(c)) {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

std::optional<std::string> percent_decode(std::string_view text) {
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%') {
            out += text[i];
            continue;
        }
        if (i + 2 >= text.size())
            return std::nullopt;
        int hi = hex_value(text[i + 1]), lo = hex_value(text[i + 2]);
        if (hi < 0 || lo < 0)
            return std::nullopt;
        if (hi == 0 && lo == 0)
            return std::nullopt;
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
    }
    return out;
}

std::string one_click_token(std::string_view key, CookieScope scope, std::time_t when,
                            std::string_view address) {
    Confirmation c{when, make_cookie(key, scope, when, cookie_subject(address),
                                     CookieAction::one_click_unsubscribe)};
    return percent_encode(format_confirmation(c) + "-" + encode_target(address));
}

std::string one_click_url(std::string_view base, std::string_view token) {
    while (!base.empty() && base.back() == '/')
        base.remove_suffix(1);
    return std::string(base) + "/unsubscribe/" + std::string(token);
}

Result<OneClickResult> one_click_unsubscribe(const std::string& dir, CookieScope scope,
                                             std::string_view method, std::string_view token,
                                             std::string_view body, std::time_t now) {
    OneClickResult result;
    auto decoded = percent_decode(token);
    if (!decoded)
        return result;
    const auto dash = decoded->find('-');
    if (dash == std::string::npos)
        return result;
    auto confirmation = parse_confirmation(std::string_view(*decoded).substr(0, dash));
    auto target = decode_target(std::string_view(*decoded).substr(dash + 1));
    if (!confirmation || !target)
        return result;
    auto address = normalise_address(*target);
    if (!address)
        return result;
    auto key = read_list_key(dir);
    if (!key)
        return fail(key.error());
    if (check_cookie(*key, scope, confirmation->when, cookie_subject(*address),
                     CookieAction::one_click_unsubscribe, confirmation->cookie, now,
                     one_click_cookie_lifetime) != CookieVerdict::valid)
        return result;
    result.address = *address;
    if (method != "POST" || !one_click_body(body)) {
        result.outcome = OneClickOutcome::confirm_needed;
        return result;
    }
    const std::string db = scope_database(dir, scope);
    // The Log line is written under the subscribers' lock, so that a retry racing this
    // request (it waits for the lock) already finds it.
    auto removed = unsubscribe(db, *address, [&] {
        return append_subscription_log(db, now, "-", *address, one_click_comment);
    });
    if (!removed)
        return fail(removed.error());
    if (*removed) {
        result.outcome = OneClickOutcome::unsubscribed;
        return result;
    }
    // Mail clients and proxies resend a POST whose answer they missed: when the address
    // last left by a one-click POST, this is such a retry, and it gets the same answer,
    // with nothing written again.
    auto last = last_log_entry(db, *address);
    if (!last)
        return fail(last.error());
    const bool retry = *last && (*last)->event == "-" && (*last)->comment == one_click_comment;
    result.outcome = retry ? OneClickOutcome::unsubscribed : OneClickOutcome::not_subscribed;
    return result;
}

} // namespace qm::lists
