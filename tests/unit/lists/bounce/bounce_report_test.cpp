#include "bounce_samples.hpp"
#include "qm/lists/bounce/bounce_report.hpp"
#include "qm/lists/bounce/weed.hpp"

#include <catch2/catch.hpp>

using qm::lists::BounceFormat;
using qm::lists::BounceVerdict;
namespace b = qmtest::bounces;

namespace {

const std::string verp = "team-return-7-reader=far.example@lists.example";

qm::lists::RecipientFailure only(const std::string& message) {
    auto report = qm::lists::parse_bounce(message);
    REQUIRE(report.recipients.size() == 1);
    return report.recipients.front();
}

} // namespace

TEST_CASE("a Postfix report of an unknown user counts against the address", "[lists][bounce]") {
    const auto m = b::postfix_user_unknown("reader@far.example", verp);
    auto report = qm::lists::parse_bounce(m);
    CHECK(report.format == BounceFormat::dsn);
    auto f = only(m);
    CHECK(f.address == "reader@far.example");
    CHECK(f.action == "failed");
    CHECK(f.status == "5.1.1");
    CHECK(f.diagnostic.find("User unknown in virtual mailbox table") != std::string::npos);
    CHECK(f.verdict == BounceVerdict::address);
    CHECK(qm::lists::counts_toward_removal(f.verdict));
}

TEST_CASE("Gmail's 5.7.26 DMARC rejection is the list's problem, not the reader's",
          "[lists][bounce]") {
    auto f = only(b::gmail_dmarc_reject("reader@gmail.example", verp));
    CHECK(f.status == "5.7.26");
    // The folded multi-line reply arrives as one line.
    CHECK(f.diagnostic.find("DMARC policy. Please contact") != std::string::npos);
    CHECK(f.verdict == BounceVerdict::policy);
    CHECK_FALSE(qm::lists::counts_toward_removal(f.verdict));
}

TEST_CASE("a full mailbox (4.2.2) is transient whether delayed or given up on", "[lists][bounce]") {
    auto delayed = only(b::postfix_mailbox_full_delayed("reader@far.example", verp));
    CHECK(delayed.action == "delayed");
    CHECK(delayed.verdict == BounceVerdict::not_a_failure);
    auto exim = only(b::exim_mailbox_full("reader@far.example", verp));
    CHECK(exim.address == "reader@far.example");
    CHECK(exim.status == "4.2.2");
    CHECK(exim.verdict == BounceVerdict::transient);
    // An MTA that reports its give-up as 5.0.0 still quotes the server's 4.2.2.
    auto generic = only(b::postfix_dsn("reader@far.example", verp, "failed", "5.0.0",
                                       "452 4.2.2 <reader@far.example>: Mailbox full"));
    CHECK(generic.status == "4.2.2");
    CHECK(generic.verdict == BounceVerdict::transient);
}

TEST_CASE("qmail's QSBMF reports are read per recipient paragraph", "[lists][bounce]") {
    auto local =
        qm::lists::parse_bounce(b::qsbmf("ghost@far.example", "team-return-7-@lists.example",
                                         "Sorry, no mailbox here by that name. (#5.1.1)"));
    CHECK(local.format == BounceFormat::qsbmf);
    REQUIRE(local.recipients.size() == 1);
    CHECK(local.recipients[0].address == "ghost@far.example");
    CHECK(local.recipients[0].status == "5.1.1");
    CHECK(local.recipients[0].verdict == BounceVerdict::address);
    CHECK(local.qsbmf_head.find("Hi. This is the qmail-send program") != std::string::npos);
    CHECK(local.recipients[0].paragraph.starts_with("<ghost@far.example>:\n"));

    // qmail-remote passes the far server's words on; its code is the one that counts.
    auto spam = only(b::qsbmf("reader@far.example", verp,
                              "Connected to 192.0.2.25 but sender was rejected.\n"
                              "Remote host said: 550 5.7.1 Message rejected as spam"));
    CHECK(spam.status == "5.7.1");
    CHECK(spam.verdict == BounceVerdict::policy);

    auto gave_up = only(b::qsbmf("reader@far.example", verp,
                                 "Sorry, I wasn't able to establish an SMTP connection. (#4.4.1)\n"
                                 "I'm not going to try again; this message has been in the "
                                 "queue too long."));
    CHECK(gave_up.status == "4.4.1");
    CHECK(gave_up.verdict == BounceVerdict::transient);

    // No code at all: a permanent failure qmail could not explain counts, as in ezmlm.
    auto bare = only(b::qsbmf("reader@far.example", verp, "Sorry, it did not work."));
    CHECK(bare.status.empty());
    CHECK(bare.verdict == BounceVerdict::address);

    // An IP address is not a status code.
    auto ip = only(
        b::qsbmf("reader@far.example", verp, "Connected to 5.1.2.3 but connection died. (#4.4.2)"));
    CHECK(ip.status == "4.4.2");
}

