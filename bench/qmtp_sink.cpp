// A QMTP sink for the list benchmarks (bench/lists.py), the QMTP counterpart of Postfix's
// smtp-sink: accepts connections on IP:PORT, reads QMTP packages (any number per
// connection, pipelined or not), answers every recipient "Kok" and keeps nothing of the
// message. On SIGTERM or SIGINT it writes "packages recipients distinct-recipients" to
// COUNT_FILE and exits.
//
//   qmtp_sink 127.0.0.1:2726 /tmp/qmbench-sink/qmtp.count
//
// One thread and epoll: it must cost the machine less than what it measures. A broken
// package (not netstrings) drops its connection and is counted on stderr.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

namespace {

volatile sig_atomic_t stopping = 0;
void on_signal(int) {
    stopping = 1;
}

// One netstring at the start of in: its payload and the bytes it took; 0 when it is not
// all there yet, -1 when it is not a netstring.
long netstring(std::string_view in, std::string_view& payload) {
    size_t len = 0, i = 0;
    for (; i < in.size() && in[i] >= '0' && in[i] <= '9'; ++i) {
        len = len * 10 + static_cast<size_t>(in[i] - '0');
        if (len > (1u << 30))
            return -1;
    }
    if (i == in.size())
        return 0;
    if (i == 0 || in[i] != ':')
        return -1;
    if (in.size() < i + 1 + len + 1)
        return 0;
    if (in[i + 1 + len] != ',')
        return -1;
    payload = in.substr(i + 1, len);
    return static_cast<long>(i + 1 + len + 1);
}

struct Stats {
    unsigned long packages = 0, recipients = 0, broken = 0;
    std::unordered_set<std::string> distinct;
};

// Answers every whole package at the start of in; returns the bytes used, -1 on a broken one.
long serve(std::string_view in, std::string& reply, Stats& st) {
    size_t used = 0;
    for (;;) {
        std::string_view rest = in.substr(used), message, sender, list;
        const long m = netstring(rest, message);
        if (m <= 0)
            return m < 0 ? -1 : static_cast<long>(used);
        const long s = netstring(rest.substr(static_cast<size_t>(m)), sender);
        if (s <= 0)
            return s < 0 ? -1 : static_cast<long>(used);
        const long l = netstring(rest.substr(static_cast<size_t>(m + s)), list);
        if (l <= 0)
            return l < 0 ? -1 : static_cast<long>(used);
        for (std::string_view r; !list.empty();) {
            const long n = netstring(list, r);
            if (n <= 0)
                return -1;
            list.remove_prefix(static_cast<size_t>(n));
            ++st.recipients;
            std::string lower(r);
            for (char& c : lower)
                if (c >= 'A' && c <= 'Z')
                    c = static_cast<char>(c - 'A' + 'a');
            st.distinct.insert(std::move(lower));
            reply += "3:Kok,";
        }
        ++st.packages;
        used += static_cast<size_t>(m + s + l);
    }
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: qmtp_sink IP:PORT COUNT_FILE\n");
        return 100;
    }
    const std::string where = argv[1];
    const size_t colon = where.rfind(':');
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(std::atoi(where.c_str() + colon + 1)));
    if (colon == std::string::npos ||
        ::inet_pton(AF_INET, where.substr(0, colon).c_str(), &addr.sin_addr) != 1) {
        std::fprintf(stderr, "qmtp_sink: not IP:PORT: %s\n", argv[1]);
        return 100;
    }
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    ::sigaction(SIGTERM, &sa, nullptr);
    ::sigaction(SIGINT, &sa, nullptr);
    ::signal(SIGPIPE, SIG_IGN);

    const int lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(lfd, 1024) != 0) {
        std::fprintf(stderr, "qmtp_sink: cannot listen on %s: %s\n", argv[1], std::strerror(errno));
        return 111;
    }
    const int ep = ::epoll_create1(EPOLL_CLOEXEC);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = lfd;
    ::epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);

    Stats st;
    std::unordered_map<int, std::string> pending; // bytes of a package not yet whole
    std::string reply;
    char buf[65536];
    epoll_event events[64];
    while (!stopping) {
        const int n = ::epoll_wait(ep, events, 64, 200);
        for (int i = 0; i < n; ++i) {
            const int fd = events[i].data.fd;
            if (fd == lfd) {
                for (int c;
                     (c = ::accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0;) {
                    ::setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    epoll_event cev{};
                    cev.events = EPOLLIN;
                    cev.data.fd = c;
                    ::epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
                    pending[c];
                }
                continue;
            }
            std::string& in = pending[fd];
            bool closed = false;
            for (;;) {
                const ssize_t got = ::read(fd, buf, sizeof buf);
                if (got > 0) {
                    in.append(buf, static_cast<size_t>(got));
                    continue;
                }
                closed = got == 0 || (errno != EAGAIN && errno != EINTR);
                break;
            }
            reply.clear();
            const long used = serve(in, reply, st);
            if (used < 0) {
                ++st.broken;
                closed = true;
            } else {
                in.erase(0, static_cast<size_t>(used));
                // Replies are a few bytes per package: the socket buffer takes them.
                if (!reply.empty() && ::write(fd, reply.data(), reply.size()) < 0)
                    closed = true;
            }
            if (closed) {
                ::epoll_ctl(ep, EPOLL_CTL_DEL, fd, nullptr);
                ::close(fd);
                pending.erase(fd);
            }
        }
    }
    FILE* out = std::fopen(argv[2], "w");
    if (!out)
        return 111;
    std::fprintf(out, "%lu %lu %zu\n", st.packages, st.recipients, st.distinct.size());
    std::fclose(out);
    if (st.broken)
        std::fprintf(stderr, "qmtp_sink: %lu broken packages\n", st.broken);
    return 0;
}
