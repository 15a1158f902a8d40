// Fuzzes the remote client's reading of SMTP replies (Conn::read_reply in
// mta/remote/src/connection.hpp): the bytes a remote server sends, through a real socket.
// Properties: the replies read are exactly those an independent reading of the input
// gives (lines end at LF, CRs dropped, "NNN-" continues a reply, the code is the first
// three digits of the last line or 0), in order; nothing of an unterminated last line
// is reported; the code is always 0 to 999.
#include "connection.hpp"
#include "fuzz_check.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace {

using qm::remote::Reply;

std::vector<Reply> expected_replies(std::string_view in) {
    std::vector<Reply> out;
    Reply r;
    for (;;) {
        const size_t nl = in.find('\n');
        if (nl == std::string_view::npos)
            return out;
        std::string line(in.substr(0, nl));
        in.remove_prefix(nl + 1);
        std::erase(line, '\r');
        if (!r.text.empty())
            r.text += '\n';
        r.text += line;
        if (line.size() > 3 && line[3] == '-')
            continue;
        // The code as read today: the leading digits of the first three bytes when all of
        // them are digits, else 0. A line shorter than three digits ("25") gives a code
        // below 100 (see the README's findings).
        const std::string head = line.substr(0, 3);
        r.code = !head.empty() && head.find_first_not_of("0123456789") == std::string::npos
                     ? std::stoi(head)
                     : 0;
        out.push_back(std::move(r));
        r = Reply{};
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    if (size > 100000)
        return 0; // fits the socket buffer: written before anything is read
    int sv[2];
    QM_FUZZ_CHECK(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    int sndbuf = 1 << 20;
    ::setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    size_t off = 0;
    while (off < size) {
        const ssize_t n = ::write(sv[1], data + off, size - off);
        QM_FUZZ_CHECK(n > 0);
        off += static_cast<size_t>(n);
    }
    ::close(sv[1]);

    boost::asio::io_context io;
    // Conn wants a TCP socket; the stream calls it makes work on any stream socket.
    boost::asio::ip::tcp::socket sock(io);
    sock.assign(boost::asio::ip::tcp::v4(), sv[0]);
    std::vector<Reply> got;
    boost::asio::co_spawn(
        io,
        [&]() -> boost::asio::awaitable<void> {
            qm::remote::Conn c(std::move(sock), std::chrono::seconds(5));
            for (;;) {
                auto r = co_await c.read_reply();
                if (!r)
                    break;
                got.push_back(std::move(*r));
            }
            c.close();
        },
        boost::asio::detached);
    io.run();

    const auto want = expected_replies(in);
    QM_FUZZ_CHECK(got.size() == want.size());
    for (size_t i = 0; i < got.size(); ++i) {
        QM_FUZZ_CHECK(got[i].code == want[i].code);
        QM_FUZZ_CHECK(got[i].text == want[i].text);
        QM_FUZZ_CHECK(got[i].code >= 0 && got[i].code <= 999);
        QM_FUZZ_CHECK(got[i].text.find('\r') == std::string::npos);
    }
    return 0;
}
