#include "qm/send/scheduler.hpp"

#include "channel.hpp"
#include "qm/address.hpp"
#include "qm/control.hpp"
#include "qm/fd.hpp"
#include "qm/journal/async_client.hpp"
#include "qm/journal/records.hpp"
#include "qm/journal/service.hpp"
#include "qm/log.hpp"
#include "qm/queue/layout.hpp"
#include "qm/queue_client.hpp"
#include "qm/send/pass_plan.hpp"
#include "qm/send/retry.hpp"
#include "qm/send/store.hpp"
#include "spawn_client.hpp"
#include "todo_intake.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/system_timer.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <deque>
#include <list>
#include <memory>
#include <optional>
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

constexpr int chan_local = 0;
constexpr int chan_remote = 1;
constexpr int channels = 2;
// A heap entry for a message whose bounce could not be queued yet.
constexpr int chan_bounce_retry = channels;

struct ChannelState {
    enum class Phase { none, waiting, ready, open } phase = Phase::none;
    std::time_t next_retry = 0;
};

struct Message {
    std::time_t birth = 0;
    std::string sender;
    std::array<ChannelState, channels> ch;
    // bounce/N may exist: a failure was recorded, or the message predates this run.
    bool may_bounce = false;
    // qmail-journald holds the message: its E record must be durable before the queue
    // files go, or a rebuild after a crash would deliver it again.
    std::uint64_t journal_id = 0;
    bool ending = false; // the E record is on its way
};

// One pass over local/N or remote/N: the not-yet-done records in attempts, dispatched in
// order. The retry time and the dying flag are fixed when the pass starts (qmail-send's
// job).
struct Pass {
    MessageId id = 0;
    int chan = 0;
    // The channel file, opened read-write for the in-place T → D marks, with the records
    // still to deliver and their attempts (same domain and sender, at most the channel's
    // max_recipients): 8 bytes per recipient, so that a list post's pass stays small.
    PassPlan plan;
    size_t in_flight = 0; // attempts running
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

// What the scheduler keeps of one channel; the channel itself is behind Channel.
struct Lane {
    const char* name = ""; // "local" or "remote", as the log names it
    int chanskip = 0;      // the retry schedule's step
    unsigned concurrency = 0;
    unsigned in_flight = 0; // attempts (local: deliveries; remote: connections)
    // Deliveries that only wait for their flush: their slots went to the next ones, up
    // to flush_waiting_per_slot per slot (channel.hpp).
    unsigned flush_waiting = 0;
    std::unique_ptr<Channel> channel;
    std::deque<MessageId> ready;
    std::list<std::unique_ptr<Pass>> passes;
};

class Scheduler {
public:
    explicit Scheduler(Settings s)
        : settings_(std::move(s))
        , layout_(queue::Layout::from_home())
        , todo_(io_, layout_, settings_.routing, settings_.lspawn_fd < 0,
                {[this](MessageId id) { return messages_.contains(id); },
                 [this](std::vector<Preprocessed> done) { accept(std::move(done)); }})
        , signals_(io_)
        , retry_timer_(io_)
        , cleanup_timer_(io_) {}

