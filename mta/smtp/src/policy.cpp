#include "qm/smtp/policy.hpp"

#include "qm/control.hpp"
#include "qm/date.hpp"
#include "qm/env.hpp"
#include "qm/routing.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <utility>

namespace qm::smtp {

namespace {

std::string lowercase(std::string_view s) {
    std::string out(s);
    std::ranges::transform(out, out.begin(),
                           [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::vector<std::string> interface_addresses() {
    std::vector<std::string> out;
    ifaddrs* list = nullptr;
    if (::getifaddrs(&list) != 0)
        return out;
    for (ifaddrs* a = list; a != nullptr; a = a->ifa_next) {
        if (a->ifa_addr == nullptr)
            continue;
        char text[INET6_ADDRSTRLEN] = {};
        if (a->ifa_addr->sa_family == AF_INET) {
            const auto* sin = reinterpret_cast<const sockaddr_in*>(a->ifa_addr);
            ::inet_ntop(AF_INET, &sin->sin_addr, text, sizeof text);
            out.emplace_back(text);
        } else if (a->ifa_addr->sa_family == AF_INET6) {
            const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(a->ifa_addr);
            ::inet_ntop(AF_INET6, &sin6->sin6_addr, text, sizeof text);
            out.emplace_back(std::string("IPv6:") + text);
        }
    }
    ::freeifaddrs(list);
    return out;
}

std::optional<std::uint64_t> parse_number(std::string_view v) {
    std::uint64_t n = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec == std::errc() && end == v.data() + v.size())
        return n;
    return std::nullopt;
}

bool in_table(const Controls& c, const std::string& key) {
    return c.rcpthosts.contains(key) || (c.morercpthosts && c.morercpthosts->find(key));
}

} // namespace

Result<Controls> load_controls() {
    Controls c;
    auto me = control::me();
    if (!me)
        return fail(me.error());
    auto greeting = control::read_line_or("smtpgreeting", *me);
    if (!greeting)
        return fail(greeting.error());
    c.greeting = *greeting;
    auto localiphost = control::read_line_or("localiphost", *me);
    if (!localiphost)
        return fail(localiphost.error());
    c.localiphost = *localiphost;

    auto rcpthosts = control::read_line("rcpthosts");
    if (!rcpthosts)
        return fail(rcpthosts.error());
    if (*rcpthosts) {
        auto lines = control::read_lines("rcpthosts");
        if (!lines)
            return fail(lines.error());
        for (const auto& l : *lines)
            c.rcpthosts.insert(lowercase(l));
    } else {
        auto routing = load_routing();
        if (!routing)
            return fail(routing.error());
        c.delivered_here = std::make_shared<const Routing>(std::move(*routing));
    }
    auto more = cdb::Reader::open(control::path("morercpthosts.cdb"));
    if (!more)
        return fail(more.error());
    if (*more)
        c.morercpthosts = std::make_shared<const cdb::Reader>(std::move(**more));

    auto bad = control::read_lines("badmailfrom");
    if (!bad)
        return fail(bad.error());
    for (const auto& l : *bad)
        c.badmailfrom.insert(lowercase(l));

    auto databytes = control::read_int_or("databytes", 0);
    if (!databytes)
        return fail(databytes.error());
    c.databytes = static_cast<std::uint64_t>(*databytes);
    auto maxrcpt = control::read_int_or("maxrcpt", static_cast<long>(default_maxrcpt));
    if (!maxrcpt)
        return fail(maxrcpt.error());
    c.maxrcpt = static_cast<std::uint64_t>(std::max(*maxrcpt, 0L));
    auto maxrcptsession =
        control::read_int_or("maxrcptsession", static_cast<long>(default_maxrcptsession));
    if (!maxrcptsession)
        return fail(maxrcptsession.error());
    c.maxrcptsession = static_cast<std::uint64_t>(std::max(*maxrcptsession, 0L));
    auto timeout = control::read_int_or("timeoutsmtpd", 1200);
    if (!timeout)
        return fail(timeout.error());
    c.timeout_seconds = *timeout <= 0 ? 1 : static_cast<int>(std::min(*timeout, 86400L));
    auto greet_delay = control::read_int_or("greetdelay", 0);
    if (!greet_delay)
        return fail(greet_delay.error());
    c.greet_delay_seconds = static_cast<int>(std::clamp(*greet_delay, 0L, max_greet_delay));
    c.local_ips = interface_addresses();

    // A percenthack domain turns "user%elsewhere@domain" into "user@elsewhere" in
    // qmail-send: if this door accepts the domain, it relays through it.
    auto percenthack = control::read_lines("percenthack");
    if (!percenthack)
        return fail(percenthack.error());
    for (const auto& domain : *percenthack)
        if (recipient_allowed(c, "user%elsewhere.invalid@" + domain))
            c.relaying_percenthack.push_back(domain);

    auto checks = mailauth::load_inbound_checks();
    if (!checks)
        return fail(checks.error());
    if (*checks)
        c.inbound_checks = std::make_shared<const mailauth::InboundChecks>(std::move(**checks));
    return c;
}

void apply_settings(Connection& conn, const std::vector<std::pair<std::string, std::string>>& env) {
    for (const auto& [name, value] : env) {
        if (name == "RELAYCLIENT")
            conn.relay_client = value;
        else if (name == "DATABYTES")
            conn.databytes = parse_number(value);
        else if (name == "MAXRCPT")
            conn.maxrcpt = parse_number(value);
        else if (name == "MAXRCPTSESSION")
            conn.maxrcptsession = parse_number(value);
        else if (name == "GREETDELAY")
            conn.greet_delay = parse_number(value);
        conn.env.emplace_back(name, value);
    }
}

Connection with_settings(server::Connection peer) {
    Connection conn{std::move(peer)};
    apply_settings(conn, std::exchange(conn.env, {}));
    return conn;
}

Connection with_environment(server::Connection peer) {
    Connection conn{std::move(peer)};
    conn.relay_client = env("RELAYCLIENT");
    if (auto v = env("DATABYTES"))
        conn.databytes = parse_number(*v);
    if (auto v = env("MAXRCPT"))
        conn.maxrcpt = parse_number(*v);
    if (auto v = env("MAXRCPTSESSION"))
        conn.maxrcptsession = parse_number(*v);
    if (auto v = env("GREETDELAY"))
        conn.greet_delay = parse_number(*v);
    return conn;
}

bool recipient_allowed(const Controls& c, std::string_view address) {
    auto at = address.rfind('@');
    if (c.delivered_here && route(*c.delivered_here, address).local)
        return true;
    if (at == std::string_view::npos)
        return !c.delivered_here; // qmail: with rcpthosts a bare local part is always ours
    const std::string domain = lowercase(address.substr(at + 1));
    if (domain.empty())
        return false;
    // The domain itself, then every ".suffix" of it.
    for (size_t i = 0; i < domain.size(); ++i)
        if ((i == 0 || domain[i] == '.') && in_table(c, domain.substr(i)))
            return true;
    return false;
}

RecipientLimits recipient_limits(const Controls& c, const Connection& conn) {
    return {std::max(conn.maxrcpt.value_or(c.maxrcpt), min_maxrcpt),
            std::max(conn.maxrcptsession.value_or(c.maxrcptsession), min_maxrcpt)};
}

int greet_delay(const Controls& c, const Connection& conn) {
    if (!conn.greet_delay)
        return c.greet_delay_seconds;
    return static_cast<int>(
        std::min<std::uint64_t>(*conn.greet_delay, static_cast<std::uint64_t>(max_greet_delay)));
}

std::string early_talker_reply() {
    // 554 before a greeting means "no SMTP service here" (RFC 5321 section 3.1).
    return "554 5.5.1 protocol error: you talked before my greeting\r\n";
}

bool sender_refused(const Controls& c, std::string_view address) {
    if (c.badmailfrom.empty())
        return false;
    const std::string lower = lowercase(address);
    if (c.badmailfrom.contains(lower))
        return true;
    auto at = lower.rfind('@');
    return at != std::string::npos && c.badmailfrom.contains(lower.substr(at));
}

std::string rewrite_local_ip_literal(const Controls& c, std::string address) {
    auto at = address.rfind('@');
    if (!c.localiphost || at == std::string::npos || address.size() < at + 3 ||
        address[at + 1] != '[' || address.back() != ']')
        return address;
    std::string literal = address.substr(at + 2, address.size() - at - 3);
    if (std::ranges::find(c.local_ips, literal) == c.local_ips.end())
        return address;
    return address.substr(0, at + 1) + *c.localiphost;
}

namespace {

void append_safe(std::string& out, std::string_view s) {
    for (unsigned char ch : s) {
        const bool safe =
            std::isalnum(ch) ||
            std::string_view(".@%+/=:-[]").find(static_cast<char>(ch)) != std::string_view::npos;
        out += safe ? static_cast<char>(ch) : '?';
    }
}

bool iequals(std::string_view a, std::string_view b) {
    return lowercase(a) == lowercase(b);
}

} // namespace

std::string received_line(const Connection& conn, std::string_view helo, std::string_view protocol,
                          std::time_t now) {
    std::string r = "Received: from ";
    append_safe(r, conn.remote_host);
    if (!iequals(helo, conn.remote_host)) {
        r += " (HELO ";
        append_safe(r, helo);
        r += ")";
    }
    r += " (";
    if (conn.remote_info) {
        append_safe(r, *conn.remote_info);
        r += "@";
    }
    append_safe(r, conn.remote_ip);
    r += ")\n  by ";
    append_safe(r, conn.local_host);
    r += " with ";
    r += protocol;
    r += "; ";
    r += date822(now);
    r += "\n";
    return r;
}

} // namespace qm::smtp
