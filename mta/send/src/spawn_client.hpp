// qmail-send's end of a spawn socket (private to mta/send): requests to a privileged
// helper (qmail-lspawn, qmail-rspawn) in the spawn protocol (qm/send/spawn_protocol.hpp),
// answered by number in any order. When the helper goes away every request still waiting
// is answered Z "<program> is gone.", and the owner hears of it once.
#pragma once

#include "qm/send/spawn_protocol.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace qm::send {

class SpawnClient {
public:
    // One verdict per reply the request gets (spawn::Request::replies()), in order.
    using OnReply = std::function<void(std::vector<Verdict>)>;
    // on_lost: the helper went away (why), after which the client answers every request
    // itself. Replies are always handed out from the event loop, never inside send().
    SpawnClient(boost::asio::io_context& io, int fd, std::string program,
                std::function<void(const std::string& why)> on_lost);

    void send(spawn::Request r, OnReply on_reply);
    [[nodiscard]] bool connected() const { return socket_.is_open(); }
    // At exit: the requests not yet written go out, blocking, and the socket closes,
    // which tells the helper to finish what it runs and exit.
    void close();

private:
    void flush();
    void read();
    void lost(const std::string& why);

    boost::asio::posix::stream_descriptor socket_;
    std::string program_;
    std::function<void(const std::string&)> on_lost_;
    std::string out_, writing_, in_;
    std::array<char, 16384> buf_{};
    unsigned long num_ = 0;
    // A request's replies as they come in.
    struct Pending {
        std::vector<Verdict> verdicts;
        size_t missing = 0;
        OnReply done;
    };
    std::unordered_map<unsigned long, std::pair<std::shared_ptr<Pending>, size_t>> waiting_;
};

} // namespace qm::send
