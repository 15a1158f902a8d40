// Bounces as real mail systems write them, for the tests of the list's bounce handling:
// Postfix, Exim and Gmail-by-way-of-Postfix delivery status notifications (RFC 3464)
// and qmail's QSBMF. Each takes the failed recipient and the address the bounce goes
// to (the list's VERP return address), so the same sample serves unit tests and
// messages injected into a real queue. Also: finding the bounces a list kept.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace qmtest::bounces {

// The header of the list post the report quotes.
inline std::string quoted_post(const std::string& return_path) {
    return "Return-Path: <" + return_path +
           ">\n"
           "Received: (qmail 4242 invoked by uid 1000); 14 Nov 2023 22:13:20 -0000\n"
           "Mailing-List: contact team-help@lists.example; run by ezmlm\n"
           "List-Id: <team.lists.example>\n"
           "From: Dave <dave@example.com>\n"
           "To: team@lists.example\n"
           "Subject: [team] minutes\n";
}

// Postfix's shape: a notification part, the delivery-status part, the returned header.
inline std::string postfix_dsn(const std::string& recipient, const std::string& to,
                               const std::string& action, const std::string& status,
                               const std::string& diagnostic) {
    const std::string b = "4SVL2n0m9Fz1xyz.1699999999/mx.far.example";
    const bool delayed = action == "delayed";
    return "Return-Path: <>\n"
           "Date: Tue, 14 Nov 2023 22:13:21 +0000 (UTC)\n"
           "From: MAILER-DAEMON@mx.far.example (Mail Delivery System)\n"
           "Subject: " +
           std::string(delayed ? "Delayed Mail (still being retried)"
                               : "Undelivered Mail Returned to Sender") +
           "\n"
           "To: " +
           to +
           "\n"
           "Auto-Submitted: auto-replied\n"
           "MIME-Version: 1.0\n"
           "Content-Type: multipart/report; report-type=delivery-status;\n"
           "\tboundary=\"" +
           b +
           "\"\n"
           "Content-Transfer-Encoding: 8bit\n"
           "Message-Id: <20231114221321.4SVL2n0m9Fz1xyz@mx.far.example>\n"
           "\n"
           "This is a MIME-encapsulated message.\n"
           "\n"
           "--" +
           b +
           "\n"
           "Content-Description: Notification\n"
           "Content-Type: text/plain; charset=us-ascii\n"
           "\n"
           "This is the mail system at host mx.far.example.\n"
           "\n" +
           (delayed ? "####################################################################\n"
                      "# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #\n"
                      "####################################################################\n"
                      "\n"
                      "Your message could not be delivered for more than 4 hour(s).\n"
                      "It will be retried until it is 5 day(s) old.\n"
                    : "I'm sorry to have to inform you that your message could not\n"
                      "be delivered to one or more recipients. It's attached below.\n") +
           "\n"
           "                   The mail system\n"
           "\n"
           "<" +
           recipient + ">: " + diagnostic +
           "\n"
           "\n"
           "--" +
           b +
           "\n"
           "Content-Description: Delivery report\n"
           "Content-Type: message/delivery-status\n"
           "\n"
           "Reporting-MTA: dns; mx.far.example\n"
           "X-Postfix-Queue-ID: 4SVL2n0m9Fz1xyz\n"
           "X-Postfix-Sender: rfc822; " +
           to +
           "\n"
           "Arrival-Date: Tue, 14 Nov 2023 18:13:20 +0000 (UTC)\n"
           "\n"
           "Final-Recipient: rfc822; " +
           recipient +
           "\n"
           "Original-Recipient: rfc822;" +
           recipient +
           "\n"
           "Action: " +
           action +
           "\n"
           "Status: " +
           status +
           "\n"
           "Remote-MTA: dns; mx.far.example\n"
           "Diagnostic-Code: smtp; " +
           diagnostic +
           "\n"
           "\n"
           "--" +
           b +
           "\n"
           "Content-Description: Undelivered Message Headers\n"
           "Content-Type: text/rfc822-headers\n"
           "Content-Transfer-Encoding: 8bit\n"
           "\n" +
           quoted_post(to) + "\n--" + b + "--\n";
}

inline std::string postfix_user_unknown(const std::string& recipient, const std::string& to) {
    return postfix_dsn(recipient, to, "failed", "5.1.1",
                       "550 5.1.1 <" + recipient +
                           ">: Recipient address rejected: User unknown in virtual mailbox "
                           "table");
}

