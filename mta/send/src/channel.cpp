#include "channel.hpp"

#include "qm/address.hpp"
#include "qm/local/deliver.hpp"
#include "qm/log.hpp"
#include "qm/remote/client.hpp"
#include "spawn_client.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include <unistd.h>

#include <iterator>
#include <mutex>

namespace qm::send {

namespace asio = boost::asio;

namespace {

// One SMTP transaction: RFC 5321 makes every server take at least 100 recipients.
constexpr size_t remote_max_recipients = 100;

class LocalChannel final : public Channel {
public:
    LocalChannel(asio::io_context& io, const queue::Layout& layout, std::string default_delivery,
                 unsigned threads)
        : io_(io)
        , layout_(layout)
        , default_delivery_(std::move(default_delivery))
        , pool_(std::max(1u, threads) * (1 + flush_waiting_per_slot)) {}
    ~LocalChannel() override { pool_.join(); }

    [[nodiscard]] size_t max_recipients() const override { return 1; }

    void start(Attempt a, OnVerdicts done, OnFlushWait flushing) override {
        local::LocalJob job{
            layout_.mess(a.id), std::move(a.sender), std::move(a.recipients.front()),
            default_delivery_,  &program_,           a.journal_id};
        asio::post(pool_, [this, job = std::move(job), done = std::move(done),
                           flushing = std::move(flushing)]() mutable {
            local::FlushWaitNotice notice([&] { asio::post(io_, std::move(flushing)); });
            Verdict v = local::deliver_recipient(job);
            bool first = false;
            {
                std::lock_guard lock(mu_);
                first = finished_.empty();
                finished_.push_back({std::move(done), std::move(v)});
            }
            // One wake-up of the loop collects every verdict that arrived meanwhile.
            if (first)
                asio::post(io_, [this] { collect(); });
        });
    }

private:
    void collect() {
        std::vector<std::pair<OnVerdicts, Verdict>> batch;
        {
            std::lock_guard lock(mu_);
            batch.swap(finished_);
        }
        for (auto& [done, v] : batch)
            done({std::move(v)});
    }

    asio::io_context& io_;
    const queue::Layout& layout_;
    const std::string default_delivery_;
    // As root without qmail-lspawn: each delivery is a qmail-local run as the recipient.
    const local::LocalProgram program_ =
        ::geteuid() == 0 ? local::local_program() : local::LocalProgram{};
    std::mutex mu_;
    std::vector<std::pair<OnVerdicts, Verdict>> finished_; // filled by the workers
    asio::thread_pool pool_;
};

class RemoteChannel final : public Channel {
public:
    RemoteChannel(asio::io_context& io, const queue::Layout& layout,
                  const remote::ClientConfig& cfg)
        : io_(io)
        , layout_(layout)
        , client_(io.get_executor(), cfg) {}

    [[nodiscard]] size_t max_recipients() const override { return remote_max_recipients; }

    void start(Attempt a, OnVerdicts done, OnFlushWait /*flushing: never*/) override {
        remote::Job job;
        job.mess_path = layout_.mess(a.id);
        job.sender = std::move(a.sender);
        job.domain = address::split(a.recipients.front()).domain;
        job.recipients = std::move(a.recipients);
        const size_t n = job.recipients.size();
        asio::co_spawn(io_, client_.deliver(std::move(job)),
                       [n, done = std::move(done)](std::exception_ptr e, remote::Outcome o) {
                           std::vector<Verdict> verdicts = remote::fold(o);
                           if (e || verdicts.size() != n) {
                               log::alert("remote delivery failed unexpectedly; will retry");
                               verdicts.assign(n, Verdict::temporary("Internal error. (#4.3.0)\n"));
                           }
                           done(std::move(verdicts));
                       });
    }

private:
    asio::io_context& io_;
    const queue::Layout& layout_;
    remote::Client client_;
};

// Root mode: a privileged helper delivers; qmail-lspawn takes D requests (one recipient,
// delivered as its account), qmail-rspawn R requests (a remote attempt, as qmailr). Both
// carry the message number, the sender and the recipients, and get a verdict for each.
class SpawnChannel final : public Channel {
public:
    SpawnChannel(SpawnClient& helper, char kind, size_t max_recipients)
        : helper_(helper)
        , kind_(kind)
        , max_recipients_(max_recipients) {}

    [[nodiscard]] size_t max_recipients() const override { return max_recipients_; }

    void start(Attempt a, OnVerdicts done, OnFlushWait /*flushing: never*/) override {
        // A local delivery of a message the journal holds carries its journal id (J).
        if (kind_ == 'D' && a.journal_id != 0) {
            helper_.send({'J',
                          0,
                          {std::to_string(a.id), std::to_string(a.journal_id), std::move(a.sender),
                           std::move(a.recipients.front())}},
                         std::move(done));
            return;
        }
        spawn::Request r{kind_, 0, {std::to_string(a.id), std::move(a.sender)}};
        r.fields.insert(r.fields.end(), std::make_move_iterator(a.recipients.begin()),
                        std::make_move_iterator(a.recipients.end()));
        helper_.send(std::move(r), std::move(done));
    }

private:
    SpawnClient& helper_;
    const char kind_;
    const size_t max_recipients_;
};

} // namespace

std::unique_ptr<Channel> make_local_channel(asio::io_context& io, const queue::Layout& layout,
                                            std::string default_delivery, unsigned threads,
                                            SpawnClient* lspawn) {
    if (lspawn)
        return std::make_unique<SpawnChannel>(*lspawn, 'D', 1);
    return std::make_unique<LocalChannel>(io, layout, std::move(default_delivery), threads);
}

std::unique_ptr<Channel> make_remote_channel(asio::io_context& io, const queue::Layout& layout,
                                             const remote::ClientConfig& cfg, SpawnClient* rspawn) {
    if (rspawn)
        return std::make_unique<SpawnChannel>(*rspawn, 'R', remote_max_recipients);
    return std::make_unique<RemoteChannel>(io, layout, cfg);
}

} // namespace qm::send
