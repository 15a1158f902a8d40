// A delivery channel as qmail-send's scheduler sees it (private to mta/send): it starts
// one attempt, a group of recipients of one message, and hands back one Verdict per
// recipient on the event loop. The scheduler knows channels only by index (qmail-send's
// chanaddr[]): which channel delivers how, in this process or through a privileged
// helper, is decided once, when the channels are made.
#pragma once

#include "qm/queue/layout.hpp"
#include "qm/verdict.hpp"

#include <boost/asio/io_context.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace qm::local {
struct LocalProgram;
}
namespace qm::remote {
struct ClientConfig;
}

namespace qm::send {

class SpawnClient;

// How many deliveries waiting for their flush one concurrency slot may stand for.
inline constexpr unsigned flush_waiting_per_slot = 3;

struct Attempt {
    queue::MessageId id = 0;
    std::string sender;                  // VERP already expanded
    std::vector<std::string> recipients; // one domain, in queue order
    std::uint64_t journal_id = 0;        // qm::local::Delivery::journal_id
};

// Called on the loop with one verdict per recipient of the attempt, in order.
using OnVerdicts = std::function<void(std::vector<Verdict>)>;
// Called on the loop, at most once, when the attempt only waits for its flush
// (qm::local::FlushWaitNotice); channels that cannot tell never call it. It may come after
// the verdicts (which may ride on a collection posted before it): then it is stale.
using OnFlushWait = std::function<void()>;

class Channel {
public:
    virtual ~Channel() = default;
    // How many recipients one attempt may carry: local deliveries take one recipient each
    // (qmail-lspawn's unit); a remote attempt is one SMTP transaction, which every server
    // must take with at least 100 recipients (RFC 5321).
    [[nodiscard]] virtual size_t max_recipients() const = 0;
    virtual void start(Attempt a, OnVerdicts done, OnFlushWait flushing) = 0;
};

// Local deliveries: through qmail-lspawn when *lspawn is given (root mode), else on a pool
// of `threads` threads in this process (and as many again for each of
// flush_waiting_per_slot, for deliveries that only wait for a flush) (as root without qmail-lspawn,
// each one in a child that takes the recipient's uid).
[[nodiscard]] std::unique_ptr<Channel> make_local_channel(boost::asio::io_context& io,
                                                          const queue::Layout& layout,
                                                          std::string default_delivery,
                                                          unsigned threads, SpawnClient* lspawn);
// Remote deliveries: through qmail-rspawn when *rspawn is given (root mode), else in this
// process, SMTP or QMTP sessions on the loop (qm::remote::Client).
[[nodiscard]] std::unique_ptr<Channel> make_remote_channel(boost::asio::io_context& io,
                                                           const queue::Layout& layout,
                                                           const remote::ClientConfig& cfg,
                                                           SpawnClient* rspawn);

} // namespace qm::send
