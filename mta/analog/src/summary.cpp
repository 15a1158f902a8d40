#include "qm/analog/summary.hpp"

#include "qm/analog/lines.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <vector>

namespace qm::analog {

namespace {

// A field as a number; "?" (a delivery whose message matchup never saw) and other words
// count 0, as in awk.
double value(const std::vector<std::string_view>& w, size_t i) {
    if (i >= w.size())
        return 0;
    double v = 0;
    std::from_chars(w[i].data(), w[i].data() + w[i].size(), v);
    return v;
}

std::string field(const std::vector<std::string_view>& w, size_t i) {
    return i < w.size() ? std::string(w[i]) : std::string();
}

std::string fixed(double v, int decimals) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

// A figure as awk prints it: whole numbers whole, others with six significant digits.
std::string figure(double v) {
    char buf[64];
    if (v == std::floor(v) && std::fabs(v) < 1e15)
        std::snprintf(buf, sizeof buf, "%.0f", v);
    else
        std::snprintf(buf, sizeof buf, "%.6g", v);
    return buf;
}

// Rows under a header line, each column but the last right-aligned to its widest entry.
std::string columns(const std::vector<std::string>& header,
                    std::vector<std::vector<std::string>> rows) {
    rows.insert(rows.begin(), header);
    std::vector<size_t> width(header.size(), 0);
    for (const auto& row : rows)
        for (size_t i = 0; i + 1 < row.size(); ++i)
            width[i] = std::max(width[i], row[i].size());
    std::string out;
    for (const auto& row : rows) {
        for (size_t i = 0; i < row.size(); ++i) {
            if (i + 1 < row.size())
                out.append(width[i] - row[i].size(), ' ');
            out.append(row[i]);
            out.push_back(i + 1 < row.size() ? ' ' : '\n');
        }
    }
    return out;
}

struct Reason {
    double count = 0, xdelay = 0;
};

struct Recipient {
    double sbytes = 0, k = 0, d = 0, z = 0, xdelay = 0;
};

struct Sender {
    double messages = 0, bytes = 0, sbytes = 0, rbytes = 0, k = 0, d = 0, z = 0, xdelay = 0;
    bool completed = false; // it has an m line: only those are reported
};

// Sorted by the time spent, least first, so that the heaviest end up next to the prompt;
// ties by name. (qmailanalog's scripts sort the figure as text, which puts 10.00 before
// 9.00.)
template <class Entry>
std::vector<std::pair<std::string, Entry>> by_xdelay(const std::map<std::string, Entry>& m) {
    std::vector<std::pair<std::string, Entry>> v(m.begin(), m.end());
    std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
        return a.second.xdelay < b.second.xdelay;
    });
    return v;
}

std::string underscores_to_blanks(std::string s) {
    std::replace(s.begin(), s.end(), '_', ' ');
    return s;
}

} // namespace

struct Summary::State {
    Report report;
    // zoverall
    double messages = 0, recips = 0, tries = 0, mbytes = 0, rbytes = 0, qtime = 0;
    double deliveries = 0, succ = 0, fail = 0, ddelay = 0, xdelay = 0;
    double first = 0, last = 0;
    bool seen = false;
    // the others
    std::map<std::string, Reason> reasons;
    std::map<std::string, Recipient> recipients;
    std::map<std::string, Sender> senders;

    void span(double from, double to) {
        if (!seen || from < first)
            first = from;
        if (!seen || to > last)
            last = to;
        seen = true;
    }
};

Summary::Summary(Report report)
    : state_(std::make_unique<State>()) {
    state_->report = report;
}

Summary::~Summary() = default;

void Summary::line(std::string_view text) {
    State& s = *state_;
    const auto w = words_of(text);
    if (w.empty())
        return;
    if (w[0] == "m") {
        // m BIRTH DONE BYTES K D Z <SENDER> QP UID
        const double birth = value(w, 1), done = value(w, 2), bytes = value(w, 3);
        const double k = value(w, 4), d = value(w, 5), z = value(w, 6);
        ++s.messages;
        s.mbytes += bytes;
        s.rbytes += bytes * k;
        s.qtime += done - birth;
        s.recips += k + d;
        s.tries += k + d + z;
        s.span(birth, done);
        if (s.report != Report::senders)
            return;
        Sender& who = s.senders[field(w, 9) + "/" + field(w, 7)];
        who.completed = true;
        ++who.messages;
        who.bytes += bytes;
        who.sbytes += bytes * k;
        who.rbytes += bytes * (k + d);
        who.k += k;
        who.d += d;
        who.z += z;
        return;
    }
    if (w[0] != "d" || w.size() < 2)
        return;
    // d RESULT BIRTH DSTART DDONE BYTES <SENDER> CHAN.RECIP QP UID REASON
    const std::string_view result = w[1];
    const double birth = value(w, 2), start = value(w, 3), done = value(w, 4);
    const double took = done - start;
    ++s.deliveries;
    s.xdelay += took;
    s.span(birth, done);
    if (result == "k") {
        ++s.succ;
        s.ddelay += done - birth;
    } else if (result == "d") {
        ++s.fail;
    }
    if ((s.report == Report::failures && result == "d") ||
        (s.report == Report::deferrals && result == "z")) {
        Reason& r = s.reasons[field(w, 10)];
        ++r.count;
        r.xdelay += took;
    }
    if (s.report == Report::senders)
        s.senders[field(w, 9) + "/" + field(w, 6)].xdelay += took;
    if (s.report != Report::recipients)
        return;
    Recipient& r = s.recipients[field(w, 7)];
    r.xdelay += took;
    if (result == "k") {
        r.sbytes += value(w, 5);
        ++r.k;
    } else if (result == "d") {
        ++r.d;
    } else if (result == "z") {
        ++r.z;
    }
}

