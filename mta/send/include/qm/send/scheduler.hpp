// qmail-send (qmail-send(8)): one event loop that turns todo/N into info/N, local/N and
// remote/N, schedules deliveries with qmail's concurrency limits and quadratic retry
// schedule, checkpoints each finished recipient in place, and sends one QSBMF bounce per
// message once every recipient is done. The scheduler knows its two channels only by
// index, as qmail-send's chanaddr[]: each pass over a channel file is cut into attempts
// (one recipient for local, one domain and sender for remote), and every attempt ends in
// one qm::Verdict per recipient. How a channel delivers is chosen at start: local
// deliveries on worker threads through qm::local, or through qmail-lspawn in root mode;
// remote deliveries as SMTP or QMTP sessions on this loop (qm::remote), or through
// qmail-rspawn and qmail-remote as qmailr in root mode.
#pragma once

#include "qm/remote/client.hpp"
#include "qm/result.hpp"
#include "qm/routing.hpp"
#include "qm/send/bounce.hpp"

#include <sys/types.h>

#include <ctime>
#include <string>

namespace qm::send {

struct Settings {
    std::string default_delivery = "./Mailbox"; // qmail-start's aliasempty argument
    unsigned concurrency_local = 10;            // control/concurrencylocal
    unsigned concurrency_remote = 20;           // control/concurrencyremote (connections)
    std::time_t queue_lifetime = 604800;        // control/queuelifetime
    BounceSettings bounce;
    Routing routing;
    remote::ClientConfig remote; // helohost, timeouts, smtproutes, DNS servers
    // Root mode: a socket to qmail-lspawn, which delivers and removes qmailq's files;
    // -1 = deliver in this process (as root: in a child that takes the recipient's uid).
    int lspawn_fd = -1;
    // Root mode: a socket to qmail-rspawn, which runs qmail-remote as qmailr; -1 = remote
    // deliveries in this process.
    int rspawn_fd = -1;
    // control/journal 1 under qmail-start: qmail-journald, our child. Should it exit,
    // qmail-send reaps it and stops too (nothing can be queued or ended without it, and
    // only a new start may run its recovery); 0 = none to watch.
    pid_t journald_pid = 0;
};

// Every control file qmail-send reads at start (qmail-control(5) defaults).
[[nodiscard]] Result<Settings> load_settings(std::string default_delivery);

// Holds lock/sendmutex and runs until SIGTERM, after which in-flight deliveries finish and
// the retry schedule is saved in the channel files' mtimes. A failure means it could not
// start (another qmail-send holds the lock, the queue is missing) or, in root mode, that
// qmail-lspawn went away (the schedule is saved all the same).
[[nodiscard]] Status run(Settings settings);

} // namespace qm::send
