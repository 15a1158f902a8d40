#include "qm/analog/matchup.hpp"

#include "qm/address.hpp"
#include "qm/analog/lines.hpp"
#include "qm/analog/stamp.hpp"

#include <charconv>

namespace qm::analog {

namespace {

// A number at the start of a word ("1234:" reads as 1234), 0 when there is none, as
// qmail's scan_ulong.
std::uint64_t number(std::string_view w) {
    std::uint64_t n = 0;
    std::from_chars(w.data(), w.data() + w.size(), n);
    return n;
}

std::string_view word(const std::vector<std::string_view>& w, size_t i) {
    return i < w.size() ? w[i] : std::string_view();
}

} // namespace

void Matchup::line(std::string_view raw, std::string& out) {
    const auto stamped = split_stamp(raw);
    if (!stamped) {
        out.append("? ").append(raw).push_back('\n');
        return;
    }
    const std::string& when = stamped->when;
    const auto w = words_of(stamped->text);
    const std::string_view event = word(w, 0);
    if (event == "starting" && word(w, 1) == "delivery" && w.size() >= 8) {
        // starting delivery D: msg M to CHAN RECIP
        Delivery& d = deliveries_[number(word(w, 2))];
        d.msg = number(word(w, 4));
        d.start = when;
        d.chan = word(w, 6);
        d.recip = address::lowercase(word(w, 7));
    } else if (event == "delivery") {
        // delivery D: success|failure|deferral: REASON
        const auto found = deliveries_.find(number(word(w, 1)));
        if (found == deliveries_.end())
            return; // its start is in a log matchup never saw
        const Delivery& d = found->second;
        const std::string_view verdict = word(w, 2);
        std::string_view result = "?";
        std::string_view reason = word(w, 3);
        const auto m = messages_.find(d.msg);
        Message* msg = m == messages_.end() ? nullptr : &m->second;
        if (verdict.starts_with("succ")) {
            result = "k";
            if (msg)
                ++msg->k;
        } else if (verdict.starts_with("fail")) {
            result = "d";
            if (msg)
                ++msg->d;
        } else if (verdict.starts_with("defer")) {
            result = "z";
            if (msg)
                ++msg->z;
        } else if (verdict.starts_with("report")) {
            result = "z";
            reason = "report_mangled";
            if (msg)
                ++msg->z;
        }
        out.append("d ").append(result).push_back(' ');
        if (msg) {
            out.append(msg->birth).append(" ").append(d.start).append(" ").append(when);
            out.append(" ").append(std::to_string(msg->bytes)).append(" ").append(msg->sender);
            out.append(" ").append(d.chan).append(".").append(d.recip);
            out.append(" ").append(std::to_string(msg->qp)).append(" ");
            out.append(std::to_string(msg->uid));
        } else {
            // The message's information is in a log matchup never saw.
            out.append(d.start).append(" ").append(d.start).append(" ").append(when);
            out.append(" 0 ? ").append(d.chan).append(".").append(d.recip).append(" ? ?");
        }
        out.append(" ").append(reason).push_back('\n');
        deliveries_.erase(found);
    } else if (event == "new") {
        // new msg M: a new message in that inode; whatever was known of it is stale.
        messages_.erase(number(word(w, 2)));
    } else if (event == "end") {
        // end msg M
        const auto found = messages_.find(number(word(w, 2)));
        if (found == messages_.end())
            return;
        const Message& m = found->second;
        out.append("m ").append(m.birth).append(" ").append(when);
        for (const std::uint64_t n : {m.bytes, m.k, m.d, m.z})
            out.append(" ").append(std::to_string(n));
        out.append(" ").append(m.sender).append(" ").append(std::to_string(m.qp));
        out.append(" ").append(std::to_string(m.uid)).push_back('\n');
        messages_.erase(found);
    } else if (event == "info" && w.size() >= 11) {
        // info msg M: bytes B from <S> qp Q uid U
        Message& m = messages_[number(word(w, 2))];
        m = Message{};
        m.birth = when;
        m.bytes = number(word(w, 4));
        m.sender = address::lowercase(word(w, 6));
        m.qp = number(word(w, 8));
        m.uid = number(word(w, 10));
    } else if (event == "extra") {
        // extra M K Z D: counts carried over from an earlier run (pending()).
        const auto found = messages_.find(number(word(w, 1)));
        if (found == messages_.end())
            return;
        found->second.k = number(word(w, 2));
        found->second.z = number(word(w, 3));
        found->second.d = number(word(w, 4));
    } else if (event == "running" || event == "exiting") {
        deliveries_.clear(); // a qmail-send that (re)started has no delivery running
    } else if (event == "status:" || event == "number" || event == "local" || event == "remote") {
        // Nothing to match.
    } else if (event == "warning:" || event == "alert:") {
        out.append(raw).push_back('\n');
    } else {
        out.append("? ").append(raw).push_back('\n');
    }
}

std::string Matchup::pending() const {
    std::string out;
    for (const auto& [id, m] : messages_) {
        const std::string n = std::to_string(id);
        out.append(m.birth).append(" info msg ").append(n).append(": bytes ");
        out.append(std::to_string(m.bytes)).append(" from ").append(m.sender);
        out.append(" qp ").append(std::to_string(m.qp)).append(" uid ");
        out.append(std::to_string(m.uid)).push_back('\n');
        out.append(m.birth).append(" extra ").append(n);
        for (const std::uint64_t c : {m.k, m.z, m.d})
            out.append(" ").append(std::to_string(c));
        out.push_back('\n');
    }
    for (const auto& [id, d] : deliveries_) {
        out.append(d.start).append(" starting delivery ").append(std::to_string(id));
        out.append(": msg ").append(std::to_string(d.msg)).append(" to ").append(d.chan);
        out.append(" ").append(d.recip).push_back('\n');
    }
    out.append(partial_);
    return out;
}

} // namespace qm::analog
