// qmail-queue: message on fd 0, envelope on fd 1; exit 0 only once both are on disk.
#include "qm/env.hpp"
#include "qm/home.hpp"
#include "qm/program.hpp"
#include "qm/queue/enqueue.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <string>

namespace {

constexpr std::string_view help =
    "usage: qmail-queue  (message on fd 0, envelope on fd 1)\n"
    "Queues a message for delivery. Envelope: F<sender>\\0 (T<recipient>\\0)* \\0.\n"
    "Exit 0: queued and on disk. 11-40: permanent failure. Others: temporary.\n"
    "The mail root is $QMAILHOME (default /var/qmail). Installed set-uid, it\n"
    "ignores its environment: the root is the directory above its bin/, which\n"
    "must belong to root (else exit 61).\n";

void on_alarm(int) {
    ::_exit(static_cast<int>(qm::QueueExit::timeout));
}

} // namespace

// Not qm::program::run: qmail-queue's exit codes are its interface (qmail-queue(8)), and
// its own, not 111, say what went wrong.
int main(int argc, char** argv) {
    if (qm::program::help_requested({"qmail-queue", help}, argc, argv))
        return 0;
    ::umask(033);
    struct sigaction sa {};
    sa.sa_handler = on_alarm;
    ::sigaction(SIGALRM, &sa, nullptr);
    ::alarm(86400);
    signal(SIGPIPE, SIG_IGN);
    try {
        if (qm::privileged()) {
            // Set-uid qmailq: the caller chose our environment, so $QMAILHOME could name
            // a tree of theirs; only the root we are installed in is ours to write.
            if (auto home = qm::installed_home(); !home) {
                std::fprintf(stderr, "qmail-queue: no trusted mail root: %s\n",
                             home.error().text.c_str());
                return static_cast<int>(qm::QueueExit::home_dir_trouble);
            }
        }
        auto layout = qm::queue::Layout::from_home();
        // AT_EACCESS: as a setuid qmailq program the effective uid is what counts.
        if (::faccessat(AT_FDCWD, layout.root.c_str(), X_OK, AT_EACCESS) != 0)
            return static_cast<int>(qm::QueueExit::queue_dir_trouble);
        qm::queue::EnqueueRequest req;
        req.received_how = qm::queue::invoked_how();
        auto durability = qm::queue::durability_from_control();
        if (!durability) {
            std::fprintf(stderr, "qmail-queue: %s\n", durability.error().text.c_str());
            return static_cast<int>(qm::QueueExit::config_error);
        }
        req.durability = *durability;
        return static_cast<int>(qm::queue::enqueue(layout, req));
    } catch (const std::bad_alloc&) {
        return static_cast<int>(qm::QueueExit::out_of_memory);
    } catch (...) {
        return static_cast<int>(qm::QueueExit::internal_bug);
    }
}
