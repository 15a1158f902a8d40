// ezmlm-get [-bBcCpPsSvV] [-f format] dir [digestcode]: archive retrieval by mail and digests
// (ezmlm-get(1)), run from the list's manager file before ezmlm-manage, from its editor file after
// ezmlm-send on digested lists, or by hand or from cron to send a digest now.
#include "qm/fd.hpp"
#include "qm/lists/archive/get.hpp"
#include "qm/lists/core/cli.hpp"
#include "qm/lists/core/clock.hpp"

#include <signal.h>
#include <sys/stat.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

namespace {

constexpr std::string_view help =
    "usage: ezmlm-get [-bBcCpPsSvV] [-f format] dir [digestcode]\n"
    "From dir/manager (before ezmlm-manage), answers requests to\n"
    "  list-get[f].N_M   messages N..M from the archive (at most 100; without N_M the\n"
    "                    last 30, or those since the last digest) as one digest\n"
    "  list-index[.N_M]  the subject/author index, in blocks of 100 (indexed lists)\n"
    "  list-thread[f].N  all messages with the subject of message N (indexed lists)\n"
    "  list-dig.CODE[f]  a digest now; CODE is digestcode or dir/digestcode\n"
    "  f: m MIME multipart/digest (default, or dir/digformat), x multipart/mixed,\n"
    "     v whole messages, n whole messages in numerical order, r RFC 1153 plain\n"
    "     text (text/plain parts only, in UTF-8; other parts noted as left out).\n"
    "Missing messages are answered with dir/text/get-bad. Retrieval needs dir/public\n"
    "(else only moderators, with dir/remote); dir/modgetonly: moderators only;\n"
    "dir/subgetonly: subscribers (list, digest or allow) only.\n"
    "From dir/editor (after ezmlm-send), sends a digest to dir/digest's subscribers when\n"
    "dir/digcount posts (default 30), dir/digsize KB (64) or dir/digtime hours (48)\n"
    "have gathered; with LOCAL unset (by hand, cron) sends one now if there are posts.\n"
    "State: dir/dignum, dir/digissue.\n"
    "Switches (ezmlm-idx 7's; a switch overrides the flag file it names):\n"
    "  -f format  the default format (m x v n r, as above) instead of dir/digformat's\n"
    "  -p / -P    retrieval open to all / to moderators only, whatever dir/public and\n"
    "             dir/modgetonly say\n"
    "  -s / -S    as subgetonly / not\n"
    "  -B / -b    as omitbottom (replies without text/bottom) / not\n"
    "  -C / -c    answer digest requests only (the rest go on to ezmlm-manage) / all\n"
    "  -v, -V     the version\n"
    "Environment: LOCAL, DEFAULT, SENDER; QMAILHOME, QMAILQUEUE; QM_LISTS_NOW (clock).\n"
    "Exit: 99 request handled (skip ezmlm-manage), 0 not a retrieval request (or no\n"
    "digest due), 100 refused (the sender gets the reason), 111 temporary trouble.\n";

std::optional<std::string> env(const char* name) {
    const char* v = std::getenv(name);
    return v ? std::optional<std::string>(v) : std::nullopt;
}

constexpr std::string_view synopsis = "[-bBcCpPsSvV] [-f format] dir [digestcode]";

int get(qm::program::Words args) {
    namespace cli = qm::lists::cli;
    qm::lists::GetEnvironment e;
    bool asked_version = false;
    qm::program::Options options(qm::program::Order::anywhere);
    options.set('B', e.omit_bottom, true)
        .set('b', e.omit_bottom, false)
        .set('C', e.commands, false)
        .set('c', e.commands, true)
        .set('p', e.open_to_all, true)
        .set('P', e.open_to_all, false)
        .set('s', e.subscribers_only, true)
        .set('S', e.subscribers_only, false)
        .argument(
            'f',
            [&e](const std::string& value) {
                if (value.empty())
                    return false;
                e.format = qm::lists::collection_format(
                    static_cast<char>(std::tolower(static_cast<unsigned char>(value.front()))));
                return e.format.has_value();
            },
            "a format letter (m x v n r)");
    cli::declare_version(options, asked_version);
    auto words = options.parse(args);
    if (!words)
        return cli::usage("ezmlm-get", synopsis, words.error());
    if (asked_version)
        return cli::version();
    if (words->empty() || words->size() > 2)
        return cli::usage("ezmlm-get", synopsis);
    const std::string& dir = words->front();
    ::umask(022);
    ::signal(SIGPIPE, SIG_IGN);
    e.local = env("LOCAL");
    e.default_part = env("DEFAULT");
    e.sender = env("SENDER");
    if (words->size() == 2)
        e.digest_code = (*words)[1];
    e.now = qm::lists::now();
    // Only a request is read (its header goes into the reply); a post or a run by
    // hand has nothing there that ezmlm-get needs.
    std::string message;
    if (e.local && !e.local->empty() && e.default_part) {
        auto in = qm::read_all(0);
        if (!in)
            return cli::fatal("ezmlm-get",
                              qm::temp("4.3.0", "unable to read input: " + in.error().text));
        message = std::move(*in);
    }
    auto outcome = qm::lists::run_get(dir, e, message);
    if (!outcome)
        return cli::fatal("ezmlm-get", outcome.error());
    if (!outcome->info.empty()) {
        std::string line = "ezmlm-get: info: " + outcome->info;
        if (outcome->qp)
            line += ": qp " + std::to_string(outcome->qp);
        std::fputs((line + "\n").c_str(), stderr);
    }
    return outcome->exit_code;
}

} // namespace

int main(int argc, char** argv) {
    return qm::lists::cli::run("ezmlm-get", argc, argv, help, get);
}