TEST_CASE("a QSBMF report naming several recipients, and a deferral notice", "[lists][bounce]") {
    std::string m = b::qsbmf("one@far.example", "team-return-7-@lists.example",
                             "Sorry, no mailbox here by that name. (#5.1.1)");
    const std::string second = "<two@far.example>:\nRemote host said: 552 5.2.2 Over quota\n\n";
    m.insert(m.find("--- Below this line"), second);
    auto r = qm::lists::parse_bounce(m);
    REQUIRE(r.recipients.size() == 2);
    CHECK(r.recipients[1].address == "two@far.example");
    CHECK(r.recipients[1].status == "5.2.2");
    CHECK(r.recipients[1].verdict == BounceVerdict::address);

    std::string deferral = b::qsbmf("one@far.example", verp, "No such user. (#5.1.1)");
    deferral.replace(deferral.find("Subject: failure notice"), 23, "Subject: deferral notice");
    CHECK(only(deferral).verdict == BounceVerdict::transient);
}

TEST_CASE("the status code decides, with the text for generic codes", "[lists][bounce]") {
    using qm::lists::classify_failure;
    CHECK(classify_failure("failed", "5.1.1", "user unknown") == BounceVerdict::address);
    CHECK(classify_failure("", "5.1.10", "RESOLVER.ADR.RecipientNotFound") ==
          BounceVerdict::address);
    CHECK(classify_failure("failed", "5.2.1", "mailbox disabled") == BounceVerdict::address);
    CHECK(classify_failure("failed", "5.4.4", "Host or domain name not found") ==
          BounceVerdict::address);
    CHECK(classify_failure("failed", "5.4.7", "delivery time expired") == BounceVerdict::transient);
    CHECK(classify_failure("failed", "5.3.4", "message too big") == BounceVerdict::message);
    CHECK(classify_failure("failed", "5.6.0", "bad content") == BounceVerdict::message);
    CHECK(classify_failure("failed", "5.7.509",
                           "Access denied, sending domain example.com does not pass DMARC "
                           "verification") == BounceVerdict::policy);
    CHECK(classify_failure("failed", "5.7.1", "Relaying denied") == BounceVerdict::policy);
    CHECK(classify_failure("failed", "5.0.0", "mailbox unavailable") == BounceVerdict::address);
    CHECK(classify_failure("failed", "5.0.0", "rejected by our content policy") ==
          BounceVerdict::policy);
    CHECK(classify_failure("failed", "5.5.0", "550 spam score too high") == BounceVerdict::policy);
    CHECK(classify_failure("failed", "5.2.0", "rejected as spam") == BounceVerdict::policy);
    CHECK(classify_failure("failed", "4.7.0", "try again later") == BounceVerdict::transient);
    CHECK(classify_failure("failed", "", "said: 452 too many recipients") ==
          BounceVerdict::transient);
    CHECK(classify_failure("delivered", "2.0.0", "ok") == BounceVerdict::not_a_failure);
    CHECK(classify_failure("relayed", "", "") == BounceVerdict::not_a_failure);
}

TEST_CASE("a bounce in no known format is judged by the code in its text", "[lists][bounce]") {
    const std::string plain = "From: postmaster@old.example\n"
                              "Subject: Returned mail\n"
                              "\n"
                              "Your message to reader@old.example could not be delivered:\n"
                              "550 5.1.1 reader@old.example... User unknown\n"
                              "\n"
                              "----- Original message -----\n"
                              "Received: from 10.4.4.7 by relay\n";
    auto report = qm::lists::parse_bounce(plain);
    CHECK(report.format == BounceFormat::unknown);
    auto f = qm::lists::failure_for(report, "reader@old.example", plain);
    CHECK(f.status == "5.1.1");
    CHECK(f.verdict == BounceVerdict::address);

    const std::string full = "Subject: Undeliverable\n\nMailbox full, 452 4.2.2 try later\n";
    CHECK(qm::lists::failure_for(qm::lists::parse_bounce(full), "r@x.example", full).verdict ==
          BounceVerdict::transient);
    const std::string nothing = "Subject: hello\n\nI am not a bounce.\n";
    CHECK(
        qm::lists::failure_for(qm::lists::parse_bounce(nothing), "r@x.example", nothing).verdict ==
        BounceVerdict::address);
}

