// curl as the web archive's end-to-end tests' browser: one request to the server on a
// loopback port, its status, header fields (lower-cased) and body; and a raw connection.
#pragma once

#include "support.hpp"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <string>
#include <vector>

namespace webtest {

inline constexpr const char* curl = "/usr/bin/curl";

struct Fetched {
    int status = 0;
    std::string headers; // lower-cased
    std::string body;
    [[nodiscard]] bool has(const std::string& field) const {
        return headers.find(field) != std::string::npos;
    }
    [[nodiscard]] std::string field(const std::string& name) const {
        const size_t at = headers.find("\n" + name + ": ");
        if (at == std::string::npos)
            return {};
        const size_t start = at + name.size() + 3;
        return headers.substr(start, headers.find('\r', start) - start);
    }
};

inline std::string lower(std::string s) {
    for (char& c : s)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// curl's view of one request: status, header fields (names lower-cased), body.
inline Fetched fetch(int port, const std::string& path,
                     const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv{curl, "-sS", "-D", "-", "--max-time", "20"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back("http://127.0.0.1:" + std::to_string(port) + path);
    auto r = qmtest::run(argv);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    Fetched f;
    const size_t end = r.out.find("\r\n\r\n");
    REQUIRE(end != std::string::npos);
    f.headers = "\n" + lower(r.out.substr(0, end + 2));
    f.body = r.out.substr(end + 4);
    f.status = std::stoi(r.out.substr(r.out.find(' ') + 1, 3));
    return f;
}

// Connects to the server on port; -1 on failure.
inline int connect_to(int port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

} // namespace webtest
