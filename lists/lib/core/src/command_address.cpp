#include "qm/lists/core/command_address.hpp"

#include <algorithm>
#include <charconv>

namespace qm::lists {

namespace {

constexpr size_t cookie_length = 20;

bool acceptable_address_byte(unsigned char c) {
    return c > 32 && c < 127 && c != '<' && c != '>' && c != '(' && c != ')' && c != ',' &&
           c != ';' && c != '\\' && c != '"' && c != '[' && c != ']';
}

} // namespace

std::string encode_target(std::string_view address) {
    std::string s(address);
    auto at = s.rfind('@');
    if (at != std::string::npos)
        s[at] = '=';
    return s;
}

std::optional<std::string> decode_target(std::string_view encoded) {
    auto eq = encoded.rfind('=');
    if (eq == std::string_view::npos || eq == 0 || eq + 1 == encoded.size())
        return std::nullopt;
    std::string_view box = encoded.substr(0, eq);
    std::string_view domain = encoded.substr(eq + 1);
    if (!std::all_of(encoded.begin(), encoded.end(),
                     [](char c) { return acceptable_address_byte(static_cast<unsigned char>(c)); }))
        return std::nullopt;
    if (domain.find('@') != std::string_view::npos || domain.front() == '.' ||
        domain.find("..") != std::string_view::npos)
        return std::nullopt;
    // A box with '@' in it would make the decoded address route somewhere else
    // (box@evil@domain): refused.
    if (box.find('@') != std::string_view::npos)
        return std::nullopt;
    return std::string(box) + "@" + std::string(domain);
}

std::optional<Confirmation> parse_confirmation(std::string_view text) {
    auto dot = text.find('.');
    if (dot == std::string_view::npos || dot == 0 || dot > 12)
        return std::nullopt;
    std::string_view digits = text.substr(0, dot);
    std::string_view cookie = text.substr(dot + 1);
    if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return std::nullopt;
    if (cookie.size() != cookie_length ||
        !std::all_of(cookie.begin(), cookie.end(), [](char c) { return c >= 'a' && c <= 'p'; }))
        return std::nullopt;
    long long when = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), when);
    if (ec != std::errc() || end != digits.data() + digits.size())
        return std::nullopt;
    return Confirmation{static_cast<std::time_t>(when), std::string(cookie)};
}

std::string format_confirmation(const Confirmation& c) {
    return std::to_string(static_cast<long long>(c.when)) + "." + c.cookie;
}

std::string confirmation_address(const ListInfo& list, std::string_view verb, const Confirmation& c,
                                 std::string_view target) {
    std::string local = list.outlocal + "-" + std::string(verb);
    if (!verb.empty() && verb.back() != '-' && verb.back() != '.')
        local += '.';
    local += format_confirmation(c) + "-" + encode_target(target);
    return local + "@" + list.outhost;
}

} // namespace qm::lists
