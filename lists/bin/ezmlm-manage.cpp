// ezmlm-manage [-aAbBcCdDeEfFlLmMnNqsSuUvV] dir: answers list-<command>@host, run from the list's
// manager file (ezmlm-manage(1)).
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
    "usage: ezmlm-manage [-aAbBcCdDeEfFlLmMnNqsSuUvV] dir\n"
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
    "Switches (ezmlm-idx 7's; a switch overrides the flag file it names):\n"
    "  -m / -M  with modsub, unsubscriptions need a moderator's approval too / do not\n"
    "  -S / -s  as nosubconfirm / not: no handshake when the target subscribes itself\n"
    "  -U / -u  as nounsubconfirm / not, for unsubscribing\n"
    "  -l / -L  as modcanlist / not\n"
    "  -e / -E  as modcanedit / not (-d / -D the same)\n"
    "  -B / -b  as omitbottom (replies without text/bottom) / not\n"
    "  -C / -c  refuse get requests / leave them to ezmlm-get, earlier in the manager\n"
    "  -N / -n  do not tell the target of a change made by a moderator, or made without\n"
    "           its handshake / do (default)\n"
    "  -f / -F  put the From: field of a subscription's mail in its Log line / do not\n"
    "           (default)\n"
    "  -A / -a  no info line on stderr / one (default)\n"
    "  -q       the owner is not told of events (the default)\n"
    "  -Q       list-owner gets a copy of the answer to an unsubscription that found\n"
    "           nobody; -QQ also of every answer that added or removed someone\n"
    "  -v, -V   the version\n"
    "Environment: SENDER, DEFAULT (or LOCAL), QM_LISTS_NOW; QMAILHOME, QMAILQUEUE.\n"
    "Exit: 0 answered, 100 refused (the sender gets the reason), 111 temporary trouble\n"
    "(nothing changed that a retry would not repeat).\n";

constexpr std::string_view synopsis = "[-aAbBcCdDeEfFlLmMnNqQsSuUvV] dir";

int manage(qm::program::Words args) {
    namespace cli = qm::lists::cli;
    qm::lists::ManageOptions o;
    bool show_action = true;
    bool asked_version = false;
    qm::program::Options options(qm::program::Order::anywhere);
    options.set('m', o.unsubscribe_moderated, true)
        .set('M', o.unsubscribe_moderated, false)
        .set('S', o.nosubconfirm, true)
        .set('s', o.nosubconfirm, false)
        .set('U', o.nounsubconfirm, true)
        .set('u', o.nounsubconfirm, false)
        .set('l', o.modcanlist, true)
        .set('L', o.modcanlist, false)
        .set('e', o.modcanedit, true)
        .set('E', o.modcanedit, false)
        .set('d', o.modcanedit, true)
        .set('D', o.modcanedit, false)
        .set('B', o.omit_bottom, true)
        .set('b', o.omit_bottom, false)
        .set('C', o.get, false)
        .set('c', o.get, true)
        .set('N', o.notify, false)
        .set('n', o.notify, true)
        .set('f', o.log_from, true)
        .set('F', o.log_from, false)
        .set('A', show_action, false)
        .set('a', show_action, true)
        .flag('q', [&o] { o.copy_owner = 0; })
        .flag('Q', [&o] { ++o.copy_owner; });
    cli::declare_version(options, asked_version);
    auto dirs = options.parse(args);
    if (!dirs)
        return cli::usage("ezmlm-manage", synopsis, dirs.error());
    if (asked_version)
        return cli::version();
    if (dirs->size() != 1)
        return cli::usage("ezmlm-manage", synopsis);
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
    auto done = qm::lists::run_manage(dirs->front(), env, *message, o);
    if (!done)
        return cli::fatal("ezmlm-manage", done.error());
    if (show_action)
        std::fprintf(stderr, "ezmlm-manage: info: %s\n", done->info.c_str());
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    return qm::lists::cli::run("ezmlm-manage", argc, argv, help, manage);
}
