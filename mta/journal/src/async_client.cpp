#include "qm/journal/async_client.hpp"

#include "qm/journal/service.hpp"
#include "qm/netstring.hpp"

#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <deque>
#include <utility>

namespace qm::journal {

namespace asio = boost::asio;
using local = asio::local::stream_protocol;

struct AsyncClient::State : std::enable_shared_from_this<AsyncClient::State> {
    State(asio::io_context& context, std::string socket_path)
        : io(context)
        , path(std::move(socket_path))
        , sock(context) {}

    asio::io_context& io;
    std::string path;
    local::socket sock;
    bool connected = false;
    bool writing = false;
    bool closed = false;         // the client is gone: callbacks must not run
    std::deque<std::string> out; // requests not yet written
    std::deque<Done> waiting;    // one per request sent or queued, in order
    std::array<char, 4096> buf{};
    std::string in;

    void fail_all(const std::string& why) {
        boost::system::error_code ignored;
        sock.close(ignored);
        connected = false;
        writing = false;
        out.clear();
        auto pending = std::move(waiting);
        waiting.clear();
        in.clear();
        for (auto& d : pending)
            if (!closed)
                d(std::unexpected(temp("4.3.0", "qmail-journald: " + why)));
    }

    void connect() {
        boost::system::error_code ec;
        sock.connect(local::endpoint(path), ec); // a local socket: no waiting
        if (ec) {
            fail_all("unable to connect to " + path + ": " + ec.message());
            return;
        }
        connected = true;
        read();
        write();
    }

    void write() {
        if (writing || out.empty() || !connected)
            return;
        writing = true;
        asio::async_write(sock, asio::buffer(out.front()),
                          [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                              if (self->closed)
                                  return;
                              self->writing = false;
                              if (ec) {
                                  self->fail_all("lost: " + ec.message());
                                  return;
                              }
                              self->out.pop_front();
                              self->write();
                          });
    }

    void read() {
        sock.async_read_some(asio::buffer(buf), [self = shared_from_this()](
                                                    boost::system::error_code ec, std::size_t n) {
            if (self->closed)
                return;
            if (ec) {
                self->fail_all("lost: " + ec.message());
                return;
            }
            self->in.append(self->buf.data(), n);
            for (;;) {
                auto d = netstring::decode(self->in, 1024);
                if (!d) {
                    self->fail_all("a reply that is not a netstring");
                    return;
                }
                if (!*d)
                    break;
                const std::string reply((*d)->payload);
                self->in.erase(0, (*d)->consumed);
                if (self->waiting.empty()) {
                    self->fail_all("a reply nobody asked for");
                    return;
                }
                Done done = std::move(self->waiting.front());
                self->waiting.pop_front();
                done(read_reply(reply));
                if (self->closed)
                    return;
            }
            self->read();
        });
    }
};

AsyncClient::AsyncClient(asio::io_context& io, std::string socket_path)
    : state_(std::make_shared<State>(io, std::move(socket_path))) {}

AsyncClient::~AsyncClient() {
    state_->closed = true;
    boost::system::error_code ignored;
    state_->sock.close(ignored);
}

void AsyncClient::submit(RecordType type, std::string payload, Done done) {
    state_->out.push_back(encode_request(type, payload));
    state_->waiting.push_back(std::move(done));
    if (!state_->connected) {
        // Answer on the loop, never inside submit: the caller may be mid-change.
        asio::post(state_->io, [s = state_] {
            if (!s->closed && !s->connected)
                s->connect();
        });
        return;
    }
    state_->write();
}

} // namespace qm::journal
