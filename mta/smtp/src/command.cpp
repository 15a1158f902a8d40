#include "qm/smtp/command.hpp"

#include <array>
#include <cctype>
#include <charconv>
#include <utility>

namespace qm::smtp {

namespace {

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size())
        return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) !=
            std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}

bool istarts_with(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

std::string_view skip_spaces(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    return s;
}

constexpr std::array<std::pair<std::string_view, Verb>, 14> verbs{{
    {"helo", Verb::helo},
    {"ehlo", Verb::ehlo},
    {"mail", Verb::mail},
    {"rcpt", Verb::rcpt},
    {"data", Verb::data},
    {"rset", Verb::rset},
    {"noop", Verb::noop},
    {"vrfy", Verb::vrfy},
    {"expn", Verb::expn},
    {"help", Verb::help},
    {"quit", Verb::quit},
    {"starttls", Verb::starttls},
    {"auth", Verb::auth},
    {"bdat", Verb::bdat},
}};

// One ESMTP parameter "KEY=VALUE" or "KEY".
std::unexpected<ArgumentError> refuse(int code, std::string dsn, std::string text) {
    return std::unexpected(ArgumentError{code, std::move(dsn), std::move(text)});
}

std::expected<void, ArgumentError> apply_parameter(std::string_view param, MailArguments& args) {
    auto eq = param.find('=');
    std::string_view key = param.substr(0, eq);
    std::string_view value = eq == std::string_view::npos ? "" : param.substr(eq + 1);
    if (iequals(key, "SIZE")) {
        std::uint64_t n = 0;
        auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
        if (ec != std::errc() || end != value.data() + value.size() || value.empty())
            return refuse(501, "5.5.4", "malformed SIZE parameter");
        args.size = n;
        return {};
    }
    if (iequals(key, "BODY")) {
        if (iequals(value, "7BIT") || iequals(value, "8BITMIME"))
            return {};
        return refuse(555, "5.5.4", "unsupported BODY type");
    }
    if (iequals(key, "AUTH"))
        return {}; // RFC 4954's AUTH=<mailbox> is informational
    return refuse(555, "5.5.4", "unsupported parameter " + std::string(key));
}

} // namespace

Command parse_command(std::string_view line) {
    auto space = line.find(' ');
    std::string_view word = line.substr(0, space);
    Command cmd;
    for (const auto& [name, verb] : verbs)
        if (iequals(word, name)) {
            cmd.verb = verb;
            break;
        }
    if (space != std::string_view::npos)
        cmd.argument = skip_spaces(line.substr(space + 1));
    return cmd;
}

std::expected<MailArguments, ArgumentError> parse_mail_arguments(std::string_view argument,
                                                                 std::string_view keyword) {
    if (!istarts_with(argument, keyword) || argument.size() == keyword.size() ||
        argument[keyword.size()] != ':')
        return refuse(501, "5.5.2",
                      "syntax error, expected " + std::string(keyword) + ":<address>");
    std::string_view rest = skip_spaces(argument.substr(keyword.size() + 1));
    std::string bracketed;
    if (rest.empty() || rest.front() != '<') {
        auto space = rest.find(' ');
        bracketed = "<" + std::string(rest.substr(0, space)) + ">";
        if (space != std::string_view::npos)
            bracketed += rest.substr(space);
        rest = bracketed;
    }
    auto path = address::parse_path(rest);
    if (!path)
        return refuse(501, path.error().dsn, path.error().text);
    if (path->address.size() > max_smtp_address)
        return refuse(555, "5.5.4", "address too long");
    MailArguments args;
    args.address = std::move(path->address);
    std::string_view params = path->params;
    while (!(params = skip_spaces(params)).empty()) {
        auto end = params.find_first_of(" \t");
        if (auto ok = apply_parameter(params.substr(0, end), args); !ok)
            return std::unexpected(ok.error());
        params = end == std::string_view::npos ? std::string_view() : params.substr(end);
    }
    return args;
}

} // namespace qm::smtp