inline std::string postfix_mailbox_full_delayed(const std::string& recipient,
                                                const std::string& to) {
    return postfix_dsn(recipient, to, "delayed", "4.2.2",
                       "452 4.2.2 <" + recipient + ">: Mailbox full");
}

// Gmail refusing a post for its author's domain's DMARC policy, reported by the list
// host's Postfix. Gmail's reply is multi-line, folded into Diagnostic-Code.
inline std::string gmail_dmarc_reject(const std::string& recipient, const std::string& to) {
    return postfix_dsn(
        recipient, to, "failed", "5.7.26",
        "550-5.7.26 Unauthenticated email from example.com is not accepted due to\n"
        "    domain's DMARC policy. Please contact the administrator of example.com\n"
        "    domain if this was a legitimate mail. To learn about the DMARC initiative,\n"
        "    go to https://support.google.com/mail/?p=DmarcRejection\n"
        "    d9443c01a7336-1cc3a2d7b0asi12345678plb.201 - gsmtp");
}

// Exim giving up on a full mailbox: "Action: failed" with the 4.2.2 the server said.
inline std::string exim_mailbox_full(const std::string& recipient, const std::string& to) {
    const std::string b = "1699999999-eximdsn-1804289383";
    return "Return-path: <>\n"
           "From: Mail Delivery System <Mailer-Daemon@relay.far.example>\n"
           "To: " +
           to +
           "\n"
           "Subject: Mail delivery failed: returning message to sender\n"
           "Message-Id: <E1r34Xo-0004Zq-2m@relay.far.example>\n"
           "Date: Tue, 14 Nov 2023 22:13:21 +0000\n"
           "Auto-Submitted: auto-replied\n"
           "MIME-Version: 1.0\n"
           "Content-Type: multipart/report; report-type=delivery-status; boundary=" +
           b +
           "\n"
           "\n"
           "--" +
           b +
           "\n"
           "Content-type: text/plain; charset=us-ascii\n"
           "\n"
           "This message was created automatically by mail delivery software.\n"
           "\n"
           "A message that you sent could not be delivered to one or more of its\n"
           "recipients. This is a permanent error. The following address(es) failed:\n"
           "\n"
           "  " +
           recipient +
           "\n"
           "    host mx.far.example [192.0.2.25]\n"
           "    SMTP error from remote mail server after RCPT TO:<" +
           recipient +
           ">:\n"
           "    452 4.2.2 Mailbox full\n"
           "\n"
           "--" +
           b +
           "\n"
           "Content-type: message/delivery-status\n"
           "\n"
           "Reporting-MTA: dns; relay.far.example\n"
           "\n"
           "Action: failed\n"
           "Final-Recipient: rfc822;" +
           recipient +
           "\n"
           "Status: 4.2.2\n"
           "Remote-MTA: dns; mx.far.example\n"
           "Diagnostic-Code: smtp; 452 4.2.2 Mailbox full\n"
           "\n"
           "--" +
           b +
           "\n"
           "Content-type: text/rfc822-headers\n"
           "\n" +
           quoted_post(to) + "\n--" + b + "--\n";
}

// qmail-send's own report (reference mta.md 2.6) with one recipient paragraph.
inline std::string qsbmf(const std::string& recipient, const std::string& to,
                         const std::string& text) {
    return "Return-Path: <>\n"
           "Date: 14 Nov 2023 22:13:21 -0000\n"
           "From: MAILER-DAEMON@mail.far.example\n"
           "To: " +
           to +
           "\n"
           "Subject: failure notice\n"
           "\n"
           "Hi. This is the qmail-send program at mail.far.example.\n"
           "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
           "This is a permanent error; I've given up. Sorry it didn't work out.\n"
           "\n"
           "<" +
           recipient + ">:\n" + text +
           "\n"
           "\n"
           "--- Below this line is a copy of the message.\n"
           "\n" +
           quoted_post(to) + "\nthe post\n";
}

// Every file under <list>/bounce/d whose name starts with kind: 'd' (a kept bounce) or
// 'w' (a bounced warning). Files still being written (NAME.tmp.PID, renamed into place
// when complete) are not kept bounces yet, as ezmlm-warn also skips them.
inline std::vector<std::string> kept_bounces(const std::string& list, char kind) {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : std::filesystem::recursive_directory_iterator(list + "/bounce/d", ec))
        if (e.is_regular_file() && e.path().filename().string()[0] == kind &&
            e.path().filename().string().find(".tmp.") == std::string::npos)
            out.push_back(e.path().string());
    return out;
}

} // namespace qmtest::bounces
