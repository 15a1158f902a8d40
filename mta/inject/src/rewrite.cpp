#include "qm/inject/rewrite.hpp"

#include "qm/address.hpp"

#include <algorithm>

namespace qm::inject {

namespace {

bool has(const Tokens& t, TokenKind k) {
    return std::any_of(t.begin(), t.end(), [k](const Token& x) { return x.kind == k; });
}

void append(Tokens& to, const Tokens& from) {
    to.insert(to.end(), from.begin(), from.end());
}

Result<Tokens> tokens_of(const std::string& text) {
    auto t = tokenize(text);
    if (!t)
        return fail(perm("5.3.5", "unable to parse this line: " + text));
    return std::move(*t);
}

} // namespace

Result<Rewriter> Rewriter::make(const RewriteDomains& d) {
    Rewriter r;
    auto host = tokens_of("@" + d.defaulthost);
    auto domain = tokens_of("." + d.defaultdomain);
    auto plus = tokens_of("." + d.plusdomain);
    if (!host)
        return fail(host.error());
    if (!domain)
        return fail(domain.error());
    if (!plus)
        return fail(plus.error());
    r.at_host_ = std::move(*host);
    r.dot_domain_ = std::move(*domain);
    r.dot_plus_ = std::move(*plus);
    return r;
}

Tokens Rewriter::address(const Tokens& in) const {
    if (in.empty())
        return in; // <>
    const size_t n = in.size();
    if (n >= 2 && in[n - 1].kind == TokenKind::literal && in[n - 1].text.empty() &&
        in[n - 2].kind == TokenKind::at)
        return in; // <foo@[]>: VERP, for qmail-send to expand
    Tokens a = strip_route(in);
    if (a.empty())
        return a; // <@foo:> -> <>
    if (a.back().kind == TokenKind::dot)
        a.pop_back();
    if (a.empty())
        return a;
    if (a.back().kind == TokenKind::at)
        a.pop_back();
    if (a.empty())
        return a;
    if (!has(a, TokenKind::at))
        append(a, at_host_);
    if (Token& last = a.back();
        last.kind == TokenKind::atom && !last.text.empty() && last.text.back() == '+') {
        last.text.pop_back();
        append(a, dot_plus_);
    }
    // Only the host part (after the last '@') decides whether a domain is added.
    auto host_begin = std::find_if(a.rbegin(), a.rend(), [](const Token& t) {
                          return t.kind == TokenKind::at;
                      }).base();
    bool dotted =
        std::any_of(host_begin, a.end(), [](const Token& t) { return t.kind == TokenKind::dot; });
    bool literal = std::any_of(host_begin, a.end(),
                               [](const Token& t) { return t.kind == TokenKind::literal; });
    if (!dotted && !literal)
        append(a, dot_domain_);
    return a;
}

Result<Tokens> Rewriter::list(std::span<const Token> value) const {
    auto pieces = split_address_list(value);
    if (!pieces)
        return fail(pieces.error());
    return join_pieces(*pieces, [this](const Tokens& a) { return address(a); });
}

Result<std::string> Rewriter::envelope(std::string_view addr) const {
    // As qmail: quote the local part first so that any bytes survive tokenizing.
    std::string quoted = addr.empty() ? std::string() : qm::address::quote(addr);
    auto t = tokenize(quoted);
    if (!t)
        return fail(perm("5.1.3", "unable to parse address: " + std::string(addr)));
    return unquote(address(*t));
}

} // namespace qm::inject
