// ezmlm-confirm [-cCrRvV] dir [program ...]: acts on a poster's answer sent to
// list-confirm-T.P.COOKIE or list-discard-T.P.COOKIE (ezmlm-confirm(1)).
#include "qm/lists/core/cli.hpp"
#include "qm/lists/moderate/moderation.hpp"

#include <cstdio>

namespace {

constexpr std::string_view help =
    "usage: ezmlm-confirm [-cCrRvV] dir [program [arg ...]]\n"
    "Run from dir/confirmer, which list-confirm-default and list-discard-default link to\n"
    "(ezmlm-make -y). Checks the cookie in list-confirm-T.P.COOKIE /\n"
    "list-discard-T.P.COOKIE against dir/key, the post dir/mod/unconfirmed/T.P that\n"
    "ezmlm-store keeps for its poster, and that poster's address.\n"
    "confirm: with dir/modpost the post goes on to the moderators as ezmlm-store holds\n"
    "it (dir/mod/pending, a MODERATE request); otherwise every subscriber gets it as\n"
    "ezmlm-send would send it (numbered, archived, from its original sender).\n"
    "discard: the post is removed and nobody gets it.\n"
    "Either way it leaves dir/mod/unconfirmed. A forged or expired cookie, or a post no\n"
    "longer waiting (already confirmed or discarded, or timed out), bounces to the sender\n"
    "with the reason; nothing changes then.\n"
    "With a program after dir (ezmlm-idx 7's confirmer: ezmlm-store -Y dir, or\n"
    "ezmlm-gate -Y dir . digest allow mod), a confirmed post goes to it instead: it\n"
    "reads the waiting file (Return-Path line first) on stdin, with SENDER the poster's,\n"
    "in dir; one word runs under /bin/sh -c; its exit 0 is done, 100 permanent, anything\n"
    "else temporary (the post keeps waiting).\n"
    "Switches (ezmlm-idx 7's): -r -R -c -C passed on to the sending, as ezmlm-send takes\n"
    "them; -v, -V the version.\n"
    "Environment: SENDER, LOCAL, DEFAULT (from qmail-local); QMAILHOME, QMAILQUEUE;\n"
    "QM_LISTS_NOW (tests).\n"
    "Exit: 0 done (the rest of dir/confirmer runs), 100 refused with the reason, 111\n"
    "temporary trouble.\n";

void log_outcome(const std::string& name, const qm::lists::Confirmed& done) {
    using Kind = qm::lists::Confirmed::Kind;
    switch (done.kind) {
    case Kind::sent:
        std::fprintf(stderr, "ezmlm-confirm: info: confirmed %s: message %lu, qp %d\n",
                     name.c_str(), done.sent.number, static_cast<int>(done.sent.qp));
        break;
    case Kind::held:
        std::fprintf(stderr,
                     "ezmlm-confirm: info: confirmed %s: held as %s for %zu moderator(s), "
                     "qp %d\n",
                     name.c_str(), done.stored.name.text().c_str(), done.stored.moderators,
                     static_cast<int>(done.stored.qp));
        break;
    case Kind::handed:
        std::fprintf(stderr, "ezmlm-confirm: info: confirmed %s: given to the program\n",
                     name.c_str());
        break;
    case Kind::discarded:
        std::fprintf(stderr, "ezmlm-confirm: info: discarded %s at its poster's request\n",
                     name.c_str());
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
            .set('C', ignored, true);
    };
    return cli::run_on_command(
        "ezmlm-confirm", argc, argv, help, "[-cCrRvV] dir [program [arg ...]]", declare,
        [&](const std::string& dir, const std::vector<std::string>& then,
            const cli::CommandDelivery& delivery) {
            release.program = then;
            auto request = qm::lists::parse_confirm_request(delivery.local, delivery.default_part);
            if (!request)
                return cli::fatal("ezmlm-confirm",
                                  qm::perm("5.7.1", "this is not a confirmation address I "
                                                    "understand (" +
                                                        delivery.local + ")"));
            auto done = qm::lists::confirm_post(dir, *request, release);
            if (!done)
                return cli::fatal("ezmlm-confirm", done.error());
            log_outcome(request->name.text(), *done);
            return 0;
        });
}
