// qmail-inject (qmail-inject(8), qmail-header(5)): reads a message, fixes its header
// (deletes Return-Path, Content-Length, Bcc, Resent-Bcc; adds Date, Message-ID, From,
// "Cc: recipient list not shown: ;", Mail-Followup-To or their Resent- forms; rewrites
// addresses), works out the envelope and hands the message to qmail-queue.
// prepare() is pure (settings in, message and envelope out); load_settings() reads the
// environment and control files; parse_args() reads the command line.
#pragma once

#include "qm/envelope.hpp"
#include "qm/inject/rewrite.hpp"
#include "qm/queue_client.hpp"
#include "qm/result.hpp"

#include <sys/types.h>

#include <ctime>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace qm::inject {

// QMAILINJECT letters.
struct InjectFlags {
    bool name_comment = false;       // c: From: user@host (Name)
    bool ignore_return_path = false; // s
    bool delete_from = false;        // f
    bool delete_message_id = false;  // i
    bool verp_recipient = false;     // r: sender user-@host-@[]
    bool verp_message = false;       // m: sender user-<time>.<pid>@host

    [[nodiscard]] static InjectFlags parse(std::string_view letters);
};

struct Settings {
    RewriteDomains domains;
    std::string idhost;
    std::string user;                       // From user: QMAILUSER MAILUSER USER LOGNAME
    std::optional<std::string> host;        // From host: QMAILHOST MAILHOST (else defaulthost)
    std::optional<std::string> fullname;    // QMAILNAME MAILNAME NAME
    std::string sender_user;                // QMAILSUSER, else user
    std::optional<std::string> sender_host; // QMAILSHOST, else host
    InjectFlags flags;
    // QMAILMFTFILE's addresses (lowercased); nullopt when unset or missing.
    std::optional<std::vector<std::string>> mft;
    std::time_t now = 0;
    pid_t pid = 0;
    // qmail-smtpd's authserv-id (control/authservid, else me) when control/authcheck is
    // there: an Authentication-Results field with it is removed, as qmail-smtpd removes
    // one, since only qmail-smtpd may write it (an ARC seal vouches for it). Empty: kept.
    std::string authserv_id;
};

enum class RecipientSource {
    default_, // -A: arguments, or the header if there are none
    args,     // -a
    header,   // -h
    both,     // -H
};

struct Options {
    RecipientSource source = RecipientSource::default_;
    bool queue = true;                 // -n clears, -N sets
    std::optional<std::string> sender; // -f
    std::vector<std::string> recipients;
};

// What follows "qmail-inject" on its usage line.
inline constexpr std::string_view synopsis = "[ -nNaAhH ] [ -fsender ] [ recip ... ]";

// Options as qmail-inject's getopt("aAhHnNf:"); an unknown option is a permanent failure.
[[nodiscard]] Result<Options> parse_args(std::span<const std::string> args);

// Environment (getenv) and control files under the mail root. A missing control/me is a
// temporary failure naming it, but only when a value actually falls back to it.
[[nodiscard]] Result<Settings> load_settings();

struct Prepared {
    std::string message; // fixed header + body, as given to qmail-queue
    Envelope envelope;
    // For -n: "Return-Path: <sender>\n" then message.
    [[nodiscard]] std::string printed() const;
};

// Fixes the header and builds the envelope. Permanent failures: unparseable sender fields,
// -f or recipient arguments; To/Cc/Bcc fields that do not parse are passed on untouched
// and give no recipients (as notqmail does).
[[nodiscard]] Result<Prepared> prepare(std::string_view input, const Options& opt,
                                       const Settings& s);

// Hands the message to qmail-queue. A message without recipients is a permanent failure
// (qmail would queue it and let it vanish).
[[nodiscard]] Result<Queued> submit(const Prepared& p);

// The "Date: ..." and "Message-ID: <...>" lines qmail-inject adds (with "\n").
[[nodiscard]] std::string date_field(std::time_t now);
[[nodiscard]] std::string message_id_field(std::time_t now, pid_t pid, std::string_view idhost);

} // namespace qm::inject
