// ezmlm-manage [-m] dir: answers list-<command>@host, run from the list's manager file
// (ezmlm-manage(1)).
#include "qm/fd.hpp"
#include "qm/lists/core/cli.hpp"
#include "qm/lists/manage/manage.hpp"

#include <signal.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <map>

namespace {

constexpr std::string_view help =
    "usage: ezmlm-manage [-m] dir\n"
    "Run from the list's manager file (list-default): |ezmlm-manage /path/list\n"
    "Answers the command in DEFAULT (list-COMMAND[-box=domain]@host):\n"
    "  subscribe, unsubscribe   ask the target (box@domain, else the sender) to confirm\n"
    "                           by replying to list-sc.T.COOKIE-box=domain / list-uc....\n"
    "  sc. uc.                  the target's confirmation: (un)subscribes it\n"
    "  tc. vc.                  a moderator's approval (dir/modsub; vc. with -m)\n"
    "  rc. wc.                  a remote admin's confirmation (dir/remote)\n"
    "  query                    tells the target whether it is subscribed\n"
    "  help, info, faq          text/help, text/info, text/faq (anything else: help)\n"
    "  list, listn, log         subscribers, their number, dir/Log (moderators only,\n"
    "                           with dir/modcanlist)\n"
    "  edit                     the names of the editable text/ files (moderators only,\n"
    "                           with dir/modcanedit and dir/remote)\n"
    "  edit.FILE                text/FILE between %%% START/END OF TEXT FILE lines, with\n"
    "                           Reply-To list-ed.T.COOKIE-FILE (valid 100,000 s, for this\n"
    "                           moderator, and only while the file is unchanged)\n"
    "  ed.T.COOKIE-FILE         the reply: the text between the markers (quoted-printable\n"
    "                           or base64 decoded, \"> \" quoting removed, at most 5120\n"
    "                           bytes) replaces text/FILE\n"
    "  digest-, allow-, deny-   in front of a command: dir/digest, dir/allow, dir/deny\n"
    "Flags in dir: public, nosubconfirm, nounsubconfirm (only for the sender itself),\n"
    "modsub, remote, modcanlist, modcanedit. Moderators are the subscribers of dir/mod.\n"
    "Every change is logged in dir/Log as \"TIME +ADDRESS\" or \"TIME -ADDRESS\".\n"
    "-m: with modsub, unsubscriptions need a moderator's approval too.\n"
    "Environment: SENDER, DEFAULT (or LOCAL), QM_LISTS_NOW; QMAILHOME, QMAILQUEUE.\n"
    "Exit: 0 answered, 100 refused (the sender gets the reason), 111 temporary trouble\n"
    "(nothing changed that a retry would not repeat).\n";

int manage(qm::program::Words args) {
    namespace cli = qm::lists::cli;
    bool unsubscribe_moderated = false;
    qm::program::Options options(qm::program::Order::anywhere);
    options.set('m', unsubscribe_moderated, true).set('M', unsubscribe_moderated, false);
    auto dirs = options.parse(args);
    if (!dirs)
        return cli::usage("ezmlm-manage", "[-m] dir", dirs.error());
    if (dirs->size() != 1)
        return cli::usage("ezmlm-manage", "[-m] dir");
    ::umask(022);
    ::signal(SIGPIPE, SIG_IGN);
    std::map<std::string, std::string> env;
    for (const char* name : {"SENDER", "DEFAULT", "LOCAL"})
        if (const char* v = std::getenv(name))
            env[name] = v;
    auto message = qm::read_all(0);
    if (!message)
        return cli::fatal("ezmlm-manage",
                          qm::temp("4.3.0", "unable to read input: " + message.error().text));
    auto done = qm::lists::run_manage(dirs->front(), env, *message, unsubscribe_moderated);
    if (!done)
        return cli::fatal("ezmlm-manage", done.error());
    std::fprintf(stderr, "ezmlm-manage: info: %s\n", done->info.c_str());
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    return qm::lists::cli::run("ezmlm-manage", argc, argv, help, manage);
}
