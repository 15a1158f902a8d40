#include "qm/server/tcprules.hpp"

#include <charconv>

namespace qm::server {

namespace {

Failure line_error(std::string_view source, size_t line, std::string_view what) {
    return perm("5.3.5",
                std::string(source) + " line " + std::to_string(line) + ": " + std::string(what));
}

// "1.2.3.37-53": the last component as a range. Anything else is one address.
Result<std::vector<std::string>> expand_address(std::string_view address) {
    const auto dash = address.find('-');
    const auto dot = address.rfind('.', dash);
    if (dash == std::string_view::npos || dot == std::string_view::npos ||
        address.find_first_not_of("0123456789.-") != std::string_view::npos)
        return std::vector<std::string>{std::string(address)};
    unsigned low = 0, high = 0;
    const std::string_view a = address.substr(dot + 1, dash - dot - 1);
    const std::string_view b = address.substr(dash + 1);
    auto r1 = std::from_chars(a.data(), a.data() + a.size(), low);
    auto r2 = std::from_chars(b.data(), b.data() + b.size(), high);
    if (a.empty() || b.empty() || r1.ptr != a.data() + a.size() || r2.ptr != b.data() + b.size() ||
        low > high || high > 255)
        return fail(perm("5.3.5", "bad address range " + std::string(address)));
    std::vector<std::string> out;
    for (unsigned i = low; i <= high; ++i)
        out.push_back(std::string(address.substr(0, dot + 1)) + std::to_string(i));
    return out;
}

// The instructions after the colon: allow|deny, then ,VAR=<d>value<d> settings.
Result<std::string> compile_instructions(std::string_view in) {
    std::string data;
    bool first = true;
    while (!in.empty() || first) {
        if (!first) {
            if (in.front() != ',')
                return fail(perm("5.3.5", "expected a comma before " + std::string(in)));
            in.remove_prefix(1);
        }
        const auto eq = in.find('=');
        const auto comma = in.find(',');
        if (first &&
            (eq == std::string_view::npos || (comma != std::string_view::npos && comma < eq))) {
            const std::string_view word = in.substr(0, comma);
            if (word == "deny")
                data += std::string_view("D\0", 2);
            else if (word != "allow")
                return fail(perm("5.3.5", "unknown instruction " + std::string(word) +
                                              " (expected allow or deny)"));
            in.remove_prefix(word.size());
            first = false;
            continue;
        }
        first = false;
        if (eq == std::string_view::npos || eq == 0 || eq + 1 >= in.size())
            return fail(perm("5.3.5", "expected VAR=\"value\" in " + std::string(in)));
        const char delimiter = in[eq + 1];
        const auto close = in.find(delimiter, eq + 2);
        if (close == std::string_view::npos)
            return fail(perm("5.3.5", std::string("missing closing ") + delimiter + " in " +
                                          std::string(in)));
        data += '+';
        data += in.substr(0, eq + 1);
        data += in.substr(eq + 2, close - eq - 2);
        data += '\0';
        in.remove_prefix(close + 1);
    }
    return data;
}

} // namespace

Result<std::vector<CompiledRule>> compile_rules(std::string_view text, std::string_view source) {
    std::vector<CompiledRule> out;
    size_t number = 0;
    while (!text.empty()) {
        const auto nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
        ++number;
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
            line.remove_suffix(1);
        if (line.empty() || line.front() == '#')
            continue;
        if (line.find('\0') != std::string_view::npos)
            return fail(line_error(source, number, "NUL byte"));
        const auto colon = line.find(':');
        if (colon == std::string_view::npos)
            return fail(line_error(source, number, "no colon between address and instructions"));
        auto data = compile_instructions(line.substr(colon + 1));
        if (!data)
            return fail(line_error(source, number, data.error().text));
        auto addresses = expand_address(line.substr(0, colon));
        if (!addresses)
            return fail(line_error(source, number, addresses.error().text));
        for (auto& a : *addresses)
            out.push_back({std::move(a), *data});
    }
    return out;
}

namespace {

RuleDecision decode(std::string key, std::string_view data) {
    RuleDecision d;
    d.matched = std::move(key);
    while (!data.empty()) {
        const auto end = data.find('\0');
        const std::string_view record = data.substr(0, end);
        data.remove_prefix(end == std::string_view::npos ? data.size() : end + 1);
        if (record == "D") {
            d.deny = true;
        } else if (record.starts_with('+')) {
            const auto eq = record.find('=');
            if (eq != std::string_view::npos)
                d.env.emplace_back(record.substr(1, eq - 1), record.substr(eq + 1));
        }
    }
    return d;
}

} // namespace

std::optional<RuleDecision> lookup_rules(const cdb::Reader& rules, std::string_view ip,
                                         std::optional<std::string_view> host,
                                         std::optional<std::string_view> info) {
    auto try_key = [&](std::string key) -> std::optional<RuleDecision> {
        if (auto data = rules.find(key))
            return decode(std::move(key), *data);
        return std::nullopt;
    };
    std::optional<RuleDecision> found;
    if (info && (found = try_key(std::string(*info) + "@" + std::string(ip))))
        return found;
    if (info && host && (found = try_key(std::string(*info) + "@=" + std::string(*host))))
        return found;
    if ((found = try_key(std::string(ip))))
        return found;
    if (host && (found = try_key("=" + std::string(*host))))
        return found;
    for (size_t i = ip.size(); i > 0; --i)
        if (ip[i - 1] == '.' && (found = try_key(std::string(ip.substr(0, i)))))
            return found;
    if (host) {
        for (size_t i = 0; i < host->size(); ++i)
            if ((*host)[i] == '.' && (found = try_key("=" + std::string(host->substr(i)))))
                return found;
        if ((found = try_key("=")))
            return found;
    }
    return try_key("");
}

Result<std::optional<RuleDecision>> consult_rules(const std::string& path, std::string_view ip) {
    auto table = cdb::Reader::open(path);
    if (!table)
        return fail(table.error());
    if (!*table)
        return fail(temp("4.3.0", "no such file"));
    return lookup_rules(**table, ip);
}

} // namespace qm::server
