// fastforward [ -nNpPdD ] table.cdb: forwards a message according to a forwarding table,
// run from a .qmail file (fastforward(1) 0.51).
#include "qm/fwd/fastforward.hpp"

#include "qm/fwd/cli.hpp"

#include <cstdio>
#include <cstdlib>

namespace {

constexpr std::string_view help =
    "usage: fastforward [ -nNpPdD ] table.cdb\n"
    "Run from a .qmail file: | fastforward -d /etc/aliases.cdb\n"
    "Looks the recipient up in table.cdb (made by newaliases or setforward), runs the\n"
    "programs and forwards one copy to every address found, through qmail-queue, with\n"
    "the list owner (?target record) as envelope sender.\n"
    "  -n  print what would be done (run, from, to); read no message, send nothing\n"
    "  -N  deliver (default)\n"
    "  -p  pass through: exit 0 if the recipient is not in the table, 99 after forwarding\n"
    "  -P  bounce a recipient not in the table (default)\n"
    "  -d  recipient is $DEFAULT@$HOST ($EXT@$HOST if DEFAULT is unset)\n"
    "  -D  recipient is $RECIPIENT (default)\n"
    "Environment: SENDER, RECIPIENT, DEFAULT, EXT, HOST, DTLINE; QMAILHOME, QMAILQUEUE.\n"
    "Exit: 0 done (99 with -p), 100 permanent (unknown recipient, program failed\n"
    "permanently), 111 temporary (table or list unreadable, queue trouble).\n";

std::string env_or(const char* name, const char* dflt) {
    const char* v = std::getenv(name);
    return v ? v : dflt;
}

int fastforward(qm::program::Words args) {
    namespace cli = qm::fwd::cli;
    qm::fwd::FastforwardRequest req;
    bool use_default = false;
    qm::program::Options options(qm::program::Order::anywhere);
    options.set('n', req.dry_run, true)
        .set('N', req.dry_run, false)
        .set('p', req.pass_through, true)
        .set('P', req.pass_through, false)
        .set('d', use_default, true)
        .set('D', use_default, false);
    auto tables = options.parse(args);
    if (!tables)
        return cli::usage("fastforward", "[ -nNpP ] data.cdb", tables.error());
    if (tables->empty())
        return cli::usage("fastforward", "[ -nNpP ] data.cdb");
    req.table = tables->front();
    if (use_default) {
        const char* local = std::getenv("DEFAULT");
        if (!local)
            local = std::getenv("EXT");
        if (!local)
            return cli::fatal("fastforward", qm::perm("5.3.5", "$DEFAULT or $EXT must be set"));
        const char* host = std::getenv("HOST");
        if (!host)
            return cli::fatal("fastforward", qm::perm("5.3.5", "$HOST must be set"));
        req.recipient = std::string(local) + "@" + host;
    } else {
        const char* r = std::getenv("RECIPIENT");
        if (!r)
            return cli::fatal("fastforward", qm::perm("5.3.5", "$RECIPIENT must be set"));
        req.recipient = r;
    }
    // The original's placeholder keeps -n output readable outside qmail-local.
    req.sender = env_or("SENDER", "original envelope sender");
    req.dtline = env_or("DTLINE", "");
    int message_fd = 0;
    if (!req.dry_run) {
        auto fd = qm::fwd::seekable_message(0);
        if (!fd)
            return cli::fatal("fastforward", fd.error());
        message_fd = *fd;
    }
    auto code = qm::fwd::fastforward(req, message_fd, [](const std::string& line) {
        std::fprintf(stderr, "%s%s\n", line.rfind("qp ", 0) == 0 ? "fastforward: " : "",
                     line.c_str());
    });
    if (!code) {
        if (code.error().dsn == "5.1.1") {
            // qmail-local shows this text to the sender; keep the original wording.
            std::fputs("Sorry, no mailbox here by that name. (#5.1.1)\n", stderr);
            return 100;
        }
        return cli::fatal("fastforward", code.error());
    }
    return *code;
}

} // namespace

int main(int argc, char** argv) {
    return qm::program::run({"fastforward", help}, argc, argv, fastforward);
}