    Status start();
    // A failure when qmail-send had to stop because qmail-lspawn or qmail-rspawn went away.
    Status run() {
        io_.run();
        for (auto& lane : lanes_)
            lane.channel.reset(); // waits for the local workers
        if (!lost_spawn_.empty())
            return fail(temp("4.3.0", "stopped because " + lost_spawn_ + " went away"));
        return {};
    }

private:
    void arm_cleanup();
    void wait_signals();
    void watch_journald();
    void accept(std::vector<Preprocessed> done);
    // scheduling
    void pump();
    void dispatch(int chan, std::time_t now);
    void open_pass(int chan, MessageId id, std::time_t now);
    void start_attempt(Pass& p);
    // One started attempt's recipients: their records and addresses, and delivery numbers.
    struct Started {
        std::vector<std::uint32_t> group;
        std::vector<std::string> addresses;
        std::vector<unsigned long> dnums;
    };
    // slot_released: the attempt gave its slot away while it waited for its flush.
    void finish_attempt(Pass* p, const Started& s, std::vector<Verdict> verdicts,
                        bool slot_released);
    // Logs one finished delivery and checkpoints it (done, bounced or deferred).
    void record_result(Pass* p, std::uint32_t index, const std::string& address, unsigned long dnum,
                       Verdict v);
    void close_pass(Pass* p);
    void set_waiting(MessageId id, Message& m, int c, std::time_t when);
    void unlink_done_channel(const Message& m, const std::string& path);
    void channel_done(MessageId id, Message& m, int c);
    void message_done(MessageId id);
    void remove_message(MessageId id);
    journal::AsyncClient& journal() {
        if (!journal_)
            journal_ =
                std::make_unique<journal::AsyncClient>(io_, journal::socket_path(layout_.root));
        return *journal_;
    }
    bool inject_bounce(MessageId id, const Message& m);
    void retry_everything();
    void finish();
    void log_status();
    [[nodiscard]] std::string channel_path(int chan, MessageId id) const;
    void clean(const char* what, MessageId id);

    Settings settings_;
    queue::Layout layout_;
    asio::io_context io_;
    // Deliveries on worker threads post their verdicts back later; until finish() the loop
    // must not run out of work while only they are pending.
    asio::executor_work_guard<asio::io_context::executor_type> work_{io_.get_executor()};
    UniqueFd lock_fd_;
    TodoIntake todo_;
    asio::signal_set signals_;
    asio::posix::stream_descriptor journald_watch_{io_};
    asio::system_timer retry_timer_;
    std::time_t retry_armed_for_ = 0;
    asio::steady_timer cleanup_timer_;

    // Root mode: qmail-lspawn delivers locally and cleans, qmail-rspawn delivers remotely.
    std::optional<SpawnClient> lspawn_;
    std::optional<SpawnClient> rspawn_;
    std::string lost_spawn_; // the helper that went away, if one did

    std::unordered_map<MessageId, Message> messages_;
    std::priority_queue<Due, std::vector<Due>, std::greater<>> heap_;
    std::array<Lane, channels> lanes_;
    std::array<unsigned, channels> last_status_{~0u, ~0u};
    bool exiting_ = false;
    bool finished_ = false;
    unsigned long delivery_counter_ = 0;
    // Made at the first message the journal holds (service.hpp).
    std::unique_ptr<journal::AsyncClient> journal_;
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
    if (auto s = todo_.open(); !s)
        return s;

    // A helper that goes away stops qmail-send: its deliveries are deferred, and the next
    // start (a new qmail-start) brings a fresh helper.
    auto connect = [this](std::optional<SpawnClient>& client, int fd, const char* name) {
        client.emplace(io_, fd, name, [this, name](const std::string& why) {
            log::alert(why + "; exiting");
            lost_spawn_ = name;
            exiting_ = true;
        });
    };
    if (settings_.lspawn_fd >= 0) {
        connect(lspawn_, settings_.lspawn_fd, "qmail-lspawn");
    } else {
        cleanup_stale(layout_, std::time(nullptr)); // qmail-lspawn does it in root mode
    }
    lanes_[chan_local].name = "local";
    lanes_[chan_local].chanskip = chanskip_local;
    lanes_[chan_local].concurrency = settings_.concurrency_local;
    lanes_[chan_local].channel =
        make_local_channel(io_, layout_, settings_.default_delivery, settings_.concurrency_local,
                           lspawn_ ? &*lspawn_ : nullptr);
    lanes_[chan_remote].name = "remote";
    lanes_[chan_remote].chanskip = chanskip_remote;
    lanes_[chan_remote].concurrency = settings_.concurrency_remote;
    if (settings_.rspawn_fd >= 0)
        connect(rspawn_, settings_.rspawn_fd, "qmail-rspawn");
    lanes_[chan_remote].channel =
        make_remote_channel(io_, layout_, settings_.remote, rspawn_ ? &*rspawn_ : nullptr);

