// Organizational domains (RFC 7489 3.2) by the Public Suffix List, through libpsl: the
// DMARC check of inbound mail and ezmlm-send's DMARC mitigation ask the same question.
// Its own small library (qm_public_suffix), so the list programs need libpsl only.
#pragma once

#include <string>
#include <string_view>

namespace qm::mailauth {

// "lists.example.co.uk" -> "example.co.uk". Lower case, without a trailing dot; the name
// itself when it is a public suffix or the list does not know it ("localhost").
[[nodiscard]] std::string organizational_domain(std::string_view domain);

} // namespace qm::mailauth
