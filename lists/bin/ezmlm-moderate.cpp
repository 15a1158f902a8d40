// ezmlm-moderate [-cCmMrRvV] [-t reply-to] dir [program ...]: acts on a moderator's answer sent to
// list-accept-T.P.COOKIE or list-reject-T.P.COOKIE (ezmlm-moderate(1)).
#include "qm/lists/core/cli.hpp"
#include "qm/lists/moderate/moderation.hpp"

#include <cstdio>

namespace {

constexpr std::string_view help =
    "usage: ezmlm-moderate [-cCmMrRvV] [-t reply-to] dir [program [arg ...]]\n"
    "Run from dir/moderator, which list-accept-default and list-reject-default link to.\n"
    "Checks the cookie in list-accept-T.P.COOKIE / list-reject-T.P.COOKIE against\n"
    "dir/key. accept: the held post dir/mod/pending/T.P goes to every subscriber as\n"
    "ezmlm-send would send it (numbered, archived, from its original sender) and moves\n"
    "to dir/mod/accepted. reject: the poster gets it back with text/mod-reject and the\n"
    "moderator's comment (the lines between two lines starting with %%%), unless\n"
    "dir/noreturnposts exists; it moves to dir/mod/rejected.\n"
    "The same answer again only logs that the post was already handled; the opposite\n"
    "answer, a forged or expired cookie, or a post no longer held bounce to the\n"
    "moderator with the reason. Nothing changes in those cases.\n"
    "With a program after dir (ezmlm-idx 7), an accepted post goes to it instead: it\n"
    "reads the held file (Return-Path line first) on stdin, with SENDER the poster's,\n"
    "in dir; one word runs under /bin/sh -c; its exit 0 is done, 100 permanent, anything\n"
    "else temporary (the post stays held).\n"
    "Switches (ezmlm-idx 7's):\n"
    "  -t reply-to  a Reply-To: reply-to field on the notice a rejected post goes back\n"
    "               with (-T the same)\n"
    "  -r -R -c -C  passed on to the sending, as ezmlm-send takes them\n"
    "  -M / -m      that notice has the post appended to its text / enclosed (default)\n"
    "  -v, -V       the version\n"
    "Environment: SENDER, LOCAL, DEFAULT (from qmail-local); QMAILHOME, QMAILQUEUE;\n"
    "QM_LISTS_NOW (tests).\n"
    "Exit: 0 done (or already done), 100 refused with the reason, 111 temporary trouble.\n";

int refuse(const std::string& text) {
    return qm::lists::cli::fatal("ezmlm-moderate", qm::perm("5.7.1", text));
}

void log_outcome(const std::string& name, const qm::lists::Moderated& done) {
    using Kind = qm::lists::Moderated::Kind;
    switch (done.kind) {
    case Kind::accepted:
        if (done.handed)
            std::fprintf(stderr, "ezmlm-moderate: info: accepted %s: given to the program\n",
                         name.c_str());
        else
            std::fprintf(stderr, "ezmlm-moderate: info: accepted %s: message %lu, qp %d\n",
                         name.c_str(), done.sent.number, static_cast<int>(done.sent.qp));
        break;
    case Kind::rejected:
        if (done.poster_told)
            std::fprintf(stderr, "ezmlm-moderate: info: rejected %s: returned, qp %d\n",
                         name.c_str(), static_cast<int>(done.qp));
        else
            std::fprintf(stderr, "ezmlm-moderate: info: rejected %s: not returned\n", name.c_str());
        break;
    case Kind::already_accepted:
        std::fprintf(stderr, "ezmlm-moderate: info: %s was already accepted\n", name.c_str());
        break;
    case Kind::already_rejected:
        std::fprintf(stderr, "ezmlm-moderate: info: %s was already rejected\n", name.c_str());
        break;
    }
}

} // namespace

int main(int argc, char** argv) {
    namespace cli = qm::lists::cli;
    qm::lists::Release release;
    bool ignored = false;
    auto declare = [&](qm::program::Options& options) {
        options.set('r', release.send.drop_received, false)
            .set('R', release.send.drop_received, true)
            .set('c', ignored, true)
            .set('C', ignored, true)
            .set('m', release.append, false)
            .set('M', release.append, true)
            .store('t', release.reply_to, "an address")
            .store('T', release.reply_to, "an address");
    };
    return cli::run_on_command(
        "ezmlm-moderate", argc, argv, help, "[-cCmMrRvV] [-t reply-to] dir [program [arg ...]]",
        declare,
        [&](const std::string& dir, const std::vector<std::string>& then,
            const cli::CommandDelivery& delivery) {
            release.program = then;
            auto request =
                qm::lists::parse_moderation_request(delivery.local, delivery.default_part);
            if (!request)
                return refuse("this is not a moderation address I understand (" + delivery.local +
                              ")");
            auto reply = cli::read_message();
            if (!reply)
                return cli::fatal("ezmlm-moderate", reply.error());
            auto done = qm::lists::moderate_post(dir, *request, *reply, release);
            if (!done)
                return cli::fatal("ezmlm-moderate", done.error());
            log_outcome(request->name.text(), *done);
            return 0;
        });
}
