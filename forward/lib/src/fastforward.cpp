#include "qm/fwd/fastforward.hpp"

#include "qm/address.hpp"
#include "qm/envelope.hpp"
#include "qm/fd.hpp"
#include "qm/home.hpp"
#include "qm/process.hpp"
#include "qm/queue_client.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <set>

namespace qm::fwd {

namespace {

// The three keys fastforward tries for an incoming address, most specific first.
std::vector<std::string> keys_for(char prefix, std::string_view recipient) {
    std::string r = address::lowercase(recipient);
    auto at = r.rfind('@');
    std::string user = at == std::string::npos ? r : r.substr(0, at);
    std::string host = at == std::string::npos ? "" : r.substr(at + 1);
    return {prefix + r, prefix + ("@" + host), prefix + (user + "@")};
}

std::optional<std::string> find_first(const cdb::Reader& db, char prefix,
                                      std::string_view recipient) {
    for (const auto& k : keys_for(prefix, recipient))
        if (auto v = db.find(k))
            return v;
    return std::nullopt;
}

// Commands of a record or list, split at NULs; a trailing part without NUL counts too.
std::vector<std::string> split_commands(std::string_view data) {
    std::vector<std::string> out;
    while (!data.empty()) {
        auto nul = data.find('\0');
        out.emplace_back(data.substr(0, nul));
        if (nul == std::string_view::npos)
            break;
        data.remove_prefix(nul + 1);
    }
    return out;
}

// Longest list entry fastforward 0.51 accepts; longer ones are skipped, not fatal.
constexpr std::size_t max_list_entry = 900;

} // namespace

Result<std::string> load_list_file(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
        int e = errno;
        if (e == ENOENT)
            return fail(temp("4.3.0", "unable to read " + path + ": file does not exist"));
        return fail(from_errno(e, "unable to read " + path));
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0)
        return fail(from_errno(errno, "unable to stat " + path));
    // Only world-readable lists: fastforward may run as a user who could read lists
    // that the table's owner never meant to publish.
    if ((st.st_mode & 0444) != 0444)
        return fail(temp("4.3.0", path + " is not world-readable"));
    auto data = read_all(fd.get());
    if (!data)
        return fail(data.error());
    return data;
}

Result<std::optional<ForwardPlan>> expand(const cdb::Reader& db, std::string_view recipient,
                                          std::string_view sender, const ListLoader& load) {
    ForwardPlan plan;
    plan.sender = std::string(sender);
    if (!sender.empty() && sender != "#@[]")
        if (auto owner = find_first(db, '?', recipient))
            plan.sender = *owner;
    auto data = find_first(db, ':', recipient);
    if (!data)
        return std::optional<ForwardPlan>();

    std::vector<std::string> stack;
    auto push = [&](std::string_view d) {
        for (auto& c : split_commands(d))
            stack.push_back(std::move(c));
    };
    push(*data);
    std::set<std::string> done;
    std::vector<std::string> collected;
    while (!stack.empty()) {
        std::string cmd = std::move(stack.back());
        stack.pop_back();
        if (cmd.empty() || !done.insert(cmd).second)
            continue;
        switch (cmd[0]) {
        case '&': {
            std::string addr = cmd.substr(1);
            std::string lower = address::lowercase(addr);
            // An address with its own owner is a list of its own: forward to it so that
            // its delivery sets its owner as sender.
            if (db.find("?" + lower)) {
                collected.push_back(addr);
            } else if (auto sub = db.find(":" + lower)) {
                push(*sub);
            } else {
                collected.push_back(addr);
            }
            break;
        }
        case '/':
        case '.': {
            auto list = load(cmd);
            if (!list)
                return fail(list.error());
            for (auto& e : split_commands(*list)) {
                if (e.empty())
                    continue;
                if ((e[0] == '&' && e.size() < max_list_entry) || e[0] == '/' || e[0] == '.')
                    stack.push_back(std::move(e));
            }
            break;
        }
        case '|':
        case '!':
            plan.programs.push_back(cmd);
            break;
        default:
            break;
        }
    }
    plan.recipients.assign(collected.rbegin(), collected.rend());
    return std::optional<ForwardPlan>(std::move(plan));
}

Status run_delivery_program(std::string_view command, int message_fd) {
    if (::lseek(message_fd, 0, SEEK_SET) != 0)
        return fail(from_errno(errno, "unable to rewind message"));
    std::string body(command.substr(1));
    Spawn program;
    if (command[0] == '!')
        program.argv.push_back(program_path("preline"));
    program.argv.insert(program.argv.end(), {"/bin/sh", "-c", body});
    program.fds = {{message_fd, 0}};
    auto pid = spawn(program);
    // As a program that could not be run exits in qmail's tools: 111, temporary.
    if (!pid)
        return fail(temp("4.3.0", "program " + body + " failed temporarily"));
    auto status = wait_for(*pid);
    if (!status)
        return fail(status.error());
    switch (classify_child_exit(*status)) {
    case ChildOutcome::success:
        return {};
    case ChildOutcome::permanent:
        return fail(perm("5.3.0", "program " + body + " failed permanently"));
    case ChildOutcome::crashed:
        return fail(temp("4.3.0", "program " + body + " crashed"));
    default:
        return fail(temp("4.3.0", "program " + body + " failed temporarily"));
    }
}

Result<int> seekable_message(int fd) {
    if (::lseek(fd, 0, SEEK_CUR) >= 0)
        return fd;
    int copy = ::memfd_create("message", MFD_CLOEXEC);
    if (copy < 0)
        return fail(from_errno(errno, "unable to create temporary file"));
    auto data = read_all(fd);
    if (!data)
        return fail(data.error());
    if (auto w = write_all(copy, *data); !w)
        return fail(w.error());
    return copy;
}

Result<int> fastforward(const FastforwardRequest& req, int message_fd,
                        const std::function<void(const std::string&)>& report) {
    auto db = cdb::Reader::open(req.table);
    if (!db)
        return fail(db.error());
    if (!*db)
        return fail(temp("4.3.0", "unable to read " + req.table + ": file does not exist"));
    auto plan = expand(**db, req.recipient, req.sender, load_list_file);
    if (!plan)
        return fail(plan.error());
    if (!*plan) {
        if (req.pass_through)
            return 0;
        return fail(perm("5.1.1", "Sorry, no mailbox here by that name."));
    }
    const int found_code = req.pass_through ? 99 : 0;
    const ForwardPlan& p = **plan;
    for (const auto& prog : p.programs) {
        if (req.dry_run) {
            report("run " + prog);
            continue;
        }
        if (auto r = run_delivery_program(prog, message_fd); !r)
            return fail(r.error());
    }
    if (p.recipients.empty()) {
        if (req.dry_run)
            report("no forwarding");
        return found_code;
    }
    if (req.dry_run) {
        report("from <" + p.sender + ">");
        for (const auto& r : p.recipients)
            report("to <" + r + ">");
        return found_code;
    }
    if (::lseek(message_fd, 0, SEEK_SET) != 0)
        return fail(from_errno(errno, "unable to rewind message"));
    auto queued = queue_message_fd(req.dtline, message_fd, Envelope{p.sender, p.recipients});
    if (!queued)
        return fail(queued.error());
    report("qp " + std::to_string(queued->qp));
    return found_code;
}

} // namespace qm::fwd
