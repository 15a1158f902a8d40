// matchup: qmail-send's activity log (qmail-log(5)) turned into one line per message that
// left the queue and one per delivery attempt, the input of the summaries (zoverall, ...):
//
//   m BIRTH DONE BYTES K D Z <SENDER> QP UID
//   d RESULT BIRTH DSTART DDONE BYTES <SENDER> CHAN.RECIP QP UID REASON
//
// K, D and Z count successes, failures and deferrals (the order qmail's matchup writes and
// its summaries read; its manual lists them as K Z D). RESULT is k, d or z. SENDER and
// RECIP are lowercased; REASON is the first word of qmail-send's report, in which the
// log's blanks are already '_'.
//
// What has not ended by the end of the input (a message still in the queue, a delivery
// still running) is kept as log lines in qmail's own format (info, extra, starting
// delivery), to be read in front of the next log: a log cut by rotation loses nothing.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace qm::analog {

class Matchup {
public:
    // One log line, without its newline; what it completes is appended to out. A line
    // matchup does not know goes to out marked "? "; warnings and alerts go as they are.
    void line(std::string_view raw, std::string& out);
    // The input ended in the middle of a line (a log being written): it is kept for the
    // next run, whose input continues it.
    void unfinished(std::string_view partial) { partial_ = partial; }
    // The state to read first next time: log lines matchup reads back.
    [[nodiscard]] std::string pending() const;
    [[nodiscard]] size_t pending_messages() const { return messages_.size(); }
    [[nodiscard]] size_t pending_deliveries() const { return deliveries_.size(); }

private:
    struct Message {
        std::string birth;
        std::string sender;
        std::uint64_t bytes = 0, qp = 0, uid = 0;
        std::uint64_t k = 0, d = 0, z = 0;
    };
    struct Delivery {
        std::uint64_t msg = 0;
        std::string start, chan, recip;
    };
    // Ordered by number, so that the pending state reads the same from run to run.
    std::map<std::uint64_t, Message> messages_;
    std::map<std::uint64_t, Delivery> deliveries_;
    std::string partial_;
};

} // namespace qm::analog
