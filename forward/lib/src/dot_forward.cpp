#include "qm/fwd/dot_forward.hpp"

#include "qm/address.hpp"
#include "qm/envelope.hpp"
#include "qm/fd.hpp"
#include "qm/fwd/fastforward.hpp"
#include "qm/queue_client.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace qm::fwd {

namespace {

Failure at_line(const std::string& file, std::size_t line, const std::string& what) {
    return perm("5.3.5", file + ":" + std::to_string(line) + ": " + what);
}

bool is_self(const Item& it, std::string_view user, std::string_view host) {
    std::string me = address::lowercase(user);
    std::string t = address::lowercase(it.text);
    if (!it.has_at)
        return t == me;
    return t == me + "@" + address::lowercase(host);
}

} // namespace

Result<std::vector<DotForwardAction>> parse_dot_forward(std::string_view content,
                                                        const std::string& file, const Qualify& q,
                                                        std::string_view user,
                                                        std::string_view host) {
    std::vector<DotForwardAction> out;
    std::size_t lineno = 0;
    while (!content.empty()) {
        auto nl = content.find('\n');
        std::string_view line = content.substr(0, nl);
        content.remove_prefix(nl == std::string_view::npos ? content.size() : nl + 1);
        ++lineno;
        if (!line.empty() && line[0] == '#')
            continue;
        auto items = parse_address_list(line);
        if (!items)
            return fail(at_line(file, lineno,
                                "unable to parse this line (" + items.error().text +
                                    "): " + std::string(line)));
        for (auto it = items->rbegin(); it != items->rend(); ++it) {
            if (it->kind == Item::Kind::include ||
                (!it->has_at && !it->text.empty() && it->text[0] == '/'))
                return fail(at_line(file, lineno, "file delivery " + it->text + " not supported"));
            if (it->text.empty())
                return fail(at_line(file, lineno, "empty recipient addresses not permitted"));
            // A NUL would split the recipient in qmail-queue's envelope.
            if (it->text.find('\0') != std::string::npos)
                return fail(at_line(file, lineno, "NUL not permitted in addresses"));
            if (!it->has_at && it->text[0] == '|')
                out.push_back({DotForwardAction::Kind::program, it->text.substr(1)});
            else if (is_self(*it, user, host))
                out.push_back({DotForwardAction::Kind::direct, ""});
            else
                out.push_back({DotForwardAction::Kind::forward, qualify(*it, q)});
        }
    }
    return out;
}

Result<int> dot_forward(const DotForwardRequest& req, const Qualify& q, int message_fd,
                        const std::function<void(const std::string&)>& report) {
    for (const auto& file : req.files) {
        UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
        if (!fd) {
            int e = errno;
            // Only a file that is certainly absent is skipped; anything else (a
            // permission problem on an NFS home) must not silently drop forwarding.
            if (e == ENOENT || e == ENOTDIR)
                continue;
            return fail(from_errno(e, "unable to open " + file));
        }
        auto content = read_all(fd.get());
        if (!content)
            return fail(content.error());
        auto actions = parse_dot_forward(*content, file, q, req.user, req.host);
        if (!actions) {
            // A broken .forward defers: bouncing would lose mail over a typo the user
            // can fix, and delivering here would silently ignore the forwarding wish.
            Failure f = actions.error();
            f.severity = Severity::temporary;
            f.dsn = "4.3.5";
            return fail(std::move(f));
        }
        if (actions->empty()) {
            if (req.dry_run)
                report("skipping empty file " + file);
            continue;
        }
        bool direct = false;
        std::vector<std::string> forwards;
        for (const auto& a : *actions) {
            switch (a.kind) {
            case DotForwardAction::Kind::direct:
                direct = true;
                if (req.dry_run)
                    report("direct delivery");
                break;
            case DotForwardAction::Kind::program:
                if (req.dry_run) {
                    report("pipe through " + a.text);
                } else if (auto r = run_delivery_program("!" + a.text, message_fd); !r) {
                    return fail(r.error());
                }
                break;
            case DotForwardAction::Kind::forward:
                if (req.dry_run)
                    report("forward " + a.text);
                forwards.push_back(a.text);
                break;
            }
        }
        if (!forwards.empty() && !req.dry_run) {
            if (::lseek(message_fd, 0, SEEK_SET) != 0)
                return fail(from_errno(errno, "unable to rewind message"));
            auto queued =
                queue_message_fd(req.dtline, message_fd, Envelope{req.newsender, forwards});
            if (!queued)
                return fail(queued.error());
            report("info: qp " + std::to_string(queued->qp));
        }
        return direct ? 0 : 99;
    }
    if (req.dry_run)
        report("direct delivery");
    return 0;
}

} // namespace qm::fwd
