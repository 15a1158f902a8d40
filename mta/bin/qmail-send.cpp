// qmail-send [aliasempty]: the queue manager. Normally started by qmail-start.
#include "qm/log.hpp"
#include "qm/send/scheduler.hpp"

#include <cstdio>
#include <cstring>
#include <new>
#include <stdexcept>

int main(int argc, char** argv) {
    if (argc > 1 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)) {
        std::puts("usage: qmail-send [aliasempty]\n"
                  "Delivers the messages in $QMAILHOME/queue (default /var/qmail/queue).\n"
                  "aliasempty is the default delivery for addresses without a .qmail file\n"
                  "(default ./Mailbox; e.g. ./Maildir/). Usually started by qmail-start.\n"
                  "Activity log on stderr. Signals: TERM finish deliveries and exit, ALRM retry\n"
                  "everything now, HUP reread control/locals and control/virtualdomains.");
        return 0;
    }
    try {
        auto settings = qm::send::load_settings(argc > 1 ? argv[1] : "./Mailbox");
        if (!settings) {
            qm::log::alert("cannot start: " + settings.error().text);
            return qm::exit_code(settings.error());
        }
        if (auto s = qm::send::run(std::move(*settings)); !s) {
            qm::log::alert("cannot start: " + s.error().text);
            return qm::exit_code(s.error());
        }
        return 0;
    } catch (const std::bad_alloc&) {
        qm::log::alert("out of memory");
        return 111;
    } catch (const std::exception& e) {
        qm::log::alert(std::string("internal error: ") + e.what());
        return 111;
    }
}
