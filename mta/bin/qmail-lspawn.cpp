// qmail-lspawn aliasempty: root mode's privileged helper for qmail-send (requests on fd 0,
// replies on fd 1). Started by qmail-start; not for direct use.
#include "qm/log.hpp"
#include "qm/program.hpp"
#include "qm/send/lspawn.hpp"

#include <signal.h>

#include <cstdio>
#include <new>
#include <stdexcept>

namespace {

constexpr std::string_view help =
    "usage: qmail-lspawn aliasempty\n"
    "Started by qmail-start in root mode: reads delivery and clean-up requests\n"
    "from qmail-send on fd 0, delivers each as the recipient's user (never as\n"
    "root) and reports K/Z/D on fd 1. Exits when qmail-send closes the socket.\n";

} // namespace

int main(int argc, char** argv) {
    if (qm::program::help_requested({"qmail-lspawn", help}, argc, argv))
        return 0;
    // qmail-send's SIGTERM must not kill deliveries half-way; EOF on fd 0 ends us.
    ::signal(SIGTERM, SIG_IGN);
    ::signal(SIGPIPE, SIG_IGN);
    try {
        auto s = qm::send::lspawn::serve(0, 1, argc > 1 ? argv[1] : "./Mailbox");
        if (!s) {
            qm::log::alert("qmail-lspawn: " + s.error().text);
            return qm::exit_code(s.error());
        }
        return 0;
    } catch (const std::bad_alloc&) {
        return 111;
    } catch (const std::exception&) {
        return 111;
    }
}
