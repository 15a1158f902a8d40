// Local delivery (qmail-lspawn + qmail-getpw + qmail-local, dot-qmail(5)): who receives
// mail for a local part, and delivering one message to one local recipient by following
// its .qmail file (mbox, maildir, |program, &forward) or the default delivery.
//
// qmail-send calls resolve() then deliver() in-process (worker threads) when it runs as
// the recipient's uid already (normal-user mode), or deliver_in_child() which forks,
// drops to the recipient's uid/gid (never uid 0) and delivers there (root mode).
// deliver() is thread-safe: it never chdir()s, never touches the process environment,
// and runs programs through fork+exec with their cwd and environment set in the child.
#pragma once

#include "qm/result.hpp"

#include <sys/types.h>

#include <string>
#include <string_view>

namespace qm::local {

// qmail-lspawn's report letter: K success, Z temporary (retry), D permanent (bounce).
struct Report {
    enum class Kind { success, temporary, permanent };
    Kind kind = Kind::temporary;
    std::string text; // qmail-local's output, e.g. "did 1+0+0\n" or the failure reason

    [[nodiscard]] char letter() const {
        return kind == Kind::success ? 'K' : kind == Kind::temporary ? 'Z' : 'D';
    }
};

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
};

// Delivers in the calling process, as the calling uid. Report::text is qmail-local's
// output with its newlines: program output, then "did F+W+P\n" and "qp N\n" after a
// forward, or the failure text ending in "(#x.y.z)\n". Loggers pass it through
// qm::log::safe_text.
[[nodiscard]] Report deliver(const Delivery& d);

struct DeliverOptions {
    // qmail-local -n: no loop check, nothing delivered; the instructions are listed
    // ("mbox ./Mailbox", "maildir ./Maildir/", "program ...", "forward ...").
    bool dry_run = false;
};
[[nodiscard]] Report deliver(const Delivery& d, const DeliverOptions& opts);
// Forks; the child drops to who.uid/who.gid (refusing uid 0 with
// "ZNot allowed to perform deliveries as root.") and calls deliver(); the report comes back
// over a pipe. Used by qmail-send when running as root.
[[nodiscard]] Report deliver_in_child(const Delivery& d);

// qmail-lspawn in one call, for one recipient "local@domain" of a queued message:
// an empty local part succeeds at once; otherwise resolve(), then deliver_in_child() as
// root or deliver() in this process (normal-user mode, where every delivery runs as us).
// A resolve() failure comes back as its report, e.g. Z "Unable to find alias user!\n".
struct LocalJob {
    int message_fd = -1;          // seekable, read from offset 0
    std::string sender;           // VERP already expanded
    std::string recipient;        // local@domain, as qmail-send routed it
    std::string default_delivery; // qmail-start's argument
};
[[nodiscard]] Report deliver_recipient(const LocalJob& job);

} // namespace qm::local
