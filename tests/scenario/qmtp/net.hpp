// Loopback helpers for the QMTP and QMQP scenarios: a free port and a blocking client
// that sends bytes and collects response netstrings.
#pragma once

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
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

// A port that was free a moment ago.
inline int free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
}

class Client {
public:
    explicit Client(int port) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(static_cast<uint16_t>(port));
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    }
    ~Client() { ::close(fd_); }
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;
    [[nodiscard]] bool connected() const { return connected_; }

    void send(const std::string& s) const {
        size_t done = 0;
        while (done < s.size()) {
            ssize_t n = ::write(fd_, s.data() + done, s.size() - done);
            if (n <= 0)
                return;
            done += static_cast<size_t>(n);
        }
    }
    // Reads until `count` complete netstrings have arrived, EOF, or 10 s.
    std::vector<std::string> responses(size_t count) {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        for (;;) {
            auto got = netstrings(got_);
            if ((got.size() >= count && (got.empty() || got.back() != "<incomplete>")) ||
                std::chrono::steady_clock::now() >= deadline || eof_)
                return got;
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, 100) <= 0)
                continue;
            char buf[4096];
            ssize_t n = ::read(fd_, buf, sizeof buf);
            if (n <= 0)
                eof_ = true;
            else
                got_.append(buf, static_cast<size_t>(n));
        }
    }
    // True when the server closed the connection within 10 s.
    bool closed_by_server() {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (!eof_ && std::chrono::steady_clock::now() < deadline) {
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, 100) <= 0)
                continue;
            char buf[4096];
            ssize_t n = ::read(fd_, buf, sizeof buf);
            if (n <= 0)
                eof_ = true;
            else
                got_.append(buf, static_cast<size_t>(n));
        }
        return eof_;
    }

private:
    int fd_ = -1;
    bool connected_ = false;
    bool eof_ = false;
    std::string got_;
};

} // namespace qmtptest