    auto found = scan_queue(layout_);
    if (!found)
        return fail(found.error());
    for (auto& q : found->messages) {
        Message m{q.birth, std::move(q.sender), {}, true};
        m.journal_id = q.journal_id;
        auto& msg = messages_.emplace(q.id, std::move(m)).first->second;
        for (int c = 0; c < channels; ++c)
            if (q.channel_mtime[c])
                set_waiting(q.id, msg, c, *q.channel_mtime[c]);
        if (!q.channel_mtime[chan_local] && !q.channel_mtime[chan_remote])
            asio::post(io_, [this, id = q.id] { message_done(id); });
    }
    ::signal(SIGPIPE, SIG_IGN);
    signals_.add(SIGTERM);
    signals_.add(SIGINT); // Ctrl-C on a qmail-send run by hand: the same clean exit
    signals_.add(SIGALRM);
    signals_.add(SIGHUP);
    wait_signals();
    if (settings_.journald_pid > 0)
        watch_journald();
    todo_.start();
    arm_cleanup();
    asio::post(io_, [this] { pump(); });
    return {};
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

void Scheduler::watch_journald() {
    // A pidfd turns readable when the process ends: no SIGCHLD handler, whose signals
    // would interrupt the system calls of every delivery thread, and no wait for any
    // child, which would take the ones those threads wait for.
    const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, settings_.journald_pid, 0));
    if (pidfd < 0) {
        log::warning("unable to watch qmail-journald: " + error_text(errno));
        return;
    }
    journald_watch_.assign(pidfd);
    journald_watch_.async_wait(
        asio::posix::stream_descriptor::wait_read, [this](boost::system::error_code ec) {
            if (ec)
                return;
            int status = 0;
            if (::waitpid(settings_.journald_pid, &status, WNOHANG) != settings_.journald_pid)
                status = 0;
            log::alert(
                "qmail-journald exited (" +
                std::string(WIFSIGNALED(status) ? "signal " : "status ") +
                std::to_string(WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status)) +
                "); exiting, so that a new start runs its recovery");
            lost_spawn_ = "qmail-journald";
            exiting_ = true;
            todo_.stop();
            cleanup_timer_.cancel();
            retry_timer_.cancel();
            pump();
        });
}

void Scheduler::wait_signals() {
    signals_.async_wait([this](boost::system::error_code ec, int sig) {
        if (ec)
            return;
        if (sig == SIGTERM || sig == SIGINT) {
            exiting_ = true;
            todo_.stop();
            cleanup_timer_.cancel();
            retry_timer_.cancel();
            pump();
            return;
        }
        if (sig == SIGALRM) {
            retry_everything();
            todo_.want(); // also picks up todo/ entries whose trigger byte was lost
        }
        if (sig == SIGHUP) {
            if (auto s = reload_locals_and_virtualdomains(settings_.routing); !s)
                log::warning("unable to reread locals/virtualdomains: " + s.error().text);
        }
        wait_signals();
        pump();
    });
}

