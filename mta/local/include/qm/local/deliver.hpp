// Local delivery (qmail-lspawn + qmail-getpw + qmail-local, dot-qmail(5)): who receives
// mail for a local part, and delivering one message to one local recipient by following
// its .qmail file (mbox, maildir, |program, &forward) or the default delivery.
//
// qmail-send calls resolve() then deliver() in-process (worker threads) when it runs as
// the recipient's uid already (normal-user mode). As root (qmail-lspawn, or qmail-send
// run as root), deliver_in_child() runs the qmail-local program as the recipient
// (never uid 0) instead, so that the delivery's process holds nothing of the caller.
// deliver() is thread-safe: it never chdir()s, never touches the process environment,
// and runs programs through fork+exec with their cwd and environment set in the child.
#pragma once

#include "qm/result.hpp"
#include "qm/verdict.hpp"

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace qm::local {

// The account that receives mail for a local part (users/assign, passwd, or alias).
struct Recipient {
    std::string user;
    uid_t uid = 0;
    gid_t gid = 0;
    std::string home;
    std::string dash; // "" (the user's own address) or "-"
    std::string ext;  // extension after the dash
};

// users/cdb first, then the passwd database (uid != 0, home owned by the user), then the
// alias user (<home>/alias). Temporary failure if users/cdb is unreadable or there is no
// alias user.
[[nodiscard]] Result<Recipient> resolve(std::string_view local_part);

struct Delivery {
    int message_fd = -1;          // seekable, read from offset 0 (queue/mess/S/N)
    std::string sender;           // envelope sender, VERP already expanded by qmail-send
    std::string local;            // local part as addressed (case preserved)
    std::string domain;           // domain as addressed
    std::string default_delivery; // qmail-start's aliasempty, e.g. "./Maildir/"
    Recipient who;
    // The message's id in qmail-journald's journal (qmail-journal(5)), 0 for none. With
    // one, each maildir delivery gets a name made from it, the recipient and the .qmail
    // line, the same on every attempt: a delivery made again after a crash (done before
    // the crash, not yet marked) finds its file there and is not made twice.
    std::uint64_t journal_id = 0;
};

// Delivers in the calling process, as the calling uid. The verdict's text is qmail-local's
// output with its newlines: program output, then "did F+W+P\n" and "qp N\n" after a
// forward, or the failure text ending in "(#x.y.z)\n". Loggers pass it through
// qm::log::safe_text.
[[nodiscard]] Verdict deliver(const Delivery& d);

struct DeliverOptions {
    // qmail-local -n: no loop check, nothing delivered; the instructions are listed
    // ("mbox ./Mailbox", "maildir ./Maildir/", "program ...", "forward ...").
    bool dry_run = false;
};
[[nodiscard]] Verdict deliver(const Delivery& d, const DeliverOptions& opts);

// A delivery's word to whoever runs it that its work is done and it now waits only for
// the disk: called once, at the first flush of a maildir or mbox delivery made in this
// thread while the notice is set. qmail-send then gives the delivery's concurrency slot to
// the next one (concurrencylocal bounds the deliveries doing work, not the ones waiting
// for a flush), and flushes that wait side by side share the file system's commits.
class FlushWaitNotice {
public:
    explicit FlushWaitNotice(std::function<void()> notify);
    ~FlushWaitNotice();
    FlushWaitNotice(const FlushWaitNotice&) = delete;
    FlushWaitNotice& operator=(const FlushWaitNotice&) = delete;

private:
    std::function<void()> notify_;
    std::function<void()>* outer_;
};
// How a root process starts a delivery: the qmail-local program and the whole
// environment it gets. Built once, before any delivery, from trusted sources only.
struct LocalProgram {
    std::string path;             // absolute; empty if it could not be found
    std::vector<std::string> env; // "NAME=value", the complete environment
};
// qmail-local beside the running program (/proc/self/exe, never the environment or the
// mail root: a root process runs only what was installed with it), and an environment
// made afresh: QMAILHOME (our own root), PATH (ours, else a default), and TZ, QMAILQUEUE
// and QM_LISTS_NOW when we have them. Our environment came from root (qmail-start).
[[nodiscard]] LocalProgram local_program();

// Runs prog as qmail-local(8) for one delivery: fork; the child takes who.gid and who.uid
// (uid 0 refused with "Not allowed to perform deliveries as root."), gets the message on
// fd 0 and a fresh report pipe on fd 1 and 2 and no other descriptor, default signals,
// and execs prog with prog.env. The exit code gives the kind (0 success, 100 permanent,
// 111 temporary) and the output the text (first 64 KiB, NULs dropped); anything else,
// or no output, is temporary "qmail-local crashed.". Safe to call from many threads.
[[nodiscard]] Verdict deliver_in_child(const Delivery& d, const LocalProgram& prog);

// The one per-recipient flow of local delivery, whoever runs it (qmail-send's worker
// threads in normal-user mode, qmail-lspawn in root mode): for a recipient "local@domain"
// of a queued message, an empty local part succeeds at once ("<>" and "@domain" have
// nothing to deliver and nothing to bounce); otherwise resolve() the account, open the
// message, and deliver: through deliver_in_child() as root (with *program, or
// local_program() when null), never as uid 0, else deliver() in this process (normal-user
// mode, where every delivery runs as us). A failure before the delivery starts is its
// verdict, e.g. Z "Unable to find alias user! (#4.3.0)\n" or Z "Unable to open message
// file. (#4.3.0)\n".
struct LocalJob {
    std::string message_path;     // queue/mess/S/N
    std::string sender;           // VERP already expanded
    std::string recipient;        // local@domain, as qmail-send routed it
    std::string default_delivery; // qmail-start's argument
    const LocalProgram* program = nullptr;
    std::uint64_t journal_id = 0; // Delivery::journal_id
};
[[nodiscard]] Verdict deliver_recipient(const LocalJob& job);

} // namespace qm::local
