#include "qm/send/scheduler.hpp"

#include "qm/address.hpp"
#include "qm/control.hpp"
#include "qm/fd.hpp"
#include "qm/local/deliver.hpp"
#include "qm/log.hpp"
#include "qm/queue/layout.hpp"
#include "qm/queue_client.hpp"
#include "qm/remote/client.hpp"
#include "qm/send/lspawn.hpp"
#include "qm/send/records.hpp"
#include "qm/send/retry.hpp"
#include "qm/send/store.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/system_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/write.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <queue>
#include <unordered_map>

namespace qm::send {

namespace asio = boost::asio;
using queue::MessageId;

Result<Settings> load_settings(std::string default_delivery) {
    Settings s;
    s.default_delivery = std::move(default_delivery);
    auto routing = load_routing();
    if (!routing)
        return fail(routing.error());
    s.routing = std::move(*routing);
    // qmail caps both concurrencies at its compile-time SPAWN limit (conf-spawn 120).
    auto bounded = [](const std::string& name, long dflt) -> Result<unsigned> {
        auto v = control::read_int_or(name, dflt);
        if (!v)
            return fail(v.error());
        return static_cast<unsigned>(std::clamp(*v, 0L, 120L));
    };
    auto cl = bounded("concurrencylocal", 10);
    auto cr = bounded("concurrencyremote", 20);
    auto life = control::read_int_or("queuelifetime", default_queue_lifetime);
    auto from = control::read_line_or("bouncefrom", "MAILER-DAEMON");
    auto host = control::read_line_or_me("bouncehost");
    auto dbto = control::read_line_or("doublebounceto", "postmaster");
    auto dbhost = control::read_line_or_me("doublebouncehost");
    for (const Failure* f :
         {cl ? nullptr : &cl.error(), cr ? nullptr : &cr.error(), life ? nullptr : &life.error(),
          from ? nullptr : &from.error(), host ? nullptr : &host.error(),
          dbto ? nullptr : &dbto.error(), dbhost ? nullptr : &dbhost.error()})
        if (f)
            return fail(*f);
    s.concurrency_local = *cl;
    s.concurrency_remote = *cr;
    s.queue_lifetime = *life;
    s.bounce = {*from, *host, *dbto, *dbhost};
    auto remote = remote::load_client_config();
    if (!remote)
        return fail(remote.error());
    s.remote = std::move(*remote);
    return s;
}

namespace {

enum Chan : int { chan_local = 0, chan_remote = 1 };
// A heap entry for a message whose bounce could not be queued yet.
constexpr int chan_bounce_retry = 2;

struct ChannelState {
    enum class Phase { none, waiting, ready, open } phase = Phase::none;
    std::time_t next_retry = 0;
};

struct Message {
    std::time_t birth = 0;
    std::string sender;
    std::array<ChannelState, 2> ch;
    // bounce/N may exist: a failure was recorded, or the message predates this run.
    bool may_bounce = false;
};

// One pass over local/N or remote/N: the not-yet-done records, dispatched in order. The
// retry time and the dying flag are fixed when the pass starts (qmail-send's job).
struct Pass {
    MessageId id = 0;
    int chan = 0; // chan_local or chan_remote
    UniqueFd fd;  // the channel file opened read-write for the in-place T → D marks
    std::vector<ChannelRecord> todo;
    size_t next = 0; // local: the next record; remote: the next group
    // remote: indexes into todo, one group per SMTP transaction (same domain and sender)
    std::vector<std::vector<size_t>> groups;
    size_t in_flight = 0; // deliveries (local) or connections (remote) running
    size_t deferred = 0;
    std::time_t retry = 0;
    bool dying = false;
};

struct Due {
    std::time_t when;
    MessageId id;
    int chan;
    bool operator>(const Due& o) const { return when > o.when; }
};

struct LocalJob {
    std::string mess_path;
    std::string sender; // VERP already expanded
    std::string local, domain;
    std::string default_delivery;
    bool in_child = false;
};

local::Report deliver_one(const LocalJob& job, const local::LocalProgram& program) {
    using Kind = local::Report::Kind;
    if (job.local.empty())
        return {Kind::success, ""}; // qmail-lspawn treats an empty local part as done
    auto who = local::resolve(job.local);
    if (!who)
        return {who.error().permanent() ? Kind::permanent : Kind::temporary,
                who.error().with_dsn() + "\n"};
    UniqueFd mess(::open(job.mess_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!mess)
        return {Kind::temporary, "Unable to open message file. (#4.3.0)\n"};
    local::Delivery d{mess.get(), job.sender, job.local, job.domain, job.default_delivery, *who};
    // As root the recipient's uid must be taken in a child: never deliver as uid 0.
    return job.in_child ? local::deliver_in_child(d, program) : local::deliver(d);
}

class Scheduler {
public:
    explicit Scheduler(Settings s)
        : settings_(std::move(s))
        , layout_(queue::Layout::from_home())
        , pool_(std::max(1u, settings_.concurrency_local))
        , trigger_(io_)
        , signals_(io_)
        , retry_timer_(io_)
        , rescan_timer_(io_)
        , cleanup_timer_(io_) {}

    Status start();
    // A failure when qmail-send had to stop because qmail-lspawn went away.
    Status run() {
        io_.run();
        pool_.join();
        if (lost_lspawn_)
            return fail(temp("4.3.0", "stopped because qmail-lspawn went away"));
        return {};
    }

private:
    // event sources
    void read_trigger();
    void arm_rescan();
    void arm_cleanup();
    void wait_signals();
    // todo/ → info, local, remote
    void want_todo();
    void todo_step();
    // scheduling
    void pump();
    void dispatch_local(std::time_t now);
    void run_remote(std::time_t now);
    void open_remote_pass(MessageId id, std::time_t now);
    void start_remote(Pass& p);
    void finish_remote(Pass* p, const std::vector<size_t>& group,
                       const std::vector<unsigned long>& dnums,
                       const std::vector<remote::Report>& reports);
    // Logs one finished delivery and checkpoints it (done, bounced or deferred).
    void record_result(Pass* p, size_t index, unsigned long dnum, local::Report::Kind kind,
                       std::string text);
    void open_local_pass(MessageId id, std::time_t now);
    void start_local(Pass& p);
    void finish_local(Pass* p, size_t index, unsigned long dnum, const local::Report& r);
    void collect_reports();
    struct Finished {
        Pass* pass;
        size_t index;
        unsigned long dnum;
        local::Report report;
    };
    std::mutex reports_mu_;
    std::vector<Finished> reports_; // filled by the workers, drained by the loop
    void close_pass(Pass* p);
    void set_waiting(MessageId id, Message& m, int c, std::time_t when);
    void channel_done(MessageId id, Message& m, int c);
    void message_done(MessageId id);
    bool inject_bounce(MessageId id, const Message& m);
    void retry_everything();
    void finish();
    void log_status();

    Settings settings_;
    queue::Layout layout_;
    asio::io_context io_;
    // Deliveries on the pool post their reports back later; until finish() the loop must
    // not run out of work while only they are pending.
    asio::executor_work_guard<asio::io_context::executor_type> work_{io_.get_executor()};
    asio::thread_pool pool_;
    UniqueFd lock_fd_;
    UniqueFd trigger_write_; // keeps a writer so the FIFO never reads EOF
    asio::posix::stream_descriptor trigger_;
    std::array<char, 256> trigger_buf_{};
    asio::signal_set signals_;
    asio::system_timer retry_timer_;
    std::time_t retry_armed_for_ = 0;
    asio::steady_timer rescan_timer_;
    asio::steady_timer cleanup_timer_;

    // root mode
    void lspawn_send(lspawn::Request r, std::function<void(const lspawn::Reply&)> on_reply);
    void lspawn_flush();
    void lspawn_flush_blocking();
    void lspawn_read();
    void lspawn_lost(const std::string& why);
    void clean(const char* what, MessageId id);
    std::optional<asio::posix::stream_descriptor> lspawn_;
    std::string lspawn_out_, lspawn_writing_, lspawn_in_;
    std::array<char, 16384> lspawn_buf_{};
    unsigned long lspawn_num_ = 0;
    std::unordered_map<unsigned long, std::function<void(const lspawn::Reply&)>> lspawn_waiting_;
    const bool as_root_ = ::geteuid() == 0;
    // As root without qmail-lspawn: each delivery is a qmail-local run as the recipient.
    const local::LocalProgram local_program_ =
        as_root_ ? local::local_program() : local::LocalProgram{};
    bool lost_lspawn_ = false;

    std::unordered_map<MessageId, Message> messages_;
    std::priority_queue<Due, std::vector<Due>, std::greater<>> heap_;
    std::array<std::deque<MessageId>, 2> ready_;
    std::list<std::unique_ptr<Pass>> passes_;        // local
    std::list<std::unique_ptr<Pass>> remote_passes_; // remote
    std::unique_ptr<remote::Client> client_;
    unsigned remote_in_flight_ = 0;
    unsigned last_status_remote_ = ~0u;
    std::deque<MessageId> pending_todo_;
    bool todo_running_ = false;
    bool todo_wanted_ = false;
    bool exiting_ = false;
    bool finished_ = false;
    unsigned local_in_flight_ = 0;
    unsigned long delivery_counter_ = 0;
    unsigned last_status_local_ = ~0u;
};

Status Scheduler::start() {
    lock_fd_.reset(::open(layout_.sendmutex().c_str(), O_RDWR | O_CLOEXEC));
    if (!lock_fd_)
        return fail(from_errno(errno, "unable to open " + layout_.sendmutex()));
    if (::flock(lock_fd_.get(), LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK)
            return fail(temp("4.3.0", "another qmail-send is already running (" +
                                          layout_.sendmutex() + " is locked)"));
        return fail(from_errno(errno, "unable to lock " + layout_.sendmutex()));
    }
    UniqueFd rd(::open(layout_.trigger().c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
    if (!rd)
        return fail(from_errno(errno, "unable to open " + layout_.trigger()));
    trigger_write_.reset(::open(layout_.trigger().c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
    if (!trigger_write_)
        return fail(from_errno(errno, "unable to open " + layout_.trigger() + " for writing"));
    trigger_.assign(rd.release());

    client_ = std::make_unique<remote::Client>(io_.get_executor(), settings_.remote);
    if (settings_.lspawn_fd >= 0) {
        lspawn_.emplace(io_, settings_.lspawn_fd);
        lspawn_read();
    } else {
        cleanup_stale(layout_, std::time(nullptr)); // qmail-lspawn does it in root mode
    }
    auto found = scan_queue(layout_);
    if (!found)
        return fail(found.error());
    for (auto& q : found->messages) {
        Message m{q.birth, std::move(q.sender), {}, true};
        auto& msg = messages_.emplace(q.id, std::move(m)).first->second;
        for (int c = 0; c < 2; ++c)
            if (q.channel_mtime[c])
                set_waiting(q.id, msg, c, *q.channel_mtime[c]);
        if (!q.channel_mtime[0] && !q.channel_mtime[1])
            asio::post(io_, [this, id = q.id] { message_done(id); });
    }
    ::signal(SIGPIPE, SIG_IGN);
    signals_.add(SIGTERM);
    signals_.add(SIGINT); // Ctrl-C on a qmail-send run by hand: the same clean exit
    signals_.add(SIGALRM);
    signals_.add(SIGHUP);
    wait_signals();
    read_trigger();
    arm_rescan();
    arm_cleanup();
    want_todo();
    asio::post(io_, [this] { pump(); });
    return {};
}

void Scheduler::read_trigger() {
    trigger_.async_read_some(asio::buffer(trigger_buf_),
                             [this](boost::system::error_code ec, size_t) {
                                 if (ec == asio::error::operation_aborted || exiting_)
                                     return;
                                 want_todo();
                                 if (!ec)
                                     read_trigger();
                                 else
                                     log::warning("unable to read lock/trigger: " + ec.message() +
                                                  "; relying on the periodic todo scan");
                             });
}

void Scheduler::arm_rescan() {
    // qmail-send rescans todo/ every 1500 s even without a trigger (a lost wake-up byte).
    rescan_timer_.expires_after(std::chrono::seconds(1500));
    rescan_timer_.async_wait([this](boost::system::error_code ec) {
        if (ec || exiting_)
            return;
        want_todo();
        arm_rescan();
    });
}

void Scheduler::arm_cleanup() {
    cleanup_timer_.expires_after(std::chrono::seconds(76431));
    cleanup_timer_.async_wait([this](boost::system::error_code ec) {
        if (ec || exiting_)
            return;
        if (!lspawn_)
            cleanup_stale(layout_, std::time(nullptr));
        arm_cleanup();
    });
}

void Scheduler::wait_signals() {
    signals_.async_wait([this](boost::system::error_code ec, int sig) {
        if (ec)
            return;
        if (sig == SIGTERM || sig == SIGINT) {
            exiting_ = true;
            boost::system::error_code ignored;
            trigger_.cancel(ignored);
            rescan_timer_.cancel();
            cleanup_timer_.cancel();
            retry_timer_.cancel();
            pump();
            return;
        }
        if (sig == SIGALRM) {
            retry_everything();
            want_todo(); // also picks up todo/ entries whose trigger byte was lost
        }
        if (sig == SIGHUP) {
            if (auto s = reload_locals_and_virtualdomains(settings_.routing); !s)
                log::warning("unable to reread locals/virtualdomains: " + s.error().text);
        }
        wait_signals();
        pump();
    });
}

void Scheduler::want_todo() {
    todo_wanted_ = true;
    if (todo_running_ || exiting_)
        return;
    todo_running_ = true;
    asio::post(io_, [this] { todo_step(); });
}

// Processes a bounded batch per turn of the loop so that delivery reports keep flowing
// while a large todo/ backlog drains ("silly qmail syndrome").
void Scheduler::todo_step() {
    if (exiting_) {
        todo_running_ = false;
        return;
    }
    if (pending_todo_.empty()) {
        if (!todo_wanted_) {
            todo_running_ = false;
            return;
        }
        todo_wanted_ = false;
        for (MessageId id : list_todo(layout_))
            if (!messages_.contains(id))
                pending_todo_.push_back(id);
        if (pending_todo_.empty()) {
            todo_running_ = false;
            return;
        }
    }
    constexpr size_t batch_max = 128;
    std::vector<MessageId> batch;
    while (!pending_todo_.empty() && batch.size() < batch_max) {
        batch.push_back(pending_todo_.front());
        pending_todo_.pop_front();
    }
    auto done = preprocess_todo(layout_, settings_.routing, batch, !lspawn_);
    const std::time_t now = std::time(nullptr);
    for (auto& n : done) {
        if (lspawn_)
            clean("t", n.id);
        Message m{n.birth, std::move(n.sender), {}};
        auto& msg = messages_.emplace(n.id, std::move(m)).first->second;
        for (int c = 0; c < 2; ++c)
            if (n.has_channel[c]) {
                msg.ch[c] = {ChannelState::Phase::ready, now};
                ready_[c].push_back(n.id);
            }
        if (!n.has_channel[0] && !n.has_channel[1])
            message_done(n.id);
    }
    pump();
    asio::post(io_, [this] { todo_step(); });
}

void Scheduler::set_waiting(MessageId id, Message& m, int c, std::time_t when) {
    m.ch[c] = {ChannelState::Phase::waiting, when};
    heap_.push({when, id, c});
}

void Scheduler::pump() {
    if (finished_)
        return;
    const std::time_t now = std::time(nullptr);
    while (!heap_.empty() && heap_.top().when <= now) {
        Due d = heap_.top();
        heap_.pop();
        auto it = messages_.find(d.id);
        if (it == messages_.end())
            continue;
        if (d.chan == chan_bounce_retry) {
            message_done(d.id);
            continue;
        }
        auto& ch = it->second.ch[d.chan];
        // Entries left behind by SIGALRM or an earlier schedule are stale.
        if (ch.phase != ChannelState::Phase::waiting || ch.next_retry != d.when)
            continue;
        ch.phase = ChannelState::Phase::ready;
        ready_[d.chan].push_back(d.id);
    }
    if (!exiting_) {
        run_remote(now);
        dispatch_local(now);
    }
    log_status();
    if (exiting_) {
        if (local_in_flight_ == 0 && remote_in_flight_ == 0)
            finish();
        return;
    }
    // Stale entries at the top would make the timer fire early; that only costs a pump.
    if (!heap_.empty() && heap_.top().when != retry_armed_for_) {
        retry_armed_for_ = heap_.top().when;
        retry_timer_.expires_at(std::chrono::system_clock::from_time_t(retry_armed_for_));
        retry_timer_.async_wait([this](boost::system::error_code ec) {
            if (ec)
                return;
            retry_armed_for_ = 0;
            pump();
        });
    }
}

void Scheduler::dispatch_local(std::time_t now) {
    // Enough open passes to keep every slot busy even when some are stuck on one slow
    // recipient, but bounded so a large backlog does not hold thousands of fds.
    const size_t max_passes = 2 * static_cast<size_t>(settings_.concurrency_local) + 1;
    while (local_in_flight_ < settings_.concurrency_local) {
        Pass* p = nullptr;
        for (auto& pp : passes_)
            if (pp->next < pp->todo.size()) {
                p = pp.get();
                break;
            }
        if (p) {
            start_local(*p);
            continue;
        }
        if (ready_[chan_local].empty() || passes_.size() >= max_passes)
            break;
        MessageId id = ready_[chan_local].front();
        ready_[chan_local].pop_front();
        open_local_pass(id, now);
    }
}

void Scheduler::open_local_pass(MessageId id, std::time_t now) {
    auto it = messages_.find(id);
    if (it == messages_.end() || it->second.ch[chan_local].phase != ChannelState::Phase::ready)
        return;
    Message& m = it->second;
    auto loaded = open_channel(layout_.local(id));
    if (!loaded) {
        log::warning(loaded.error().text);
        set_waiting(id, m, chan_local, now + 60);
        return;
    }
    if (!*loaded) { // the file is gone: nothing left to deliver
        channel_done(id, m, chan_local);
        return;
    }
    auto pass = std::make_unique<Pass>();
    pass->id = id;
    pass->chan = chan_local;
    pass->fd = std::move((*loaded)->fd);
    for (auto& r : (*loaded)->records)
        if (!r.done)
            pass->todo.push_back(std::move(r));
    if (pass->todo.empty()) {
        if (::unlink(layout_.local(id).c_str()) != 0 && errno != ENOENT)
            log::warning("unable to unlink " + layout_.local(id));
        channel_done(id, m, chan_local);
        return;
    }
    pass->retry = next_retry(m.birth, now, chanskip_local);
    pass->dying = is_dying(m.birth, now, settings_.queue_lifetime);
    m.ch[chan_local].phase = ChannelState::Phase::open;
    passes_.push_back(std::move(pass));
}

void Scheduler::start_local(Pass& p) {
    const size_t index = p.next++;
    ++p.in_flight;
    ++local_in_flight_;
    const unsigned long dnum = ++delivery_counter_;
    const Message& m = messages_.at(p.id);
    const std::string& rcpt = p.todo[index].address;
    log::line("starting delivery " + std::to_string(dnum) + ": msg " + std::to_string(p.id) +
              " to local " + log::safe_text(rcpt));
    Pass* pass = &p;
    if (lspawn_) {
        lspawn_send({'D', 0, {std::to_string(p.id), verp_expand(m.sender, rcpt), rcpt}},
                    [this, pass, index, dnum](const lspawn::Reply& r) {
                        using Kind = local::Report::Kind;
                        const Kind k = r.letter == 'K'   ? Kind::success
                                       : r.letter == 'D' ? Kind::permanent
                                                         : Kind::temporary;
                        finish_local(pass, index, dnum, local::Report{k, r.text});
                    });
        return;
    }
    auto parts = address::split(rcpt);
    LocalJob job{layout_.mess(p.id),      verp_expand(m.sender, rcpt), std::move(parts.local),
                 std::move(parts.domain), settings_.default_delivery,  as_root_};
    asio::post(pool_, [this, job = std::move(job), pass, index, dnum] {
        local::Report r = deliver_one(job, local_program_);
        bool first = false;
        {
            std::lock_guard lock(reports_mu_);
            first = reports_.empty();
            reports_.push_back({pass, index, dnum, std::move(r)});
        }
        // One wake-up of the loop collects every report that arrived meanwhile.
        if (first)
            asio::post(io_, [this] { collect_reports(); });
    });
}

void Scheduler::collect_reports() {
    std::vector<Finished> batch;
    {
        std::lock_guard lock(reports_mu_);
        batch.swap(reports_);
    }
    for (auto& f : batch)
        finish_local(f.pass, f.index, f.dnum, f.report);
    pump();
}

void Scheduler::finish_local(Pass* p, size_t index, unsigned long dnum,
                             const local::Report& report) {
    --local_in_flight_;
    --p->in_flight;
    record_result(p, index, dnum, report.kind, report.text);
    if (p->in_flight == 0 && (p->next == p->todo.size() || exiting_))
        close_pass(p);
}

void Scheduler::record_result(Pass* p, size_t index, unsigned long dnum, local::Report::Kind kind,
                              std::string text) {
    using Kind = local::Report::Kind;
    const ChannelRecord& rec = p->todo[index];
    if (kind == Kind::temporary && p->dying) {
        // The last attempt of a message older than queuelifetime: a deferral becomes a bounce.
        kind = Kind::permanent;
        text += "I'm not going to try again; this message has been in the queue too long.\n";
    }
    const std::string prefix = "delivery " + std::to_string(dnum) + ": ";
    bool done = false;
    switch (kind) {
    case Kind::success:
        log::line(prefix + "success: " + log::safe_text(text));
        done = true;
        break;
    case Kind::temporary:
        log::line(prefix + "deferral: " + log::safe_text(text));
        break;
    case Kind::permanent: {
        log::line(prefix + "failure: " + log::safe_text(text));
        const std::string who = strip_vdom_prepend(settings_.routing, rec.address);
        messages_.at(p->id).may_bounce = true;
        if (auto s = append_bounce(layout_, p->id, bounce_record(who, text)); s)
            done = true;
        else
            log::alert("unable to append to bounce message: " + s.error().text +
                       "; will retry the delivery");
        break;
    }
    }
    if (done) {
        // qmail's checkpoint: one byte, no fsync (a lost mark means a second delivery,
        // never a lost one).
        if (!mark_done(p->fd.get(), rec.offset))
            log::warning("trouble marking " +
                         (p->chan == chan_local ? layout_.local(p->id) : layout_.remote(p->id)) +
                         "; message will be delivered twice!");
    } else {
        ++p->deferred;
    }
}

void Scheduler::close_pass(Pass* p) {
    const MessageId id = p->id;
    const int chan = p->chan;
    size_t untried = 0;
    if (chan == chan_local)
        untried = p->todo.size() - p->next;
    else
        for (size_t g = p->next; g < p->groups.size(); ++g)
            untried += p->groups[g].size();
    const size_t undone = p->deferred + untried;
    const std::time_t retry = p->retry;
    auto& list = chan == chan_local ? passes_ : remote_passes_;
    list.remove_if([p](const std::unique_ptr<Pass>& q) { return q.get() == p; });
    auto it = messages_.find(id);
    if (it == messages_.end())
        return;
    const std::string path = chan == chan_local ? layout_.local(id) : layout_.remote(id);
    if (undone == 0) {
        if (::unlink(path.c_str()) != 0 && errno != ENOENT)
            log::warning("unable to unlink " + path);
        channel_done(id, it->second, chan);
        return;
    }
    // Recipients never tried (shutdown in mid-pass) are due at once on the next start.
    set_waiting(id, it->second, chan, untried ? std::time(nullptr) : retry);
}

void Scheduler::run_remote(std::time_t now) {
    // Like the local channel: enough open passes to keep every connection slot busy, but
    // bounded. concurrencyremote 0 holds remote mail (it stays ready, untried).
    const size_t max_passes = 2 * static_cast<size_t>(settings_.concurrency_remote) + 1;
    while (remote_in_flight_ < settings_.concurrency_remote) {
        Pass* p = nullptr;
        for (auto& pp : remote_passes_)
            if (pp->next < pp->groups.size()) {
                p = pp.get();
                break;
            }
        if (p) {
            start_remote(*p);
            continue;
        }
        if (ready_[chan_remote].empty() || remote_passes_.size() >= max_passes)
            break;
        MessageId id = ready_[chan_remote].front();
        ready_[chan_remote].pop_front();
        open_remote_pass(id, now);
    }
}

void Scheduler::open_remote_pass(MessageId id, std::time_t now) {
    auto it = messages_.find(id);
    if (it == messages_.end() || it->second.ch[chan_remote].phase != ChannelState::Phase::ready)
        return;
    Message& m = it->second;
    auto loaded = open_channel(layout_.remote(id));
    if (!loaded) {
        log::warning(loaded.error().text);
        set_waiting(id, m, chan_remote, now + 60);
        return;
    }
    if (!*loaded) {
        channel_done(id, m, chan_remote);
        return;
    }
    auto pass = std::make_unique<Pass>();
    pass->id = id;
    pass->chan = chan_remote;
    pass->fd = std::move((*loaded)->fd);
    for (auto& r : (*loaded)->records)
        if (!r.done)
            pass->todo.push_back(std::move(r));
    if (pass->todo.empty()) {
        if (::unlink(layout_.remote(id).c_str()) != 0 && errno != ENOENT)
            log::warning("unable to unlink " + layout_.remote(id));
        channel_done(id, m, chan_remote);
        return;
    }
    // One SMTP transaction per domain and (VERP-expanded) sender, in order of first
    // appearance, at most 100 recipients each (RFC 5321's minimum a server must take).
    constexpr size_t max_rcpts = 100;
    std::unordered_map<std::string, size_t> group_of;
    for (size_t i = 0; i < pass->todo.size(); ++i) {
        const std::string& rcpt = pass->todo[i].address;
        const std::string key =
            address::lowercase(address::split(rcpt).domain) + '\0' + verp_expand(m.sender, rcpt);
        auto g = group_of.find(key);
        if (g == group_of.end() || pass->groups[g->second].size() >= max_rcpts) {
            group_of[key] = pass->groups.size();
            pass->groups.emplace_back();
            g = group_of.find(key);
        }
        pass->groups[g->second].push_back(i);
    }
    pass->retry = next_retry(m.birth, now, chanskip_remote);
    pass->dying = is_dying(m.birth, now, settings_.queue_lifetime);
    m.ch[chan_remote].phase = ChannelState::Phase::open;
    remote_passes_.push_back(std::move(pass));
}

void Scheduler::start_remote(Pass& p) {
    const std::vector<size_t>& group = p.groups[p.next++];
    ++p.in_flight;
    ++remote_in_flight_;
    const Message& m = messages_.at(p.id);
    remote::Job job;
    job.mess_path = layout_.mess(p.id);
    job.sender = verp_expand(m.sender, p.todo[group.front()].address);
    job.domain = address::split(p.todo[group.front()].address).domain;
    std::vector<unsigned long> dnums;
    for (size_t index : group) {
        const std::string& rcpt = p.todo[index].address;
        dnums.push_back(++delivery_counter_);
        log::line("starting delivery " + std::to_string(dnums.back()) + ": msg " +
                  std::to_string(p.id) + " to remote " + log::safe_text(rcpt));
        job.recipients.push_back(rcpt);
    }
    Pass* pass = &p;
    asio::co_spawn(
        io_, client_->deliver(std::move(job)),
        [this, pass, group, dnums](std::exception_ptr e, std::vector<remote::Report> reports) {
            if (e || reports.size() != group.size()) {
                log::alert("remote delivery failed unexpectedly; will retry");
                reports.assign(group.size(), remote::Report{'Z', "Internal error. (#4.3.0)\n"});
            }
            finish_remote(pass, group, dnums, reports);
            pump();
        });
}

void Scheduler::finish_remote(Pass* p, const std::vector<size_t>& group,
                              const std::vector<unsigned long>& dnums,
                              const std::vector<remote::Report>& reports) {
    using Kind = local::Report::Kind;
    --remote_in_flight_;
    --p->in_flight;
    for (size_t i = 0; i < group.size(); ++i) {
        const Kind kind = reports[i].letter == 'K'   ? Kind::success
                          : reports[i].letter == 'D' ? Kind::permanent
                                                     : Kind::temporary;
        record_result(p, group[i], dnums[i], kind, reports[i].text);
    }
    if (p->in_flight == 0 && (p->next == p->groups.size() || exiting_))
        close_pass(p);
}

void Scheduler::channel_done(MessageId id, Message& m, int c) {
    m.ch[c] = {ChannelState::Phase::none, 0};
    message_done(id);
}

void Scheduler::message_done(MessageId id) {
    auto it = messages_.find(id);
    if (it == messages_.end())
        return;
    const Message& m = it->second;
    if (m.ch[0].phase != ChannelState::Phase::none || m.ch[1].phase != ChannelState::Phase::none)
        return;
    if (!inject_bounce(id, m)) {
        heap_.push({std::time(nullptr) + 60, id, chan_bounce_retry});
        return;
    }
    if (::unlink(layout_.info(id).c_str()) != 0 && errno != ENOENT)
        log::warning("unable to unlink " + layout_.info(id));
    if (lspawn_)
        clean("m", id);
    else if (::unlink(layout_.mess(id).c_str()) != 0 && errno != ENOENT)
        log::warning("unable to unlink " + layout_.mess(id));
    log::line("end msg " + std::to_string(id));
    messages_.erase(it);
}

bool Scheduler::inject_bounce(MessageId id, const Message& m) {
    if (!m.may_bounce)
        return true;
    const std::string path = layout_.bounce(id);
    auto records = read_file(path);
    if (!records)
        return errno == ENOENT;
    const std::string name = "bounce/" + std::to_string(id);
    auto bounce = make_bounce(settings_.bounce, m.sender, *records, std::time(nullptr));
    if (!bounce) {
        log::line("triple bounce: discarding " + name);
    } else {
        UniqueFd mess(::open(layout_.mess(id).c_str(), O_RDONLY | O_CLOEXEC));
        if (!mess) {
            log::warning("unable to open " + layout_.mess(id) + " for the bounce; will retry");
            return false;
        }
        auto q = queue_message_fd(bounce->head, mess.get(),
                                  Envelope{bounce->sender, {bounce->recipient}});
        if (!q) {
            log::warning("unable to inject bounce message for msg " + std::to_string(id) + ": " +
                         q.error().with_dsn() + "; will retry");
            return false;
        }
        log::line("bounce msg " + std::to_string(id) + " qp " + std::to_string(q->qp));
    }
    if (::unlink(path.c_str()) != 0 && errno != ENOENT)
        log::warning("unable to unlink " + path);
    return true;
}

void Scheduler::retry_everything() {
    for (auto& [id, m] : messages_)
        for (int c = 0; c < 2; ++c)
            if (m.ch[c].phase == ChannelState::Phase::waiting) {
                m.ch[c].phase = ChannelState::Phase::ready;
                ready_[c].push_back(id);
            }
    // Bounce retries are due too; their heap entries fire on this pump.
    while (!heap_.empty()) {
        Due d = heap_.top();
        heap_.pop();
        if (d.chan == chan_bounce_retry)
            asio::post(io_, [this, id = d.id] { message_done(id); });
    }
}

void Scheduler::finish() {
    finished_ = true;
    // Every pass is idle now; give each its retry time as if it had ended normally.
    while (!passes_.empty())
        close_pass(passes_.front().get());
    while (!remote_passes_.empty())
        close_pass(remote_passes_.front().get());
    const std::time_t now = std::time(nullptr);
    for (auto& [id, m] : messages_)
        for (int c = 0; c < 2; ++c) {
            const auto& ch = m.ch[c];
            if (ch.phase == ChannelState::Phase::none)
                continue;
            const std::time_t when = ch.phase == ChannelState::Phase::waiting ? ch.next_retry : now;
            const std::string path = c == chan_local ? layout_.local(id) : layout_.remote(id);
            if (!save_retry_time(path, when))
                log::warning("unable to save the retry time of " + path);
        }
    log::line("status: local 0/" + std::to_string(settings_.concurrency_local) + " remote 0/" +
              std::to_string(settings_.concurrency_remote) + " exitasap");
    signals_.cancel();
    if (lspawn_ && lspawn_->is_open()) {
        // Closing the socket tells qmail-lspawn to exit once the queued cleans are done.
        lspawn_flush_blocking();
        lspawn_.reset();
    }
    work_.reset();
    io_.stop();
}

void Scheduler::log_status() {
    if (local_in_flight_ == last_status_local_ && remote_in_flight_ == last_status_remote_)
        return;
    last_status_local_ = local_in_flight_;
    last_status_remote_ = remote_in_flight_;
    log::line("status: local " + std::to_string(local_in_flight_) + "/" +
              std::to_string(settings_.concurrency_local) + " remote " +
              std::to_string(remote_in_flight_) + "/" +
              std::to_string(settings_.concurrency_remote));
}

void Scheduler::lspawn_send(lspawn::Request r, std::function<void(const lspawn::Reply&)> on_reply) {
    r.num = ++lspawn_num_;
    lspawn_waiting_.emplace(r.num, std::move(on_reply));
    lspawn_out_ += lspawn::encode(r);
    lspawn_flush();
}

void Scheduler::lspawn_flush() {
    if (!lspawn_ || !lspawn_writing_.empty() || lspawn_out_.empty())
        return;
    lspawn_writing_.swap(lspawn_out_);
    asio::async_write(*lspawn_, asio::buffer(lspawn_writing_),
                      [this](boost::system::error_code ec, size_t) {
                          lspawn_writing_.clear();
                          if (ec) {
                              if (ec != asio::error::operation_aborted)
                                  lspawn_lost("unable to write to qmail-lspawn: " + ec.message());
                              return;
                          }
                          lspawn_flush();
                      });
}

void Scheduler::lspawn_flush_blocking() {
    // At exit only clean requests can be left; send them before closing.
    std::string rest = lspawn_writing_ + lspawn_out_;
    boost::system::error_code ignored;
    lspawn_->native_non_blocking(false, ignored);
    lspawn_writing_.clear();
    lspawn_out_.clear();
    if (!rest.empty() && !write_all(lspawn_->native_handle(), rest))
        log::warning("unable to send the last requests to qmail-lspawn");
}

void Scheduler::lspawn_read() {
    lspawn_->async_read_some(
        asio::buffer(lspawn_buf_), [this](boost::system::error_code ec, size_t n) {
            if (ec) {
                if (ec != asio::error::operation_aborted)
                    lspawn_lost(ec == asio::error::eof
                                    ? "qmail-lspawn exited"
                                    : "unable to read from qmail-lspawn: " + ec.message());
                return;
            }
            lspawn_in_.append(lspawn_buf_.data(), n);
            for (;;) {
                auto rep = lspawn::take_reply(lspawn_in_);
                if (!rep) {
                    // It names no delivery, and it is off the buffer: skip it rather than
                    // stop every delivery for it.
                    log::warning(log::safe_text(rep.error().text));
                    continue;
                }
                if (!*rep) {
                    // qmail-lspawn caps each report at 64 KiB: a megabyte without the end of
                    // one means the stream is no longer the protocol.
                    if (lspawn_in_.size() > (1u << 20)) {
                        lspawn_lost("qmail-lspawn sent an overlong reply");
                        return;
                    }
                    break;
                }
                auto it = lspawn_waiting_.find((*rep)->num);
                if (it == lspawn_waiting_.end()) {
                    log::warning("qmail-lspawn reported an unknown request");
                    continue;
                }
                auto cb = std::move(it->second);
                lspawn_waiting_.erase(it);
                cb(**rep);
            }
            pump();
            lspawn_read();
        });
}

void Scheduler::lspawn_lost(const std::string& why) {
    if (!lspawn_)
        return;
    log::alert(why + "; exiting");
    lost_lspawn_ = true;
    boost::system::error_code ignored;
    lspawn_->close(ignored);
    // Every delivery still out there counts as deferred; the next start retries it.
    auto waiting = std::move(lspawn_waiting_);
    lspawn_waiting_.clear();
    exiting_ = true;
    for (auto& [num, cb] : waiting)
        cb(lspawn::Reply{num, 'Z', "qmail-lspawn is gone. (#4.3.0)\n"});
    pump();
}

void Scheduler::clean(const char* what, MessageId id) {
    lspawn_send({'C', 0, {what, std::to_string(id)}}, [what, id](const lspawn::Reply& r) {
        if (r.letter != 'K')
            log::warning("qmail-lspawn could not clean up (" + std::string(what) + ") " +
                         std::to_string(id) + ": " + r.text);
    });
}

} // namespace

Status run(Settings settings) {
    Scheduler s(std::move(settings));
    if (auto st = s.start(); !st) {
        st.error().text = "cannot start: " + st.error().text;
        return st;
    }
    return s.run();
}

} // namespace qm::send
