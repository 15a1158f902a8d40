// matchup: qmail-send's activity log on stdin into message and delivery lines on stdout
// (qmailanalog); what is still pending is kept for the next log.
#include "qm/analog/matchup.hpp"

#include "qm/analog/lines.hpp"
#include "qm/fd.hpp"
#include "qm/program.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string>

namespace {

constexpr std::string_view help =
    "usage: matchup [--state FILE] < LOG > OUT [5> PENDING]\n"
    "Reads qmail-send's activity log, each line behind a timestamp (multilog's @TAI64N,\n"
    "accustamp's seconds, journalctl -o short-unix, or splogger's in a syslog file), and\n"
    "writes one line per message that left the queue and one per delivery attempt:\n"
    "  m BIRTH DONE BYTES K D Z <SENDER> QP UID\n"
    "  d RESULT BIRTH DSTART DDONE BYTES <SENDER> CHAN.RECIP QP UID REASON\n"
    "(K, D, Z: successes, failures, deferrals; RESULT k, d or z), the input of zoverall,\n"
    "zfailures, zdeferrals, zrecipients and zsenders. Unknown lines come out as \"? LINE\".\n"
    "What has not ended (messages still queued, deliveries still running) is written as\n"
    "log lines to descriptor 5, if open, for the next run, as qmail's matchup does:\n"
    "  cat pending.1 log.2 | matchup > out.2 5> pending.2\n"
    "--state FILE keeps it in FILE instead: read before stdin, then replaced (atomically,\n"
    "on stable storage) by the new pending state, so that every rotated log can be fed in\n"
    "turn and nothing spanning two logs is lost:\n"
    "  for f in /var/log/qmail/@*.s; do matchup --state /var/log/qmail/pending < $f; done\n"
    "Exit 0; 111 when the input, the output or the state cannot be read or written.\n";

} // namespace

int main(int argc, char** argv) {
    return qm::program::run({"matchup", help}, argc, argv, [](qm::program::Words args) {
        std::string state;
        if (args.size() == 2 && args[0] == "--state")
            state = args[1];
        else if (args.size() == 1 && args[0].starts_with("--state="))
            state = args[0].substr(8);
        else if (!args.empty())
            return qm::program::usage("matchup", "[--state FILE]");
        qm::analog::Matchup matchup;
        std::string out;
        std::string data;
        if (!state.empty()) {
            // The state ends in whole lines, but for a line the last log left unfinished,
            // which this input continues. None yet: the first run.
            const qm::UniqueFd fd(::open(state.c_str(), O_RDONLY | O_CLOEXEC));
            if (!fd && errno != ENOENT)
                return qm::program::fatal("matchup", "unable to open " + state, 111);
            if (fd) {
                auto previous = qm::read_all(fd.get());
                if (!previous)
                    return qm::program::fatal("matchup", "unable to read " + state, 111);
                data = std::move(*previous);
            }
        }
        // Written out in blocks as it comes, so that a long log needs no memory for it.
        bool written = true;
        const auto each = [&](std::string_view line) {
            matchup.line(line, out);
            if (out.size() >= 65536 && written) {
                written = static_cast<bool>(qm::write_all(STDOUT_FILENO, out));
                out.clear();
            }
        };
        auto unfinished = qm::analog::read_lines(STDIN_FILENO, each, std::move(data));
        if (!unfinished)
            return qm::program::fatal("matchup", unfinished.error().text, 111);
        matchup.unfinished(*unfinished);
        if (!written || (!out.empty() && !qm::write_all(STDOUT_FILENO, out)))
            return qm::program::fatal("matchup", "unable to write output", 111);
        const std::string pending = matchup.pending();
        const bool fd5_open = ::fcntl(5, F_GETFD) != -1;
        if (fd5_open && !pending.empty() && !qm::write_all(5, pending))
            return qm::program::fatal("matchup", "unable to write fd 5", 111);
        if (!state.empty()) {
            if (auto saved = qm::write_file_atomic(state, pending, 0600); !saved)
                return qm::program::fatal("matchup", saved.error().text, 111);
        } else if (!fd5_open && !pending.empty()) {
            qm::program::warning("matchup",
                                 std::to_string(matchup.pending_messages()) + " messages and " +
                                     std::to_string(matchup.pending_deliveries()) +
                                     " deliveries still pending are not kept: open descriptor "
                                     "5 or use --state FILE");
        }
        return 0;
    });
}
