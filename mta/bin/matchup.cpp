// matchup: qmail-send's activity log on stdin into message and delivery lines on stdout
// (qmailanalog); what is still pending is kept for the next log.
#include "qm/analog/matchup.hpp"

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

class Output {
public:
    bool add(std::string& text) {
        if (text.size() < 65536)
            return true;
        return flush(text);
    }
    static bool flush(std::string& text) {
        const bool ok = text.empty() || static_cast<bool>(qm::write_all(STDOUT_FILENO, text));
        text.clear();
        return ok;
    }
};

// Feeds every complete line of data; the rest (a line not yet ended) is left in data.
void feed(qm::analog::Matchup& m, std::string& data, std::string& out) {
    size_t start = 0;
    for (size_t nl; (nl = data.find('\n', start)) != std::string::npos; start = nl + 1)
        m.line(std::string_view(data).substr(start, nl - start), out);
    data.erase(0, start);
}

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
            auto previous = qm::read_file(state);
            if (previous) {
                data = std::move(*previous);
            } else if (previous.error().text.find("No such file") == std::string::npos) {
                return qm::program::fatal("matchup", previous.error().text, 111);
            }
            // The state ends in whole lines, but for a line the last log left unfinished,
            // which the next input continues.
        }
        Output output;
        char buf[65536];
        for (;;) {
            const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                return qm::program::fatal("matchup", "unable to read input", 111);
            if (n == 0)
                break;
            data.append(buf, static_cast<size_t>(n));
            feed(matchup, data, out);
            if (!output.add(out))
                return qm::program::fatal("matchup", "unable to write output", 111);
        }
        feed(matchup, data, out);
        matchup.unfinished(data);
        if (!Output::flush(out))
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
