// ARC (RFC 8617): the Authenticated Received Chain. A server that changes a message (a
// list's subject tag and footer) and passes it on adds a set of three fields, so that the
// receiver can see what this server found when the message came in (its
// Authentication-Results: the poster's SPF, DKIM and DMARC) although the poster's
// signature no longer verifies:
//   ARC-Seal: i=N; a=rsa-sha256; t=...; cv=none|pass|fail; d=...; s=...; b=...
//   ARC-Message-Signature: i=N; a=rsa-sha256; c=relaxed/relaxed; ...; h=...; bh=...; b=...
//   ARC-Authentication-Results: i=N; <our Authentication-Results payload>
// Debian 12 has no ARC library (no OpenARC) and OpenDKIM's library neither does ARC nor
// exposes its canonicalization, so this is our own, on OpenSSL with qm/dkim/canon.hpp:
// rsa-sha256 only, the one algorithm RFC 8617 allows.
#pragma once

#include "qm/dkim/keys.hpp"
#include "qm/dns/lookup.hpp"
#include "qm/result.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace qm::dkim {

// RFC 8617 4.4's chain validation status, and RFC 8601's result names for "arc=";
// temperror when a key could not be fetched (no claim either way).
enum class ChainStatus : std::uint8_t { none, pass, fail, temperror };
[[nodiscard]] std::string_view chain_status_name(ChainStatus s);

// One ARC set's fields as the message carries them (continuation lines included, final
// line end not).
struct ArcSet {
    unsigned instance = 0;
    std::string_view results;   // ARC-Authentication-Results
    std::string_view signature; // ARC-Message-Signature
    std::string_view seal;      // ARC-Seal
};

// A message's ARC sets in instance order. well_formed: RFC 8617 5.2 step 3 holds - one
// of each field per instance, instances 1..highest without a gap, i=1's seal cv=none and
// every later one cv=pass, at most 50 sets; problem says what breaks it otherwise.
struct ArcChain {
    std::vector<ArcSet> sets;
    unsigned highest = 0; // the highest instance found (0: no ARC field at all)
    std::string last_cv;  // the cv= of the highest instance's seal, as written
    bool well_formed = true;
    std::string problem;
};
[[nodiscard]] ArcChain parse_arc_chain(std::string_view message);

// The TXT records at a name (each record's strings joined); no name or no records is an
// empty list, no answer a failure (qm::dns::resolve_txt's contract).
using TxtLookup = std::function<Result<std::vector<std::string>>(const std::string& name)>;
[[nodiscard]] TxtLookup dns_lookup(const dns::Config& config);

struct ChainCheck {
    ChainStatus status = ChainStatus::none;
    std::string reason; // why not pass, for a comment
};
// RFC 8617 5.2: the chain of message as it is now (the newest message signature over the
// message, every seal over the sets), with keys from SELECTOR._domainkey.DOMAIN. now: the
// clock for x= (0: the clock's time).
[[nodiscard]] ChainCheck validate_arc_chain(std::string_view message, const TxtLookup& lookup,
                                            long now = 0);

// The three fields of the next ARC set (ARC-Seal first, as the newest set goes on top;
// LF line ends) to put in front of message, which must be final (its DKIM-Signature
// already in front: the message signature covers it). key: RSA. Empty when this server
// seals nothing:
//  - the message has no Authentication-Results field with authserv_id (not checked
//    here: our own users' mail), or key is not RSA;
//  - the chain already ended (the newest seal says cv=fail) or has 50 sets;
//  - nothing tells how the chain stood on arrival (see below) and it fails now.
// cv= is what our Authentication-Results field's "arc=" says (qmail-smtpd validated the
// chain as the message arrived, before a list changed it); without that result (or with
// one that does not fit the chain) the chain is validated as it leaves, which is right
// for mail nobody changed and, for mail a list changed, fails: then nothing is claimed.
// A failed chain is sealed with cv=fail over our set alone (RFC 8617 5.1.2).
[[nodiscard]] Result<std::string> arc_seal(std::string_view message, const SigningKey& key,
                                           std::string_view authserv_id, const TxtLookup& lookup,
                                           long now = 0);

} // namespace qm::dkim
