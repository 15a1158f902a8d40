#include "qm/remote/tls_policy.hpp"

#include <catch2/catch.hpp>

using qm::remote::TlsLevel;
using qm::remote::TlsPolicy;

namespace {

std::string level(const TlsPolicy& p, std::string_view domain) {
    return std::string(qm::remote::tls_level_name(p.lookup(domain)));
}

} // namespace

TEST_CASE("control/tlspolicy - exact domains then suffixes then the default", "[remote][tls]") {
    auto p = TlsPolicy::parse("# levels\n"
                              "bank.example:verify\n"
                              ".bank.example:dane-only   # its subdomains\n"
                              "Partner.Example:encrypt\n"
                              "partner.example:none\n" // the first line for a key wins
                              "sts.example:sts\n"
                              ":dane\n",
                              "tlspolicy");
    REQUIRE(p);
    CHECK(level(*p, "bank.example") == "verify");
    CHECK(level(*p, "mx.bank.example") == "dane-only");
    CHECK(level(*p, "PARTNER.example.") == "encrypt");
    CHECK(level(*p, "elsewhere.example") == "dane");
    CHECK(level(*p, "sts.example") == "sts");
    auto none = TlsPolicy::parse("", "tlspolicy");
    REQUIRE(none);
    CHECK(level(*none, "any.example") == "may");
    auto no_default = TlsPolicy::parse("a.example:encrypt\n", "tlspolicy");
    REQUIRE(no_default);
    CHECK(level(*no_default, "b.example") == "may");
}

TEST_CASE("control/tlspolicy - a broken line is named with its file and line", "[remote][tls]") {
    auto unknown =
        TlsPolicy::parse("a.example:may\nb.example:secure\n", "/var/qmail/control/tlspolicy");
    REQUIRE_FALSE(unknown);
    CHECK(unknown.error().permanent());
    CHECK(unknown.error().text ==
          "/var/qmail/control/tlspolicy:2: unknown TLS level \"secure\" (none, may, encrypt, dane, "
          "dane-only, verify, sts)");
    auto no_colon = TlsPolicy::parse("\n\nc.example dane\n", "tlspolicy");
    REQUIRE_FALSE(no_colon);
    CHECK(no_colon.error().text == "tlspolicy:3: no colon in \"c.example dane\" (domain:level)");
}
