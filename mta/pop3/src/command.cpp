#include "qm/pop3/command.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <utility>

namespace qm::pop3 {

namespace {

// Leading decimal digits; nullopt when there are none or they overflow.
std::optional<unsigned long> leading_number(std::string_view s, size_t& used) {
    used = 0;
    while (used < s.size() && std::isdigit(static_cast<unsigned char>(s[used])))
        ++used;
    if (used == 0)
        return std::nullopt;
    unsigned long v = 0;
    if (std::from_chars(s.data(), s.data() + used, v).ec != std::errc())
        return std::nullopt;
    return v;
}

} // namespace

Words split_command(std::string_view line) {
    if (line.ends_with('\r'))
        line.remove_suffix(1);
    const size_t space = std::min(line.find(' '), line.size());
    std::string verb(line.substr(0, space));
    std::transform(verb.begin(), verb.end(), verb.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::string_view rest = line.substr(space);
    while (rest.starts_with(' '))
        rest.remove_prefix(1);
    return {std::move(verb), std::string(rest)};
}

Command parse_command(std::string_view line) {
    auto [verb, argument] = split_command(line);
    static constexpr std::array<std::pair<std::string_view, Verb>, 11> verbs{{
        {"quit", Verb::quit},
        {"stat", Verb::stat},
        {"list", Verb::list},
        {"uidl", Verb::uidl},
        {"dele", Verb::dele},
        {"retr", Verb::retr},
        {"rset", Verb::rset},
        {"last", Verb::last},
        {"top", Verb::top},
        {"noop", Verb::noop},
        {"capa", Verb::capa},
    }};
    Command c;
    c.argument = std::move(argument);
    for (const auto& [name, v] : verbs)
        if (verb == name)
            c.verb = v;
    return c;
}

std::string_view error_text(NumberError e) {
    switch (e) {
    case NumberError::syntax:
        return "syntax error";
    case NumberError::zero:
        return "messages are counted from 1";
    case NumberError::too_big:
        break;
    }
    return "not that many messages";
}

std::expected<size_t, NumberError> message_index(std::string_view argument, size_t count) {
    size_t used = 0;
    const auto n = leading_number(argument, used);
    if (!n) {
        // Digits too many for a number still name a message that is not there.
        return std::unexpected(used > 0 ? NumberError::too_big : NumberError::syntax);
    }
    if (*n == 0)
        return std::unexpected(NumberError::zero);
    if (*n > count)
        return std::unexpected(NumberError::too_big);
    return static_cast<size_t>(*n - 1);
}

std::optional<unsigned long> top_lines(std::string_view argument) {
    size_t used = 0;
    (void)leading_number(argument, used);
    argument.remove_prefix(used);
    while (argument.starts_with(' '))
        argument.remove_prefix(1);
    return leading_number(argument, used);
}

} // namespace qm::pop3
