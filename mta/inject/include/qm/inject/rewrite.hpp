// qmail-inject's address rewriting (qmail-header(5) "ADDRESS REWRITING"): a lone box gets
// @defaulthost, a host without dots gets .defaultdomain, a host ending in '+' has the '+'
// replaced by .plusdomain, source routes, a trailing '.' and a trailing '@' are removed;
// <> and the VERP form <foo@[]> are left alone. Pure functions, no I/O.
#pragma once

#include "qm/inject/address_list.hpp"
#include "qm/inject/token822.hpp"
#include "qm/result.hpp"

#include <string>
#include <string_view>

namespace qm::inject {

struct RewriteDomains {
    std::string defaulthost;   // control/defaulthost
    std::string defaultdomain; // control/defaultdomain
    std::string plusdomain;    // control/plusdomain
};

class Rewriter {
public:
    // Fails (permanently) if a domain does not parse as RFC 822 tokens.
    [[nodiscard]] static Result<Rewriter> make(const RewriteDomains& d);

    [[nodiscard]] Tokens address(const Tokens& addr) const;
    // A whole address-list field value: every address rewritten.
    [[nodiscard]] Result<Tokens> list(std::span<const Token> value) const;
    // An envelope address given on the command line (recipient or -f sender), in the
    // unquoted envelope form. Fails on unparseable text.
    [[nodiscard]] Result<std::string> envelope(std::string_view addr) const;

private:
    Tokens at_host_;    // "@" defaulthost
    Tokens dot_domain_; // "." defaultdomain
    Tokens dot_plus_;   // "." plusdomain
};

} // namespace qm::inject
