// Inside the SPF check: what one DNS reply gives libspf2, each record as libspf2 keeps it
// (an address's bytes for A and AAAA, a name for MX and PTR, a TXT record's strings
// joined). Replies come from the network: the fuzz target spf_dns_fuzz reads them here.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace qm::mailauth::detail {

[[nodiscard]] std::vector<std::string> records_of_reply(int type, std::string_view reply);

} // namespace qm::mailauth::detail