std::string Summary::report() const {
    const State& s = *state_;
    std::string out;
    switch (s.report) {
    case Report::overall: {
        out = "Basic statistics\n\n"
              "qtime is how long a message stayed in the queue.\n\n"
              "ddelay is how long one recipient waited for a message: the end of its\n"
              "successful delivery less the time the message was queued.\n\n"
              "xdelay is how long one delivery attempt took, from its start to its end.\n"
              "The xdelay of every attempt over the time span is the average concurrency:\n"
              "how many deliveries were running at once, on average.\n\n";
        out += "Completed messages: " + figure(s.messages) + "\n";
        if (s.messages > 0) {
            out += "Recipients for completed messages: " + figure(s.recips) + "\n";
            out += "Total delivery attempts for completed messages: " + figure(s.tries) + "\n";
            out +=
                "Average delivery attempts per completed message: " + figure(s.tries / s.messages) +
                "\n";
            out += "Bytes in completed messages: " + figure(s.mbytes) + "\n";
            out += "Bytes weighted by success: " + figure(s.rbytes) + "\n";
            out += "Average message qtime (s): " + figure(s.qtime / s.messages) + "\n";
        }
        out += "\nTotal delivery attempts: " + figure(s.deliveries) + "\n";
        if (s.deliveries > 0) {
            out += "  success: " + figure(s.succ) + "\n";
            out += "  failure: " + figure(s.fail) + "\n";
            out += "  deferral: " + figure(s.deliveries - s.succ - s.fail) + "\n";
            out += "Total ddelay (s): " + fixed(s.ddelay, 6) + "\n";
            if (s.succ > 0)
                out += "Average ddelay per success (s): " + fixed(s.ddelay / s.succ, 6) + "\n";
            out += "Total xdelay (s): " + fixed(s.xdelay, 6) + "\n";
            out += "Average xdelay per delivery attempt (s): " + fixed(s.xdelay / s.deliveries, 6) +
                   "\n";
            if (s.last > s.first) {
                out += "Time span (days): " + figure((s.last - s.first) / 86400) + "\n";
                out += "Average concurrency: " + figure(s.xdelay / (s.last - s.first)) + "\n";
            }
        }
        return out;
    }
    case Report::failures:
    case Report::deferrals: {
        const bool failures = s.report == Report::failures;
        out = failures ? "Reasons for failure\n\nOne line per reason a delivery failed for:\n"
                       : "Reasons for deferral\n\nOne line per reason a delivery was "
                         "deferred for:\n";
        out += "* del is how many delivery attempts ended with it.\n"
               "* xdelay is the time those attempts took, in all.\n\n";
        std::vector<std::vector<std::string>> rows;
        for (const auto& [reason, r] : by_xdelay(s.reasons))
            rows.push_back({figure(r.count), fixed(r.xdelay, 2), underscores_to_blanks(reason)});
        return out + columns({"del", "xdelay", "reason"}, std::move(rows));
    }
    case Report::recipients: {
        out = "Recipients\n\nOne line per recipient, as channel.address:\n"
              "* sbytes is the bytes delivered to it.\n"
              "* mess is its messages that were delivered or failed.\n"
              "* tries is its delivery attempts: successes, failures and deferrals.\n"
              "* xdelay is the time its attempts took, in all.\n\n";
        std::vector<std::vector<std::string>> rows;
        for (const auto& [who, r] : by_xdelay(s.recipients))
            rows.push_back({figure(r.sbytes), figure(r.k + r.d), figure(r.k + r.d + r.z),
                            fixed(r.xdelay, 2), who});
        return out + columns({"sbytes", "mess", "tries", "xdelay", "recipient"}, std::move(rows));
    }
    case Report::senders: {
        out = "Senders\n\nOne line per sender, as uid/<address>, for its messages that left "
              "the queue:\n"
              "* mess is how many messages it sent.\n"
              "* bytes is their size, in all.\n"
              "* sbytes is the bytes delivered: each message's size once per success.\n"
              "* rbytes is each message's size once per recipient, delivered or failed.\n"
              "* recips is its recipients, delivered or failed.\n"
              "* tries is the delivery attempts: successes, failures and deferrals.\n"
              "* xdelay is the time its delivery attempts took, in all.\n\n";
        std::map<std::string, Sender> completed;
        for (const auto& [who, r] : s.senders)
            if (r.completed)
                completed.emplace(who, r);
        std::vector<std::vector<std::string>> rows;
        for (const auto& [who, r] : by_xdelay(completed))
            rows.push_back({figure(r.messages), figure(r.bytes), figure(r.sbytes), figure(r.rbytes),
                            figure(r.k + r.d), figure(r.k + r.d + r.z), fixed(r.xdelay, 6), who});
        return out +
               columns({"mess", "bytes", "sbytes", "rbytes", "recips", "tries", "xdelay", "sender"},
                       std::move(rows));
    }
    }
    return out;
}

} // namespace qm::analog
