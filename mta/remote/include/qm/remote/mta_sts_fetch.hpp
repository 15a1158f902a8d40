// The HTTPS half of MTA-STS (RFC 8461 3.3): GET https://mta-sts.D/.well-known/mta-sts.txt,
// with Boost.Beast over OpenSSL. The certificate must chain to a CA the context trusts
// and name mta-sts.D; TLS 1.2 at least; the answer must be 200 with a text/plain body of
// at most 64 KiB; redirects are not followed and nothing is cached on the way (the
// caller's PolicyCache is the cache). Kept apart from the SMTP client so that Beast's
// templates are compiled in one file.
#pragma once

#include "qm/result.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/context.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace qm::remote::sts {

struct FetchPlace {
    std::string domain;                              // D: the host is mta-sts.D
    std::vector<boost::asio::ip::address> addresses; // mta-sts.D's, tried in order
    unsigned short port = 443;                       // control/mtastsport, for tests
};

// The policy's text, or a temporary error saying why there is none. ctx must verify
// peers (verify_peer with the trusted CAs loaded); limit bounds the whole exchange.
[[nodiscard]] boost::asio::awaitable<Result<std::string>>
fetch_policy_text(boost::asio::ssl::context& ctx, FetchPlace place, std::chrono::seconds limit);

} // namespace qm::remote::sts