TEST_CASE("a VERP bounce picks the entry of its own address", "[lists][bounce]") {
    std::string m = b::postfix_user_unknown("other@far.example", verp);
    // A second recipient group: the subscriber's own, transient.
    m.insert(m.find("\n--4SVL2n0m9Fz1xyz.1699999999/mx.far.example\nContent-Description: "
                    "Undelivered"),
             "\nFinal-Recipient: rfc822; Reader@far.example\nAction: failed\nStatus: 4.2.2\n");
    auto report = qm::lists::parse_bounce(m);
    REQUIRE(report.recipients.size() == 2);
    auto f = qm::lists::failure_for(report, "reader@far.example", m);
    CHECK(f.status == "4.2.2");
    // Forwarded elsewhere: the failed entry stands for the subscriber.
    auto g = qm::lists::failure_for(
        qm::lists::parse_bounce(b::postfix_user_unknown("forwarded@elsewhere.example", verp)),
        "reader@far.example", m);
    CHECK(g.status == "5.1.1");
}

TEST_CASE("ezmlm-weed drops notices and automatic replies, never failure reports",
          "[lists][bounce][weed]") {
    using qm::lists::weed;
    // Postfix marks its failure reports Auto-Submitted; they still pass.
    CHECK_FALSE(weed(b::postfix_user_unknown("reader@far.example", verp)).drop);
    CHECK_FALSE(weed(b::gmail_dmarc_reject("reader@far.example", verp)).drop);
    CHECK_FALSE(weed(b::exim_mailbox_full("reader@far.example", verp)).drop);
    CHECK_FALSE(weed(b::qsbmf("reader@far.example", verp, "No mailbox. (#5.1.1)")).drop);
    auto delayed = weed(b::postfix_mailbox_full_delayed("reader@far.example", verp));
    CHECK(delayed.drop);
    CHECK(delayed.reason.find("delayed") != std::string::npos);

    auto success = b::qsbmf("reader@far.example", verp, "delivered");
    success.replace(success.find("Subject: failure notice"), 23, "Subject: success notice");
    CHECK(weed(success).drop);

    CHECK(weed("From: reader@far.example\nSubject: Out of office\n"
               "Auto-Submitted: auto-replied\n\nI am away.\n")
              .drop);
    CHECK(
        weed("From: reader@far.example\nSubject: Out of Office AutoReply: minutes\n\naway\n").drop);
    CHECK(weed("From: other-list@x.example\nList-Id: <other.x.example>\nSubject: hi\n\nx\n").drop);
    CHECK(weed("From: a@x.example\nPrecedence: junk\nSubject: hi\n\nx\n").drop);
    CHECK(weed("From: Mail Delivery Subsystem <MAILER-DAEMON@old.example>\n"
               "Subject: Warning: could not send message for past 4 hours\n\n"
               "    **********************************************\n"
               "    **      THIS IS A WARNING MESSAGE ONLY      **\n"
               "    **  YOU DO NOT NEED TO RESEND YOUR MESSAGE  **\n"
               "    **********************************************\n")
              .drop);
    // A plain-text failure report from a mail system passes despite Auto-Submitted.
    CHECK_FALSE(weed("From: Mail Delivery System <Mailer-Daemon@old.example>\n"
                     "Subject: Mail delivery failed: returning message to sender\n"
                     "Auto-Submitted: auto-replied\n\n550 5.1.1 no such user\n")
                    .drop);
    // Anything else (a person writing to the return address) passes.
    CHECK_FALSE(weed("From: reader@far.example\nSubject: why?\n\nwhy am I bouncing?\n").drop);
}

TEST_CASE("a header continuation line of blanks only is harmless", "[lists][bounce][weed]") {
    // Found by the fuzzer: it used to throw out_of_range.
    const std::string m = "From: MAILER-DAEMON@mail.far.example is spam\n \n"
                          "--- Below this line is a copy\n";
    CHECK_FALSE(qm::lists::weed(m).drop);
    CHECK(qm::lists::parse_bounce(m).recipients.empty());
}
