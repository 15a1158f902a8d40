#include "qm/send/rspawn.hpp"

#include "qm/address.hpp"
#include "qm/fd.hpp"
#include "qm/process.hpp"
#include "qm/queue/layout.hpp"
#include "qm/remote/client.hpp"
#include "qm/send/spawn_protocol.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <future>
#include <optional>
#include <thread>

namespace qm::send::rspawn {

namespace asio = boost::asio;

using spawn::number;
using spawn::Reply;
using spawn::Request;

namespace {

// qmail-remote writes a few lines per recipient; anything near this is a broken program.
constexpr size_t output_cap = 1u << 20;

// Runs qmail-remote host sender rcpt... with the message on fd 0 and its report on fd 1;
// its stderr is ours (the activity log). nullopt when it could not be run or did not exit 0.
std::optional<std::string> run_remote(const std::string& program, int message_fd,
                                      const std::vector<std::string>& args) {
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0)
        return std::nullopt;
    UniqueFd read_end(out[0]);
    UniqueFd write_end(out[1]);
    // Only the message, the report pipe and the log (our fd 2): nothing else of ours.
    std::vector<std::string> argv{program};
    argv.insert(argv.end(), args.begin(), args.end());
    Spawn how;
    how.argv = std::move(argv);
    how.fds = {{message_fd, 0}, {write_end.get(), 1}};
    how.close_others = true;
    const auto pid = ::qm::spawn(how); // not spawn:: the protocol
    if (!pid)
        return std::nullopt;
    write_end.reset();
    std::string output;
    char buf[16384];
    for (;;) {
        const ssize_t n = ::read(read_end.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (output.size() < output_cap)
            output.append(buf, static_cast<size_t>(n)); // the rest is drained, unread
    }
    const auto status = wait_for(*pid);
    if (!status || exit_code_of(*status) != 0)
        return std::nullopt;
    return output;
}

// The remote deliveries of this process: qm::remote::Client on an event loop of its own
// thread, so that connections are reused across messages as in qmail-send's process.
class InProcess {
public:
    explicit InProcess(remote::ClientConfig cfg)
        : client_(io_.get_executor(), std::move(cfg))
        , thread_([this] { io_.run(); }) {}
    ~InProcess() {
        work_.reset();
        thread_.join();
    }
    InProcess(const InProcess&) = delete;
    InProcess& operator=(const InProcess&) = delete;

    // Blocks the calling thread until the delivery is done.
    [[nodiscard]] std::optional<remote::Outcome> deliver(remote::Job job) {
        std::promise<std::optional<remote::Outcome>> done;
        auto result = done.get_future();
        asio::co_spawn(io_, client_.deliver(std::move(job)),
                       [&done](std::exception_ptr e, remote::Outcome o) {
                           done.set_value(e ? std::nullopt : std::optional(std::move(o)));
                       });
        return result.get();
    }

private:
    asio::io_context io_;
    asio::executor_work_guard<asio::io_context::executor_type> work_{io_.get_executor()};
    remote::Client client_;
    std::thread thread_;
};

std::vector<Reply> attempt(const queue::Layout& q, const Request& r, const std::string& program,
                           InProcess* in_process) {
    const size_t n = r.replies();
    auto each = [&](const std::vector<Verdict>& verdicts) {
        std::vector<Reply> out;
        for (size_t i = 0; i < n; ++i)
            out.push_back({r.num + i, verdicts[i]});
        return out;
    };
    auto all = [&](Verdict v) { return each(std::vector<Verdict>(n, v)); };
    if (r.kind != 'R')
        return {{r.num, Verdict::permanent("qmail-rspawn delivers remotely only.\n")}};
    auto id = number(r.fields[0]);
    if (!id)
        return all(Verdict::temporary("Bad message number from qmail-send. (#4.3.0)\n"));
    UniqueFd mess(::open(q.mess(*id).c_str(), O_RDONLY | O_CLOEXEC));
    if (!mess)
        return all(Verdict::temporary("Unable to open message file. (#4.3.0)\n"));
    // qmail-remote host sender rcpt...: the host is the recipients' domain.
    const std::string host = address::split(r.fields[2]).domain;
    if (in_process) {
        remote::Job job{"", r.fields[1], host, {r.fields.begin() + 2, r.fields.end()}, mess.get()};
        auto outcome = in_process->deliver(std::move(job));
        if (!outcome)
            return all(Verdict::temporary("Internal error. (#4.3.0)\n"));
        return each(remote::fold(*outcome));
    }
    std::vector<std::string> args{host};
    args.insert(args.end(), r.fields.begin() + 1, r.fields.end());
    auto output = run_remote(program, mess.get(), args);
    // qmail-rspawn bounces when qmail-remote cannot run; a missing program is an admin's
    // slip, not the recipient's fault, so here it is a deferral.
    if (!output)
        return all(Verdict::temporary("Unable to run qmail-remote. (#4.3.0)\n"));
    return each(remote::fold(remote::decode(*output, n)));
}

} // namespace

std::string remote_program() {
    if (const char* p = std::getenv("QMAILREMOTE"); p && *p)
        return p;
    return {};
}

Status serve(int in_fd, int out_fd, const std::string& program) {
    const queue::Layout q = queue::Layout::from_home();
    std::optional<InProcess> in_process;
    if (program.empty()) {
        auto cfg = remote::load_client_config();
        if (!cfg)
            return fail(cfg.error());
        in_process.emplace(std::move(*cfg));
    }
    return spawn::serve(in_fd, out_fd,
                        {[&](const Request& r) {
                             return attempt(q, r, program, in_process ? &*in_process : nullptr);
                         },
                         nullptr});
}

} // namespace qm::send::rspawn
