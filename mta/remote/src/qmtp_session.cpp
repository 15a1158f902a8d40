#include "qmtp_session.hpp"

#include "qm/header_cr.hpp"
#include "qm/netstring.hpp"
#include "qm/qmtp/framing.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace qm::remote {

namespace {

// A response is a letter and a line of text; anything near this size is a broken peer.
constexpr size_t max_response = 4096;

// A message up to this size goes out in one write with its envelope.
constexpr std::uint64_t whole_limit = 65536;

std::string said(std::string_view text) {
    std::string t(text);
    std::erase(t, '\r');
    return "Remote host said: " + t + "\n";
}

} // namespace

awaitable<QmtpEnd> qmtp_session(Conn& c, const std::string& ip, const Job& job, int fd,
                                std::uint64_t stored_bytes, std::string_view prefix, bool reused,
                                Outcome& result) {
    // QMTP answers each recipient K, Z or D, where SMTP answers the message once. In
    // qmail-remote's report a K is 'r' with the message accepted (its text the first K's),
    // a Z 's' and a D 'h' with their own texts. A message nobody accepted gets an empty
    // verdict text, so that folding leaves each refusal its own reason alone.
    const size_t n = job.recipients.size();
    Outcome out{std::vector<RecipientReport>(n), Verdict::permanent("")};
    size_t answered = 0;
    bool sent_all = false; // the package's last byte went out: the peer may have queued it
    auto rest = [&](const std::string& text) {
        for (size_t i = answered; i < n; ++i)
            out.recipients[i] = {'s', text};
        if (out.message.kind != Verdict::Kind::success)
            out.message = Verdict::temporary("");
        result = std::move(out);
        return QmtpEnd::done;
    };
    // A reused connection that fails before the first response byte was closed by the
    // peer while it was parked (or crashed just now, which qmail's "Possible duplicate!"
    // would retry later anyway): a fresh connection takes the message.
    auto died = [&] {
        if (reused && answered == 0 && c.input().empty())
            return QmtpEnd::stale;
        return rest("Connected to " + ip + " but connection died. " +
                    (sent_all ? "Possible duplicate! " : "") + "(#4.4.2)\n");
    };
    auto unreadable = [&] {
        // Without the rest of the package the peer queues nothing of it.
        c.close();
        return rest("Unable to read message file. (#4.3.0)\n");
    };

    // The message as stored: LF line ends are QMTP's encoding 0x0a, so no byte changes but
    // a bare CR in the header, which becomes a space (qm/header_cr.hpp) as in SMTP: the
    // next hop may relay it by SMTP. The length stays the one announced.
    // prefix (the DKIM signatures) goes first, inside the same length.
    const qmtp::MessageFrame frame =
        qmtp::qmtp_package(prefix.size() + stored_bytes, {job.sender, job.recipients});
    HeaderCrFilter header;
    std::string buf(static_cast<size_t>(std::min<std::uint64_t>(stored_bytes, whole_limit)), '\0');
    if (stored_bytes <= whole_limit) {
        // A list's copy, typically: the whole package in one write, so that the peer
        // wakes once for it.
        size_t got = 0;
        while (got < buf.size()) {
            const ssize_t r =
                ::pread(fd, buf.data() + got, buf.size() - got, static_cast<off_t>(got));
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                co_return unreadable();
            got += static_cast<size_t>(r);
        }
        std::string package = frame.before;
        package.reserve(frame.before.size() + prefix.size() + buf.size() + frame.after.size() + 16);
        header.feed(prefix, package);
        header.feed(buf, package);
        header.finish(package);
        package += frame.after;
        if (!co_await c.write(package))
            co_return died();
        sent_all = true;
    } else {
        std::string checked = frame.before;
        header.feed(prefix, checked);
        if (!co_await c.write(checked))
            co_return died();
        std::uint64_t sent = 0;
        while (sent < stored_bytes) {
            const size_t want =
                static_cast<size_t>(std::min<std::uint64_t>(buf.size(), stored_bytes - sent));
            const ssize_t got = ::pread(fd, buf.data(), want, static_cast<off_t>(sent));
            if (got < 0 && errno == EINTR)
                continue;
            if (got <= 0)
                co_return unreadable();
            checked.clear();
            header.feed(std::string_view(buf.data(), static_cast<size_t>(got)), checked);
            if (!checked.empty() && !co_await c.write(checked))
                co_return died();
            sent += static_cast<std::uint64_t>(got);
        }
        checked.clear();
        header.finish(checked);
        if (!checked.empty() && !co_await c.write(checked))
            co_return died();
        sent_all = true;
        if (!co_await c.write(frame.after))
            co_return died();
    }

    while (answered < n) {
        auto decoded = netstring::decode(c.input(), max_response);
        if (!decoded)
            co_return rest("Connected to " + ip + " but its QMTP response was malformed (" +
                           decoded.error().text + "). Possible duplicate! (#4.4.2)\n");
        if (!*decoded) {
            if (!co_await c.read_more())
                co_return died();
            continue;
        }
        const std::string_view payload = (*decoded)->payload;
        const char letter = payload.empty() ? 0 : payload[0];
        if (letter != 'K' && letter != 'Z' && letter != 'D')
            co_return rest("Connected to " + ip +
                           " but its QMTP response was not K, Z or D. "
                           "Possible duplicate! (#4.4.2)\n");
        const std::string text = letter == 'K' ? ip + " accepted message via QMTP.\n"
                                               : ip + " did not accept the message via QMTP.\n";
        const std::string reason = text + said(payload.substr(1));
        if (letter == 'K') {
            out.recipients[answered++] = {'r', ""};
            if (out.message.kind != Verdict::Kind::success)
                out.message = Verdict::success(reason);
        } else {
            out.recipients[answered++] = {letter == 'D' ? 'h' : 's', reason};
        }
        c.input().erase(0, (*decoded)->consumed);
    }
    if (out.message.kind != Verdict::Kind::success &&
        std::any_of(out.recipients.begin(), out.recipients.end(),
                    [](const RecipientReport& r) { return r.letter == 's'; }))
        out.message = Verdict::temporary(""); // some may be accepted at the next try
    // Every response is in and nothing more was said: the connection is in step for the
    // next package.
    const bool in_step = c.input().empty();
    result = std::move(out);
    co_return in_step ? QmtpEnd::reusable : QmtpEnd::done;
}

} // namespace qm::remote
