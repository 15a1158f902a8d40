#include "qm/send/lspawn.hpp"

#include "qm/fd.hpp"
#include "qm/local/deliver.hpp"
#include "qm/queue/layout.hpp"
#include "qm/send/store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace qm::send::lspawn {

namespace {

// Splits off `count` NUL-terminated fields; nullopt if they are not all there yet.
std::optional<std::vector<std::string>> take_fields(std::string& buf, size_t count) {
    std::vector<std::string> out;
    size_t pos = 0;
    for (size_t i = 0; i < count; ++i) {
        auto nul = buf.find('\0', pos);
        if (nul == std::string::npos)
            return std::nullopt;
        out.emplace_back(buf, pos, nul - pos);
        pos = nul + 1;
    }
    buf.erase(0, pos);
    return out;
}

std::optional<unsigned long> number(std::string_view s) {
    unsigned long n = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec != std::errc() || p != s.data() + s.size() || s.empty())
        return std::nullopt;
    return n;
}

Failure broken(const std::string& what) {
    return perm("5.3.0", "qmail-lspawn protocol: " + what);
}

} // namespace

std::string encode(const Request& r) {
    std::string s(1, r.kind);
    s += std::to_string(r.num);
    s += '\0';
    for (const auto& f : r.fields) {
        s += f;
        s += '\0';
    }
    return s;
}

std::string encode(const Reply& r) {
    std::string s = std::to_string(r.num);
    s += '\0';
    s += r.verdict.letter();
    for (char c : r.verdict.text)
        if (c != '\0')
            s += c;
    s += '\0';
    return s;
}

Result<std::optional<Request>> take_request(std::string& buf) {
    if (buf.empty())
        return std::optional<Request>{};
    const char kind = buf[0];
    if (kind != 'D' && kind != 'C')
        return fail(broken("unknown request type"));
    std::string copy = buf.substr(1);
    auto fields = take_fields(copy, kind == 'D' ? 4 : 3);
    if (!fields)
        return std::optional<Request>{};
    buf = std::move(copy);
    auto num = number((*fields)[0]);
    if (!num)
        return fail(broken("bad request number"));
    Request r{kind, *num, {fields->begin() + 1, fields->end()}};
    return std::optional<Request>{std::move(r)};
}

Result<std::optional<Reply>> take_reply(std::string& buf) {
    auto fields = take_fields(buf, 2);
    if (!fields)
        return std::optional<Reply>{};
    auto num = number((*fields)[0]);
    if (!num)
        return fail(broken("bad reply number"));
    const std::string& body = (*fields)[1];
    // One bad report defers its own delivery and nothing else.
    const auto kind = body.empty() ? std::nullopt : Verdict::kind_of(body[0]);
    if (!kind)
        return std::optional<Reply>{
            Reply{*num, Verdict::temporary("qmail-lspawn sent a malformed report. (#4.3.0)\n")}};
    return std::optional<Reply>{Reply{*num, {*kind, body.substr(1)}}};
}

namespace {

Reply deliver(const queue::Layout& q, const Request& r, const std::string& default_delivery,
              const local::LocalProgram& program) {
    auto id = number(r.fields[0]);
    if (!id)
        return {r.num, Verdict::temporary("Bad message number from qmail-send. (#4.3.0)\n")};
    return {r.num, local::deliver_recipient(
                       {q.mess(*id), r.fields[1], r.fields[2], default_delivery, &program})};
}

Reply clean(const queue::Layout& q, const Request& r) {
    Reply rep{r.num, Verdict::success()};
    auto id = number(r.fields[1]);
    std::vector<std::string> paths;
    if (id && r.fields[0] == "t")
        paths = {q.intd(*id), q.todo(*id)};
    else if (id && r.fields[0] == "m")
        paths = {q.mess(*id)};
    else
        return {r.num, Verdict::permanent("bad clean request")};
    for (const auto& p : paths)
        if (::unlink(p.c_str()) != 0 && errno != ENOENT)
            rep = {r.num, Verdict::temporary("unable to unlink " + p)};
    return rep;
}

} // namespace

Status serve(int in_fd, int out_fd, const std::string& default_delivery) {
    const queue::Layout q = queue::Layout::from_home();
    // qmail-send cannot remove qmailq's leftovers itself in root mode.
    cleanup_stale(q, std::time(nullptr));
    // Once, before the first delivery thread: every delivery runs this qmail-local with
    // this environment, both made from what is ours, never from a request.
    const local::LocalProgram program = local::local_program();
    std::mutex mu;
    std::condition_variable cv;
    size_t running = 0;
    bool write_failed = false;
    auto reply = [&](const Reply& r) {
        std::lock_guard lock(mu);
        if (!write_all(out_fd, encode(r)))
            write_failed = true;
    };
    std::string buf;
    char chunk[65536];
    Status result;
    for (;;) {
        ssize_t n = ::read(in_fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            result = fail(from_errno(errno, "unable to read from qmail-send"));
            break;
        }
        if (n == 0)
            break;
        buf.append(chunk, static_cast<size_t>(n));
        for (;;) {
            auto req = take_request(buf);
            if (!req) {
                result = fail(req.error());
                break;
            }
            if (!*req)
                break;
            if ((*req)->kind == 'C') {
                // In order with the deliveries that follow it: todo/N is gone before any
                // delivery of message N starts.
                reply(clean(q, **req));
                continue;
            }
            {
                std::lock_guard lock(mu);
                ++running;
            }
            // One thread per delivery; qmail-send's concurrencylocal bounds how many.
            std::thread([&, r = std::move(**req)] {
                reply(deliver(q, r, default_delivery, program));
                std::lock_guard lock(mu);
                --running;
                cv.notify_all();
            }).detach();
        }
        if (!result)
            break;
    }
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return running == 0; });
    if (result && write_failed)
        return fail(temp("4.3.0", "unable to write to qmail-send"));
    return result;
}

} // namespace qm::send::lspawn