void Scheduler::accept(std::vector<Preprocessed> done) {
    const std::time_t now = std::time(nullptr);
    for (auto& n : done) {
        if (lspawn_)
            clean("t", n.id);
        if (n.ended)
            continue; // nothing to deliver: only its todo/N had to go
        Message m{n.birth, std::move(n.sender), {}};
        m.journal_id = n.journal_id;
        auto& msg = messages_.emplace(n.id, std::move(m)).first->second;
        for (int c = 0; c < channels; ++c)
            if (n.has_channel[c]) {
                msg.ch[c] = {ChannelState::Phase::ready, now};
                lanes_[c].ready.push_back(n.id);
            }
        if (!n.has_channel[chan_local] && !n.has_channel[chan_remote])
            message_done(n.id);
    }
    pump();
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
        lanes_[d.chan].ready.push_back(d.id);
    }
    if (!exiting_)
        for (int c = channels - 1; c >= 0; --c) // remote first: its attempts take longer
            dispatch(c, now);
    log_status();
    if (exiting_) {
        if (std::all_of(lanes_.begin(), lanes_.end(),
                        [](const Lane& l) { return l.in_flight == 0 && l.flush_waiting == 0; }))
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

void Scheduler::dispatch(int chan, std::time_t now) {
    Lane& lane = lanes_[chan];
    // Enough open passes to keep every slot busy even when some are stuck on one slow
    // recipient, but bounded so a large backlog does not hold thousands of fds.
    // Concurrency 0 holds the channel's mail (it stays ready, untried).
    const size_t max_passes = 2 * static_cast<size_t>(lane.concurrency) + 1;
    while (lane.in_flight < lane.concurrency) {
        Pass* p = nullptr;
        for (auto& pp : lane.passes)
            if (!pp->plan.exhausted()) {
                p = pp.get();
                break;
            }
        if (p) {
            start_attempt(*p);
            continue;
        }
        if (lane.ready.empty() || lane.passes.size() >= max_passes)
            break;
        MessageId id = lane.ready.front();
        lane.ready.pop_front();
        open_pass(chan, id, now);
    }
}

std::string Scheduler::channel_path(int chan, MessageId id) const {
    return chan == chan_local ? layout_.local(id) : layout_.remote(id);
}

void Scheduler::open_pass(int chan, MessageId id, std::time_t now) {
    auto it = messages_.find(id);
    if (it == messages_.end() || it->second.ch[chan].phase != ChannelState::Phase::ready)
        return;
    Message& m = it->second;
    const std::string path = channel_path(chan, id);
    auto loaded = open_channel(path);
    if (!loaded) {
        log::warning(loaded.error().text);
        set_waiting(id, m, chan, now + 60);
        return;
    }
    if (!*loaded) { // the file is gone: nothing left to deliver
        channel_done(id, m, chan);
        return;
    }
    // One attempt per domain and (VERP-expanded) sender, in order of first appearance, at
    // most max_recipients each (1 for local deliveries).
    auto plan =
        PassPlan::make(std::move(**loaded), m.sender, lanes_[chan].channel->max_recipients());
    if (!plan) {
        log::warning("unable to read " + path + ": " + plan.error().text);
        set_waiting(id, m, chan, now + 60);
        return;
    }
    if (plan->size() == 0) {
        unlink_done_channel(m, path);
        channel_done(id, m, chan);
        return;
    }
    auto pass = std::make_unique<Pass>();
    pass->id = id;
    pass->chan = chan;
    pass->plan = std::move(*plan);
    pass->retry = next_retry(m.birth, now, lanes_[chan].chanskip);
    pass->dying = is_dying(m.birth, now, settings_.queue_lifetime);
    m.ch[chan].phase = ChannelState::Phase::open;
    lanes_[chan].passes.push_back(std::move(pass));
}

void Scheduler::start_attempt(Pass& p) {
    Lane& lane = lanes_[p.chan];
    Started s;
    s.group = p.plan.next_group();
    s.addresses.reserve(s.group.size());
    for (std::uint32_t index : s.group) {
        auto address = p.plan.address(index);
        if (!address) {
            // Its records stay T: the next pass tries them again.
            log::warning("unable to read " + channel_path(p.chan, p.id) + ": " +
                         address.error().text + "; will try again");
            p.deferred += s.group.size();
            if (p.in_flight == 0 && p.plan.exhausted())
                close_pass(&p);
            return;
        }
        s.addresses.push_back(std::move(*address));
    }
    ++p.in_flight;
    ++lane.in_flight;
    const Message& m = messages_.at(p.id);
    Attempt a{p.id, verp_expand(m.sender, s.addresses.front()), s.addresses, m.journal_id};
    s.dnums.reserve(s.group.size());
    for (const std::string& rcpt : s.addresses) {
        s.dnums.push_back(++delivery_counter_);
        log::line("starting delivery " + std::to_string(s.dnums.back()) + ": msg " +
                  std::to_string(p.id) + " to " + lane.name + " " + log::safe_text(rcpt));
    }
    Pass* pass = &p;
    const int chan = p.chan;
    // The slot's state between the two callbacks, both run on the loop. The flush-wait
    // notice can arrive after the verdicts (they may ride on a collection posted before
    // it), and then it changes nothing.
    struct Slot {
        bool released = false;
        bool finished = false;
    };
    auto slot = std::make_shared<Slot>();
    lane.channel->start(
        std::move(a),
        [this, pass, s = std::move(s), slot](std::vector<Verdict> v) {
            slot->finished = true;
            finish_attempt(pass, s, std::move(v), slot->released);
            // At once, as qmail-send's loop does: a pump posted to the end of the loop's
            // queue made a 10,000-recipient fan-out about 25 % slower (bench/RESULTS.md,
            // issue 11).
            pump();
        },
        [this, chan, slot] {
            Lane& l = lanes_[chan];
            if (slot->finished || l.flush_waiting >= flush_waiting_per_slot * l.concurrency)
                return; // over already, or enough waiting: this one keeps its slot
            slot->released = true;
            --l.in_flight;
            ++l.flush_waiting;
            pump();
        });
}

void Scheduler::finish_attempt(Pass* p, const Started& s, std::vector<Verdict> verdicts,
                               bool slot_released) {
    if (slot_released)
        --lanes_[p->chan].flush_waiting;
    else
        --lanes_[p->chan].in_flight;
    --p->in_flight;
    for (size_t i = 0; i < s.group.size(); ++i)
        record_result(p, s.group[i], s.addresses[i], s.dnums[i], std::move(verdicts[i]));
    if (p->in_flight == 0 && (p->plan.exhausted() || exiting_))
        close_pass(p);
}

void Scheduler::record_result(Pass* p, std::uint32_t index, const std::string& address,
                              unsigned long dnum, Verdict v) {
    using Kind = Verdict::Kind;
    if (v.kind == Kind::temporary && p->dying) {
        // The last attempt of a message older than queuelifetime: a deferral becomes a bounce.
        v.kind = Kind::permanent;
        v.text += "I'm not going to try again; this message has been in the queue too long.\n";
    }
    const std::string prefix = "delivery " + std::to_string(dnum) + ": ";
    bool done = false;
    switch (v.kind) {
    case Kind::success:
        log::line(prefix + "success: " + log::safe_text(v.text));
        done = true;
        break;
    case Kind::temporary:
        log::line(prefix + "deferral: " + log::safe_text(v.text));
        break;
    case Kind::permanent: {
        log::line(prefix + "failure: " + log::safe_text(v.text));
        const std::string who = strip_vdom_prepend(settings_.routing, address);
        messages_.at(p->id).may_bounce = true;
        if (auto s = append_bounce(layout_, p->id, bounce_record(who, v.text)); s)
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
        if (!mark_done(p->plan.fd(), p->plan.offset(index)))
            log::warning("trouble marking " + channel_path(p->chan, p->id) +
                         "; message will be delivered twice!");
        // And in the journal, so that a rebuild after a crash skips this recipient; not
        // waited for (its loss costs a second delivery, as a lost mark above does).
        if (const auto jid = messages_.at(p->id).journal_id; jid != 0)
            journal().submit(
                journal::RecordType::done,
                journal::encode_done({jid,
                                      v.kind == Kind::success ? journal::Outcome::delivered
                                                              : journal::Outcome::bounced,
                                      address}),
                [id = p->id](Result<std::uint64_t> r) {
                    if (!r)
                        log::warning("unable to mark a recipient of msg " + std::to_string(id) +
                                     " done in the journal: " + r.error().text);
                });
    } else {
        ++p->deferred;
    }
}

void Scheduler::close_pass(Pass* p) {
    const MessageId id = p->id;
    const int chan = p->chan;
    const size_t untried = p->plan.untried();
    const size_t undone = p->deferred + untried;
    const std::time_t retry = p->retry;
    lanes_[chan].passes.remove_if([p](const std::unique_ptr<Pass>& q) { return q.get() == p; });
    auto it = messages_.find(id);
    if (it == messages_.end())
        return;
    if (undone == 0) {
        unlink_done_channel(it->second, channel_path(chan, id));
        channel_done(id, it->second, chan);
        return;
    }
    // Recipients never tried (shutdown in mid-pass) are due at once on the next start.
    set_waiting(id, it->second, chan, untried ? std::time(nullptr) : retry);
}

void Scheduler::unlink_done_channel(const Message& m, const std::string& path) {
    // With the journal, a channel file stays until the message's E is durable: its D
    // records are not waited for, and a restart takes a missing channel file for one a
    // crash lost (queue/recover.hpp), so an early unlink could mean a second delivery.
    if (m.journal_id != 0)
        return;
    if (::unlink(path.c_str()) != 0 && errno != ENOENT)
        log::warning("unable to unlink " + path);
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
    for (const auto& ch : m.ch)
        if (ch.phase != ChannelState::Phase::none)
            return;
    if (m.ending)
        return;
    if (!inject_bounce(id, m)) {
        heap_.push({std::time(nullptr) + 60, id, chan_bounce_retry});
        return;
    }
    if (m.journal_id == 0) {
        remove_message(id);
        return;
    }
    // The E record first; the files go once it is durable. Should qmail-journald be
    // away, the message stays (every recipient done) and the end is tried again.
    it->second.ending = true;
    journal().submit(journal::RecordType::end, journal::encode_end(m.journal_id),
                     [this, id](Result<std::uint64_t> r) {
                         auto again = messages_.find(id);
                         if (again == messages_.end())
                             return;
                         again->second.ending = false;
                         if (r) {
                             remove_message(id);
                             return;
                         }
                         log::warning("unable to mark msg " + std::to_string(id) +
                                      " done in the journal: " + r.error().text + "; will retry");
                         heap_.push({std::time(nullptr) + 60, id, chan_bounce_retry});
                     });
}

void Scheduler::remove_message(MessageId id) {
    auto it = messages_.find(id);
    if (it == messages_.end())
        return;
    // The channel files a journaled message kept (unlink_done_channel) go before info/N,
    // which names them.
    if (it->second.journal_id != 0)
        for (int c = 0; c < channels; ++c)
            if (::unlink(channel_path(c, id).c_str()) != 0 && errno != ENOENT)
                log::warning("unable to unlink " + channel_path(c, id));
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
        for (int c = 0; c < channels; ++c)
            if (m.ch[c].phase == ChannelState::Phase::waiting) {
                m.ch[c].phase = ChannelState::Phase::ready;
                lanes_[c].ready.push_back(id);
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
    for (auto& lane : lanes_)
        while (!lane.passes.empty())
            close_pass(lane.passes.front().get());
    const std::time_t now = std::time(nullptr);
    for (auto& [id, m] : messages_)
        for (int c = 0; c < channels; ++c) {
            const auto& ch = m.ch[c];
            if (ch.phase == ChannelState::Phase::none)
                continue;
            const std::time_t when = ch.phase == ChannelState::Phase::waiting ? ch.next_retry : now;
            const std::string path = channel_path(c, id);
            if (!save_retry_time(path, when))
                log::warning("unable to save the retry time of " + path);
        }
    log::line("status: local 0/" + std::to_string(settings_.concurrency_local) + " remote 0/" +
              std::to_string(settings_.concurrency_remote) + " exitasap");
    signals_.cancel();
    if (lspawn_)
        lspawn_->close(); // qmail-lspawn exits once the queued cleans are done
    if (rspawn_)
        rspawn_->close();
    work_.reset();
    io_.stop();
}

void Scheduler::log_status() {
    const Lane& l = lanes_[chan_local];
    const Lane& r = lanes_[chan_remote];
    if (l.in_flight == last_status_[chan_local] && r.in_flight == last_status_[chan_remote])
        return;
    last_status_ = {l.in_flight, r.in_flight};
    log::line("status: local " + std::to_string(l.in_flight) + "/" + std::to_string(l.concurrency) +
              " remote " + std::to_string(r.in_flight) + "/" + std::to_string(r.concurrency));
}

void Scheduler::clean(const char* what, MessageId id) {
    lspawn_->send({'C', 0, {what, std::to_string(id)}}, [what, id](std::vector<Verdict> v) {
        if (!v.front().done())
            log::warning("qmail-lspawn could not clean up (" + std::string(what) + ") " +
                         std::to_string(id) + ": " + v.front().text);
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
