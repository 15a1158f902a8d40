// Loopback helpers for the QMTP and QMQP scenarios: netstrings and a client that
// collects response netstrings.
#pragma once

#include "support.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace qmtptest {

inline std::string ns(const std::string& s) {
    return std::to_string(s.size()) + ":" + s + ",";
}

inline std::string qmtp_package(const std::string& message, const std::string& sender,
                                const std::vector<std::string>& rcpts) {
    std::string list;
    for (const auto& r : rcpts)
        list += ns(r);
    return ns(message) + ns(sender) + ns(list);
}

// Splits a run of netstrings into their payloads; an incomplete tail is returned as
// "<incomplete>".
inline std::vector<std::string> netstrings(const std::string& in) {
    std::vector<std::string> out;
    size_t pos = 0;
    while (pos < in.size()) {
        const auto colon = in.find(':', pos);
        if (colon == std::string::npos) {
            out.emplace_back("<incomplete>");
            break;
        }
        const size_t len = std::stoul(in.substr(pos, colon - pos));
        if (colon + 1 + len + 1 > in.size() || in[colon + 1 + len] != ',') {
            out.emplace_back("<incomplete>");
            break;
        }
        out.push_back(in.substr(colon + 1, len));
        pos = colon + 1 + len + 1;
    }
    return out;
}

using qmtest::free_port;

// A loopback client that reads QMTP/QMQP response netstrings.
class Client : public qmtest::LoopbackClient {
public:
    using LoopbackClient::LoopbackClient;
    // Reads until `count` complete netstrings have arrived, EOF, or 10 s.
    std::vector<std::string> responses(size_t count) {
        return netstrings(read_until([count](const std::string& got) {
            auto n = netstrings(got);
            return n.size() >= count && (n.empty() || n.back() != "<incomplete>");
        }));
    }
};

} // namespace qmtptest
