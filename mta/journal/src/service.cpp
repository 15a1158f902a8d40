#include "qm/journal/service.hpp"

#include "bytes.hpp"
#include "qm/journal/group_commit.hpp"
#include "qm/journal/records.hpp"
#include "qm/log.hpp"
#include "qm/netstring.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/write.hpp>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

namespace qm::journal {

namespace asio = boost::asio;
using local = asio::local::stream_protocol;

std::string socket_path(const std::string& queue_root) {
    return queue_root + "/lock/journal";
}

std::string journal_dir(const std::string& queue_root) {
    return queue_root + "/journal";
}

namespace {

// A request can hold the biggest record plus its type byte.
constexpr std::size_t max_request = max_payload + 1;

} // namespace

std::string encode_request(RecordType type, std::string_view payload) {
    std::string body(1, static_cast<char>(type));
    body += payload;
    return netstring::encode(body);
}

Result<std::uint64_t> read_reply(std::string_view reply) {
    if (reply.empty())
        return fail(temp("4.3.0", "qmail-journald sent an empty reply"));
    const std::string text(reply.substr(1));
    if (reply[0] == 'K') {
        std::uint64_t id = 0;
        if (!text.empty() &&
            std::from_chars(text.data(), text.data() + text.size(), id).ec != std::errc())
            return fail(temp("4.3.0", "qmail-journald sent a bad journal id"));
        return id;
    }
    if (reply[0] == 'D')
        return fail(perm("5.3.0", "qmail-journald refused: " + text));
    return fail(temp("4.3.0", "qmail-journald: " + text));
}

// ---- the client ----

Result<Client> Client::connect(const std::string& path) {
    Client c;
    c.fd_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!c.fd_)
        return fail(from_errno(errno, "unable to make a socket"));
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    if (path.size() >= sizeof sa.sun_path)
        return fail(perm("5.3.5", "the journal socket's path is too long: " + path));
    std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
    if (::connect(c.fd_.get(), reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0)
        return fail(temp("4.3.0", "unable to reach qmail-journald at " + path + ": " +
                                      std::strerror(errno)));
    return c;
}

Status Client::send(RecordType type, std::string_view payload) {
    // send(MSG_NOSIGNAL): a qmail-journald gone away is an error here, not a SIGPIPE.
    const std::string request = encode_request(type, payload);
    for (std::size_t done = 0; done < request.size();) {
        const ssize_t n =
            ::send(fd_.get(), request.data() + done, request.size() - done, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return fail(temp("4.3.0", std::string("qmail-journald went away: ") +
                                          std::strerror(n < 0 ? errno : EPIPE)));
        done += static_cast<std::size_t>(n);
    }
    return {};
}

Result<std::uint64_t> Client::commit(RecordType type, std::string_view payload) {
    if (auto s = send(type, payload); !s)
        return fail(s.error());
    return receive();
}

namespace {

// Idle connections of this process, for commit_pooled.
std::mutex pool_mutex;
std::vector<std::pair<std::string, Client>> idle_clients;
constexpr std::size_t max_idle_clients = 16;

} // namespace

Result<std::uint64_t> commit_pooled(const std::string& path, RecordType type,
                                    std::string_view payload) {
    std::optional<Client> client;
    {
        std::lock_guard lock(pool_mutex);
        for (auto it = idle_clients.begin(); it != idle_clients.end(); ++it)
            if (it->first == path) {
                client.emplace(std::move(it->second));
                idle_clients.erase(it);
                break;
            }
    }
    // A kept connection that qmail-journald closed meanwhile (a restart) refuses the
    // request before any of it is read: then once more on a new one. Once sent, a lost
    // answer is a temporary failure, never a second try (the record may be durable).
    const bool sent = client && client->send(type, payload).has_value();
    if (!sent) {
        auto fresh = Client::connect(path);
        if (!fresh)
            return fail(fresh.error());
        client.emplace(std::move(*fresh));
        if (auto s = client->send(type, payload); !s)
            return fail(s.error());
    }
    auto answer = client->receive();
    if (answer) {
        std::lock_guard lock(pool_mutex);
        if (idle_clients.size() < max_idle_clients)
            idle_clients.emplace_back(path, std::move(*client));
    }
    return answer;
}

Result<std::uint64_t> Client::receive() {
    for (;;) {
        auto d = netstring::decode(in_, 1024);
        if (!d)
            return fail(temp("4.3.0", "qmail-journald's reply is not a netstring"));
        if (*d) {
            const std::string reply((*d)->payload);
            in_.erase(0, (*d)->consumed);
            return read_reply(reply);
        }
        char buf[512];
        ssize_t n = ::read(fd_.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return fail(temp("4.3.0", "qmail-journald closed the connection"));
        in_.append(buf, static_cast<std::size_t>(n));
    }
}

// ---- the daemon ----

namespace {

// What the io thread keeps to retire segments: the messages each one still holds.
struct Retirement {
    std::string dir;
    LiveMessages live;
    std::uint64_t newest = 0; // the segment the last acknowledged record went to

    void acknowledged(RecordType type, std::uint64_t id, const RecordPos& pos) {
        newest = std::max(newest, pos.segment);
        live.per_segment[pos.segment]; // known, whatever it holds
        if (type == RecordType::message) {
            live.add(pos.segment, id);
        } else if (type == RecordType::end) {
            live.end(id);
            retire();
        }
    }
    void retire() {
        const auto seqs = live.retirable(newest);
        if (seqs.empty())
            return;
        for (const auto& t : retire_segments(dir, seqs, live))
            log::warning(t);
        for (auto seq : seqs)
            log::line("journal: retired segment " + segment_name(seq));
    }
};

class Session : public std::enable_shared_from_this<Session> {
public:
    Session(local::socket sock, GroupCommitter& committer, asio::io_context& io,
            Retirement& retirement)
        : sock_(std::move(sock))
        , committer_(committer)
        , io_(io)
        , retirement_(retirement) {}

    void start() { read(); }

private:
    void read() {
        sock_.async_read_some(asio::buffer(buf_), [self = shared_from_this()](
                                                      boost::system::error_code ec, std::size_t n) {
            if (ec)
                return; // the client is gone; answers in flight drop
            self->in_.append(self->buf_.data(), n);
            if (self->take_requests())
                self->read();
        });
    }

    // Returns false when the connection must end (a request that is not a netstring).
    bool take_requests() {
        for (;;) {
            auto d = netstring::decode(in_, max_request);
            if (!d) {
                reply("Dthe request is not a netstring");
                closing_ = true;
                return false;
            }
            if (!*d)
                return true;
            std::string body((*d)->payload);
            in_.erase(0, (*d)->consumed);
            take(std::move(body));
        }
    }

    void take(std::string body) {
        if (body.empty() || !known_record_type(static_cast<std::uint8_t>(body[0]))) {
            reply("Dan unknown record type");
            return;
        }
        const auto type = static_cast<RecordType>(body[0]);
        std::string payload = body.substr(1);
        std::uint64_t id = 0;
        bool ok = true;
        switch (type) {
        case RecordType::message:
            if (auto head = decode_message_head(payload); !head) {
                ok = false;
            } else {
                // The journal names the message: its id goes in the first 8 bytes.
                id = committer_.new_journal_id();
                std::string id_bytes;
                bytes::put_u64(id_bytes, id);
                payload.replace(0, 8, id_bytes);
            }
            break;
        case RecordType::done:
            ok = decode_done(payload).has_value();
            break;
        case RecordType::end:
            if (auto e = decode_end(payload))
                id = *e;
            else
                ok = false;
            break;
        }
        if (!ok) {
            reply("Da malformed record");
            return;
        }
        // Answered on the committer's thread once durable; the reply is written from ours.
        committer_.submit(
            type, std::move(payload), [self = shared_from_this(), id, type](Result<RecordPos> r) {
                asio::post(self->io_, [self, id, type, r] {
                    if (r)
                        self->retirement_.acknowledged(type, id, *r);
                    self->reply(!r                            ? "Z" + r.error().text
                                : type == RecordType::message ? "K" + std::to_string(id)
                                                              : std::string("K"));
                });
            });
    }

    void reply(const std::string& text) {
        out_.push_back(netstring::encode(text));
        if (out_.size() == 1)
            write_next();
    }

    void write_next() {
        asio::async_write(sock_, asio::buffer(out_.front()),
                          [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                              if (ec)
                                  return;
                              self->out_.pop_front();
                              if (!self->out_.empty())
                                  self->write_next();
                              else if (self->closing_) {
                                  boost::system::error_code ignored;
                                  self->sock_.shutdown(local::socket::shutdown_both, ignored);
                              }
                          });
    }

    local::socket sock_;
    GroupCommitter& committer_;
    asio::io_context& io_;
    Retirement& retirement_;
    std::array<char, 65536> buf_{};
    std::string in_;
    std::deque<std::string> out_;
    bool closing_ = false;
};

void accept_next(local::acceptor& acceptor, GroupCommitter& committer, asio::io_context& io,
                 Retirement& retirement) {
    acceptor.async_accept([&acceptor, &committer, &io, &retirement](boost::system::error_code ec,
                                                                    local::socket sock) {
        if (ec == asio::error::operation_aborted)
            return;
        if (!ec)
            std::make_shared<Session>(std::move(sock), committer, io, retirement)->start();
        accept_next(acceptor, committer, io, retirement);
    });
}

} // namespace

int run_journald(const JournaldOptions& options) {
    // The socket is group qmail's from the moment it exists (qmail-send connects as qmails).
    ::umask(007);
    const std::string dir = journal_dir(options.queue_root);
    if (::mkdir(dir.c_str(), 0750) != 0 && errno != EEXIST) {
        log::alert("unable to create " + dir + ": " + std::strerror(errno));
        return 111;
    }
    // The directory's own name is an entry of queue/, which no flush of the segments
    // covers: without this a crash could take the journal away, segments and all. Every
    // start, not only the one that made it: that one may have crashed before it got here.
    if (auto s = fsync_dir(options.queue_root); !s) {
        log::alert(s.error().text);
        return 111;
    }
    // The socket goes first: nobody may hand over a message before the rebuild is done.
    const std::string path = socket_path(options.queue_root);
    ::unlink(path.c_str());
    Retirement retirement{dir, {}, 0};
    std::vector<std::uint64_t> to_end;
    if (options.recover) {
        auto recovered = options.recover();
        if (!recovered) {
            log::alert("unable to recover the queue from the journal: " + recovered.error().text);
            return 111;
        }
        retirement.live = std::move(recovered->live);
        to_end = std::move(recovered->to_end);
    } else {
        auto state = read_journal(dir);
        if (!state) {
            log::alert(state.error().text);
            return 111;
        }
        retirement.live = std::move(state->live);
    }
    auto existing = list_segments(dir);
    if (!existing) {
        log::alert(existing.error().text);
        return 111;
    }
    const std::uint64_t first = existing->empty() ? 1 : existing->back() + 1;
    retirement.newest = first;
    retirement.retire(); // what ended before this start
    auto committer = GroupCommitter::start(
        {.dir = dir, .first_sequence = first, .max_segment_bytes = options.max_segment_bytes});
    if (!committer) {
        log::alert(committer.error().text);
        return 111;
    }
    asio::io_context io;
    boost::system::error_code ec;
    local::acceptor acceptor(io);
    acceptor.open(local(), ec);
    if (!ec)
        acceptor.bind(local::endpoint(path), ec);
    if (!ec)
        acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
        log::alert("unable to listen on " + path + ": " + ec.message());
        return 111;
    }
    ::chmod(path.c_str(), 0660); // qmail-send (group qmail) writes its marks too
    accept_next(acceptor, **committer, io, retirement);
    // Messages delivered to every recipient whose end a crash cut off.
    for (auto id : to_end)
        (*committer)->submit(RecordType::end, encode_end(id), [&io, &retirement, id](auto r) {
            asio::post(io, [&retirement, id, r] {
                if (r)
                    retirement.acknowledged(RecordType::end, id, *r);
            });
        });
    asio::signal_set signals(io, SIGTERM, SIGINT);
    signals.async_wait([&](boost::system::error_code, int) {
        acceptor.close();
        io.stop();
    });
    log::line("status: journal ready, segment " + segment_name(first));
    io.run();
    // Stop: what is queued in the committer is flushed and answered by its destructor;
    // replies no longer reach their sessions, whose clients then see the connection end
    // and treat the message as not accepted (a duplicate at worst, never a loss).
    const auto stats = (*committer)->stats();
    committer->reset();
    ::unlink(path.c_str());
    log::line("status: journal exiting: " + std::to_string(stats.records) + " records in " +
              std::to_string(stats.flushes) + " flushes");
    return 0;
}

} // namespace qm::journal
