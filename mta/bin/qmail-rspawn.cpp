// qmail-rspawn: root mode's remote-delivery helper for qmail-send (requests on fd 0,
// replies on fd 1), running as qmailr. Started by qmail-start; not for direct use.
#include "qm/log.hpp"
#include "qm/program.hpp"
#include "qm/send/rspawn.hpp"

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <new>
#include <stdexcept>

namespace {

constexpr std::string_view help =
    "usage: qmail-rspawn\n"
    "Started by qmail-start in root mode, as user qmailr: reads remote delivery\n"
    "requests from qmail-send on fd 0, delivers each as qmail-remote does (or runs\n"
    "$QMAILREMOTE for each, the message on its stdin), and reports one K/Z/D per\n"
    "recipient on fd 1. Exits when qmail-send closes the socket.\n";

} // namespace

int main(int argc, char** argv) {
    if (qm::program::help_requested({"qmail-rspawn", help}, argc, argv))
        return 0;
    // qmail-send's SIGTERM must not kill deliveries half-way; EOF on fd 0 ends us.
    ::signal(SIGTERM, SIG_IGN);
    ::signal(SIGPIPE, SIG_IGN);
    try {
        if (::geteuid() == 0) {
            // A hostile SMTP server or DNS answer must never meet a root process.
            qm::log::alert("qmail-rspawn: refusing to run as root; qmail-start runs it as qmailr");
            return 111;
        }
        auto s = qm::send::rspawn::serve(0, 1, qm::send::rspawn::remote_program());
        if (!s) {
            qm::log::alert("qmail-rspawn: " + s.error().text);
            return qm::exit_code(s.error());
        }
        return 0;
    } catch (const std::bad_alloc&) {
        return 111;
    } catch (const std::exception&) {
        return 111;
    }
}
