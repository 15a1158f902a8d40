#include "qm/send/spawn_protocol.hpp"

#include "qm/fd.hpp"

#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <iterator>
#include <mutex>
#include <thread>

namespace qm::send::spawn {

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

Failure broken(const std::string& what) {
    return perm("5.3.0", "spawn protocol: " + what);
}

} // namespace

std::optional<unsigned long> number(std::string_view s) {
    unsigned long n = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec != std::errc() || p != s.data() + s.size() || s.empty())
        return std::nullopt;
    return n;
}

std::string encode(const Request& r) {
    std::string s(1, r.kind);
    s += std::to_string(r.num);
    s += '\0';
    for (size_t i = 0; i < r.fields.size(); ++i) {
        if (r.kind == 'R' && i == 2) {
            s += std::to_string(r.fields.size() - 2);
            s += '\0';
        }
        const auto& f = r.fields[i];
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
    if (kind != 'D' && kind != 'J' && kind != 'C' && kind != 'R')
        return fail(broken("unknown request type"));
    std::string copy = buf.substr(1);
    auto fields = take_fields(copy, kind == 'J' ? 5 : kind == 'C' ? 3 : 4);
    if (!fields)
        return std::optional<Request>{};
    auto num = number((*fields)[0]);
    if (!num)
        return fail(broken("bad request number"));
    Request r{kind, *num, {fields->begin() + 1, fields->end()}};
    if (kind == 'R') {
        // id, sender, count: then count recipients
        auto count = number(r.fields[2]);
        if (!count || *count == 0 || *count > max_recipients)
            return fail(broken("bad recipient count"));
        auto rcpts = take_fields(copy, *count);
        if (!rcpts)
            return std::optional<Request>{};
        r.fields.pop_back();
        r.fields.insert(r.fields.end(), std::make_move_iterator(rcpts->begin()),
                        std::make_move_iterator(rcpts->end()));
    }
    buf = std::move(copy);
    return std::optional<Request>{std::move(r)};
}

Result<std::optional<Reply>> take_reply(std::string& buf, std::string_view program) {
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
        return std::optional<Reply>{Reply{
            *num,
            Verdict::temporary(std::string(program) + " sent a malformed report. (#4.3.0)\n")}};
    return std::optional<Reply>{Reply{*num, {*kind, body.substr(1)}}};
}

Status serve(int in_fd, int out_fd, const Handlers& handlers) {
    std::mutex mu;
    std::condition_variable cv;
    size_t running = 0;
    bool write_failed = false;
    auto reply = [&](const std::vector<Reply>& replies) {
        std::string out;
        for (const auto& r : replies)
            out += encode(r);
        std::lock_guard lock(mu);
        if (!write_all(out_fd, out))
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
                if (!handlers.clean) {
                    result = fail(broken("clean requests are not served here"));
                    break;
                }
                // In order with the deliveries that follow it: todo/N is gone before any
                // delivery of message N starts.
                reply({handlers.clean(**req)});
                continue;
            }
            {
                std::lock_guard lock(mu);
                ++running;
            }
            // One thread per delivery; qmail-send's concurrency bounds how many.
            std::thread([&, r = std::move(**req)] {
                reply(handlers.deliver(r));
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

} // namespace qm::send::spawn
