// The summaries qmail admins read off matchup's output (qmailanalog's z-programs): each
// takes matchup's lines and returns its report, a paragraph on what the figures mean
// followed by the figures, as qmailanalog's scripts print them. Lines that are not m or d
// lines (matchup's "? ..." and warnings) are skipped.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace qm::analog {

enum class Report {
    overall,    // zoverall: messages, attempts, bytes, delays, concurrency
    failures,   // zfailures: one line per reason a delivery failed
    deferrals,  // zdeferrals: one line per reason a delivery was deferred
    recipients, // zrecipients: one line per recipient
    senders,    // zsenders: one line per sender (uid/<address>)
};

// Accumulates matchup's lines for one report.
class Summary {
public:
    explicit Summary(Report report);
    ~Summary();
    Summary(const Summary&) = delete;
    Summary& operator=(const Summary&) = delete;
    // One line of matchup's output, without its newline.
    void line(std::string_view text);
    [[nodiscard]] std::string report() const;

private:
    struct State;
    std::unique_ptr<State> state_;
};

} // namespace qm::analog
