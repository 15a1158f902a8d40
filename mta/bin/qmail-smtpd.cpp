// qmail-smtpd: receives mail by SMTP and hands each message to qmail-queue: on
// stdin/stdout as under tcpserver or inetd (qmail-smtpd(8)), or, with --listen, as a
// daemon holding every session in one event loop.
#include "qm/server/serve.hpp"
#include "qm/smtp/daemon.hpp"

namespace {

constexpr const char* usage =
    "usage: qmail-smtpd [--listen ADDRESS:PORT ...] [--submission ADDRESS:PORT ...]\n"
    "                   [--checkpassword PROGRAM [ARG ...]] [--certificate PEM]\n"
    "                   [--rules RULES.cdb] [--max-connections N] [--qmail-queue]\n"
    "                   [--max-per-ip N] [--user NAME]\n"
    "Without --listen, speaks SMTP (RFC 5321: PIPELINING, 8BITMIME, SIZE,\n"
    "ENHANCEDSTATUSCODES, STARTTLS) on stdin and stdout, as under tcpserver or inetd, and\n"
    "queues each message with qmail-queue.\n"
    "Controls in $QMAILHOME/control (default /var/qmail): me, smtpgreeting, rcpthosts,\n"
    "morercpthosts.cdb, badmailfrom, databytes, maxrcpt (recipients per message, default\n"
    "1000, at least 100; more get 452), maxrcptsession (per connection, default 100000),\n"
    "timeoutsmtpd (a deadline per command and per write), greetdelay (seconds to hold the\n"
    "greeting back; a client that talks first gets 554), localiphost. Without rcpthosts only the "
    "recipients qmail-send\n"
    "delivers here (locals, virtualdomains, percenthack) are accepted. A percenthack\n"
    "domain in rcpthosts relays, as in qmail.\n"
    "Environment: TCPREMOTEIP, TCPREMOTEHOST, TCPREMOTEINFO, TCPLOCALIP, TCPLOCALHOST,\n"
    "RELAYCLIENT (relaying allowed; appended to each recipient), DATABYTES, MAXRCPT,\n"
    "MAXRCPTSESSION, GREETDELAY.\n"
    "Bare LF in DATA is refused with 451 and the connection is closed; a bare CR in the\n"
    "header is stored as a space (in the body as it is).\n"
    "With --listen (repeatable; 127.0.0.1:2525, [::1]:2525, :25 for every address) it is a\n"
    "(--listen systemd or systemd:NAME: the sockets systemd passes, socket activation)\n"
    "daemon: one process, every session in one event loop, at most --max-connections\n"
    "(default 100) at once, more are told 421; at most --max-per-ip (default half of\n"
    "--max-connections; a rule's MAXCONNIP=N overrides it) from one address (IPv6: one\n"
    "/64), more are told \"421 4.7.0 too many connections from your address\".\n"
    "Started as root, the daemon reads the certificate, binds, then becomes --user (default\n"
    "qmaild, with its passwd group, no capabilities) before reading a byte, and queues\n"
    "through the setuid qmail-queue. Without --listen it refuses to run as root (exit 111):\n"
    "use tcpserver -u and -g. SIGTERM or SIGINT stops accepting and\n"
    "waits for open sessions; a second signal ends them.\n"
    "STARTTLS is offered, on stdin/stdout as in the daemon, when control/servercert.pem\n"
    "(or --certificate: certificate chain and private key in one PEM file) exists; a file\n"
    "that is there but unusable is a fatal error. --submission listeners (port 587 style)\n"
    "require AUTH PLAIN or LOGIN, offered only after STARTTLS and checked by the\n"
    "checkpassword-interface PROGRAM (user NUL password NUL timestamp NUL on fd 3; exit 0\n"
    "means right); an authenticated client may send to any domain.\n"
    "--rules: a tcprules cdb read for every connection: deny closes it; settings such as\n"
    "RELAYCLIENT=\"\", DATABYTES or QMAILQUEUE apply to it.\n"
    "A daemon that owns the queue (normal-user mode, no QMAILQUEUE) writes it itself with\n"
    "qmail-queue's file sequence and fsyncs; --qmail-queue runs qmail-queue per message.";

} // namespace

int main(int argc, char** argv) {
    return qm::server::serve_main(argc, argv, qm::smtp::service(usage));
}
