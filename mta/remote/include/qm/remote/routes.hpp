// control/smtproutes (qmail-remote(8)) and control/qmtproutes: "domain:relay[:port]"
// lines. A lookup tries the exact domain, then each ".suffix" from the longest (".af.mil"
// matches subdomains only), then the empty key (":relay", the catch-all); the first line
// for a key wins and keys are case-insensitive. An empty relay means "look up the MX as
// usual" (the port still applies). The relay may be a name, "[1.2.3.4]" or a bare
// address; the port defaults to the protocol's (25 for SMTP, control/qmtpport for QMTP).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace qm::remote {

struct Relay {
    std::string host; // empty: MX lookup for the recipient's domain
    unsigned short port = 25;
};

class Routes {
public:
    explicit Routes(unsigned short default_port = 25)
        : default_port_(default_port) {}
    void set(const std::vector<std::string>& lines);
    [[nodiscard]] std::optional<Relay> lookup(std::string_view domain) const;
    [[nodiscard]] bool empty() const { return map_.empty(); }

private:
    unsigned short default_port_;
    std::unordered_map<std::string, Relay> map_;
};

// "relay", "relay:port", "[1.2.3.4]:port", ":port"; a missing or malformed port counts as
// default_port.
[[nodiscard]] Relay parse_relay(std::string_view text, unsigned short default_port = 25);

} // namespace qm::remote
