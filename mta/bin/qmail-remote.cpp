// qmail-remote host sender recipient...: sends the message on stdin to host by SMTP (or
// QMTP for an MXPS host) for the given recipients, and writes qmail-remote(8)'s report on
// stdout. qmail-rspawn runs it for qmail-send in root mode; admins and scripts run it by hand.
#include "qm/fd.hpp"
#include "qm/program.hpp"
#include "qm/remote/client.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <signal.h>

#include <cstdio>
#include <exception>
#include <optional>
#include <string>
#include <vector>

namespace {

constexpr std::string_view help =
    "usage: qmail-remote host sender recipient ...\n"
    "Sends the message on stdin to host for each recipient: by control/smtproutes, else to\n"
    "host's MX hosts (or its address), over SMTP, or QMTP for an MXPS host; opportunistic\n"
    "STARTTLS. The sender is used as given (VERP already expanded); an empty sender is a\n"
    "bounce. On stdout, one NUL-terminated report per answered recipient (r accepted,\n"
    "h refused for good, s refused for now, with the reason), then one for the message\n"
    "(K accepted, Z try again later, D give up), each followed by human text. Always exits\n"
    "0 once the report is written; 111 if it cannot be written. Control files are read\n"
    "from $QMAILHOME/control (default /var/qmail).\n";

// qmail-remote reports every failure on stdout and exits 0: the report is the result.
int report(const qm::remote::Outcome& o) {
    if (!qm::write_all(1, qm::remote::encode(o)))
        return 111;
    return 0;
}

int report(qm::Verdict message) {
    return report(qm::remote::Outcome{{}, std::move(message)});
}

} // namespace

int main(int argc, char** argv) {
    if (qm::program::help_requested({"qmail-remote", help}, argc, argv))
        return 0;
    ::signal(SIGPIPE, SIG_IGN);
    try {
        if (argc < 4)
            return report(qm::Verdict::permanent("I (qmail-remote) was invoked improperly. "
                                                 "(#5.3.5)\n"));
        auto cfg = qm::remote::load_client_config();
        if (!cfg)
            return report(qm::Verdict::of(cfg.error()));
        const int message = qm::seekable_stdin("qmail-remote-stdin");
        if (message < 0)
            return report(qm::Verdict::temporary("Unable to read message. (#4.3.0)\n"));
        cfg->reuse_connections = false; // one message: nothing to wait for
        qm::remote::Job job;
        job.message_fd = message;
        job.domain = argv[1];
        job.sender = argv[2];
        job.recipients.assign(argv + 3, argv + argc);
        boost::asio::io_context io;
        std::optional<qm::remote::Outcome> outcome;
        {
            qm::remote::Client client(io.get_executor(), *cfg);
            boost::asio::co_spawn(io, client.deliver(std::move(job)),
                                  [&](std::exception_ptr e, qm::remote::Outcome o) {
                                      if (!e)
                                          outcome = std::move(o);
                                  });
            io.run();
        }
        if (!outcome)
            return report(qm::Verdict::temporary("Internal error. (#4.3.0)\n"));
        return report(*outcome);
    } catch (const std::bad_alloc&) {
        return report(qm::Verdict::temporary("Out of memory. (#4.3.0)\n"));
    } catch (const std::exception&) {
        return report(qm::Verdict::temporary("Internal error. (#4.3.0)\n"));
    }
}
