#include "spawn_client.hpp"

#include "qm/fd.hpp"
#include "qm/log.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

namespace qm::send {

namespace asio = boost::asio;

SpawnClient::SpawnClient(asio::io_context& io, int fd, std::string program,
                         std::function<void(const std::string& why)> on_lost)
    : socket_(io, fd)
    , program_(std::move(program))
    , on_lost_(std::move(on_lost)) {
    read();
}

void SpawnClient::send(spawn::Request r, OnReply on_reply) {
    const size_t n = r.replies();
    if (!connected()) {
        asio::post(socket_.get_executor(),
                   [n, text = program_ + " is gone. (#4.3.0)\n", on_reply = std::move(on_reply)] {
                       on_reply(std::vector<Verdict>(n, Verdict::temporary(text)));
                   });
        return;
    }
    r.num = num_ + 1;
    num_ += n;
    auto pending = std::make_shared<Pending>(std::vector<Verdict>(n), n, std::move(on_reply));
    for (size_t i = 0; i < n; ++i)
        waiting_.emplace(r.num + i, std::make_pair(pending, i));
    out_ += spawn::encode(r);
    flush();
}

void SpawnClient::flush() {
    if (!connected() || !writing_.empty() || out_.empty())
        return;
    writing_.swap(out_);
    asio::async_write(socket_, asio::buffer(writing_),
                      [this](boost::system::error_code ec, size_t) {
                          writing_.clear();
                          if (ec) {
                              if (ec != asio::error::operation_aborted)
                                  lost("unable to write to " + program_ + ": " + ec.message());
                              return;
                          }
                          flush();
                      });
}

void SpawnClient::close() {
    if (!connected())
        return;
    // At exit only clean requests can be left; send them before closing.
    std::string rest = writing_ + out_;
    boost::system::error_code ignored;
    socket_.native_non_blocking(false, ignored);
    writing_.clear();
    out_.clear();
    if (!rest.empty() && !write_all(socket_.native_handle(), rest))
        log::warning("unable to send the last requests to " + program_);
    socket_.close(ignored);
}

void SpawnClient::read() {
    socket_.async_read_some(asio::buffer(buf_), [this](boost::system::error_code ec, size_t n) {
        if (ec) {
            if (ec != asio::error::operation_aborted)
                lost(ec == asio::error::eof
                         ? program_ + " exited"
                         : "unable to read from " + program_ + ": " + ec.message());
            return;
        }
        in_.append(buf_.data(), n);
        for (;;) {
            auto rep = spawn::take_reply(in_, program_);
            if (!rep) {
                // It names no delivery, and it is off the buffer: skip it rather than
                // stop every delivery for it.
                log::warning(log::safe_text(rep.error().text));
                continue;
            }
            if (!*rep) {
                // The helper caps each report at 64 KiB: a megabyte without the end of
                // one means the stream is no longer the protocol.
                if (in_.size() > (1u << 20)) {
                    lost(program_ + " sent an overlong reply");
                    return;
                }
                break;
            }
            auto it = waiting_.find((*rep)->num);
            if (it == waiting_.end()) {
                log::warning(program_ + " reported an unknown request");
                continue;
            }
            auto [pending, index] = std::move(it->second);
            waiting_.erase(it);
            pending->verdicts[index] = std::move((*rep)->verdict);
            if (--pending->missing == 0)
                pending->done(std::move(pending->verdicts));
        }
        read();
    });
}

void SpawnClient::lost(const std::string& why) {
    if (!connected())
        return;
    boost::system::error_code ignored;
    socket_.close(ignored);
    on_lost_(why);
    // Every delivery still out there counts as deferred; the next start retries it.
    auto waiting = std::move(waiting_);
    waiting_.clear();
    for (auto& [num, slot] : waiting) {
        auto& [pending, index] = slot;
        pending->verdicts[index] = Verdict::temporary(program_ + " is gone. (#4.3.0)\n");
        if (--pending->missing == 0)
            pending->done(std::move(pending->verdicts));
    }
}

} // namespace qm::send
