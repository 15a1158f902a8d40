// Reading a bounce: which recipients failed, with what status, and whether that failure
// says anything about the subscriber's address. ezmlm counts every bounce alike; we do
// not, because a post refused for its sender's DMARC policy or as spam, or a mailbox
// that is full today, is no reason to remove a reader.
//
// Two report formats are understood: qmail's QSBMF (cr.yp.to/proto/qsbmf.txt, reference
// mta.md 2.6: "Hi. This is the" paragraph, one "<address>:" paragraph per recipient, a
// "-" break paragraph) and RFC 3464 delivery status notifications (multipart/report with
// a message/delivery-status part, as Postfix, Exim, Sendmail, Gmail and Exchange send),
// read with mimetic. Anything else is scanned for a status code in its text.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace qm::lists {

// What one recipient's failure means for the list.
enum class BounceVerdict {
    not_a_failure, // a delay, success or relay notice (DSN Action other than failed)
    address,       // the address is dead (5.1.x, 5.2.x, 5.4.4, 5.0.0, an unexplained
                   // permanent failure): the only kind that counts toward removal
    transient,     // 4.x.x, an expired retry (5.4.7), a deferral notice
    policy,        // this post was refused for policy (5.7.x, DMARC, spam): the list's
                   // problem, not the reader's
    message,       // permanent, but about this message (too big 5.3.4, content 5.6.x,
                   // a loop 5.4.6)
};

// "address", "transient", ... for logs and the bounce/uncounted file.
[[nodiscard]] std::string_view verdict_name(BounceVerdict v);
[[nodiscard]] constexpr bool counts_toward_removal(BounceVerdict v) {
    return v == BounceVerdict::address;
}

// Decides from a DSN action ("failed", "delayed", ...; empty means failed), an RFC 3463
// status ("5.1.1"; empty when none was given) and the diagnostic text.
[[nodiscard]] BounceVerdict classify_failure(std::string_view action, std::string_view status,
                                             std::string_view diagnostic);

struct RecipientFailure {
    std::string address;    // as the report names it; empty when it names none
    std::string action;     // lower case; "failed" for QSBMF
    std::string status;     // "5.1.1", or empty
    std::string diagnostic; // the explanation, on one line
    BounceVerdict verdict = BounceVerdict::address;
    // QSBMF: the recipient's own paragraph, so one recipient's bounce can be kept alone.
    std::string paragraph;
};

enum class BounceFormat { qsbmf, dsn, unknown };

struct BounceReport {
    BounceFormat format = BounceFormat::unknown;
    std::vector<RecipientFailure> recipients;
    // QSBMF: the message header and the intro paragraph (what precedes the recipients).
    std::string qsbmf_head;
};

[[nodiscard]] BounceReport parse_bounce(std::string_view message);

// The failure that concerns `address` in a bounce sent to its VERP return address: its
// own entry when the report names it (ignoring case), else the first failed entry (a
// subscriber forwarding elsewhere), else, for a report in no known format, what a status
// code in the text says; with nothing to go on, a failure of the address (ezmlm counts
// every bounce).
[[nodiscard]] RecipientFailure failure_for(const BounceReport& report, std::string_view address,
                                           std::string_view message);

} // namespace qm::lists
