// DKIM signatures (RFC 6376) with OpenDKIM's library: relaxed/relaxed canonicalization,
// rsa-sha256 or ed25519-sha256 (RFC 8463), over the header fields receivers expect (From
// signed once more than it appears, so that no From can be added; the List-* fields and
// List-Unsubscribe-Post, as RFC 8058 asks of one-click unsubscription).
#pragma once

#include "qm/dkim/keys.hpp"
#include "qm/result.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace qm::dkim {

// The header fields signed when present.
[[nodiscard]] const std::vector<std::string>& signed_fields();

// The DKIM-Signature field for message (qmail's form: LF line ends; a CRLF message works
// too), folded, LF line ends, ending in LF: to be put in front of the message. now: the
// signature's t= (0: the clock's time).
[[nodiscard]] Result<std::string> signature(std::string_view message, const SigningKey& key,
                                            long now = 0);

// The verdict on a message's first DKIM-Signature, with the public keys taken from a file
// instead of DNS ("SELECTOR._domainkey.DOMAIN TXT-TEXT" per line, OpenDKIM's test query
// method): for tests and the key tool's self-check. ok, or why not.
[[nodiscard]] Status verify_with_key_file(std::string_view message, const std::string& key_file);

} // namespace qm::dkim
