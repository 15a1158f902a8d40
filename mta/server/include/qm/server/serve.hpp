// serve_main: the one main of every network daemon (qmail-smtpd, qmail-qmtpd, qmail-qmqpd,
// and the web archive to come), in the spirit of Postfix's single_server_main. It reads
// the shared options (--listen, --rules, --max-connections, --max-per-ip, --user, --help)
// beside the program's own, refuses to read the network as root on stdin, and then either
// serves the one connection on stdin/stdout (under tcpserver or inetd) or runs the daemon:
// binds, drops root, admits each connection (tcprules, per-address limit) and hands it to
// the program's session. It knows no protocol: the program says what a refused client is
// told and how a session goes.
#pragma once

#include "qm/result.hpp"
#include "qm/server/connection.hpp"
#include "qm/server/daemon_core.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/program_options/options_description.hpp>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace qm::server {

// The options every daemon takes.
struct Options {
    // --listen (repeatable): "127.0.0.1:2525", "[::1]:2525", ":25" (every address). Any
    // listening address makes the program a daemon.
    std::vector<std::string> listen;
    // --rules: a tcprules cdb read for every connection (reopened each time, so a new table
    // applies at once): deny closes it, its settings reach the session (Connection::env);
    // a table that cannot be read turns the client away. Empty: everyone, no settings.
    std::string rules;
    unsigned max_connections = 100; // --max-connections: more are refused at once
    // --max-per-ip: sessions from one address (IPv6: one /64) at once; 0: half of
    // max_connections. A rule's MAXCONNIP overrides it.
    unsigned max_per_ip = 0;
    std::string user = "qmaild";   // --user: started as root, become it after binding
    unsigned blocking_threads = 4; // sessions' blocking waits (qmail-queue, ...) at once
};

// An admitted client, as the daemon hands it to the program's session.
struct Client {
    boost::asio::ip::tcp::socket& socket; // closed by the daemon after the session
    Connection connection;                // its addresses and its tcprules settings
    std::string who;                      // "address:port", for log lines
};

// One kind of listening socket (qmail-smtpd has two: --listen and --submission).
struct Door {
    std::vector<std::string> listen;
    std::string note; // appended to each "status: listening on ADDRESS" line
    // Serves one admitted client: true when its session ran (the daemon then logs
    // "end WHO"), false when the program turned it away before that (and logged why).
    std::function<boost::asio::awaitable<bool>(Client)> serve;
};

// What a client the daemon refuses reads before the connection closes. Empty: nothing;
// a QMTP client takes a connection closed unanswered as a temporary failure.
struct Refusals {
    std::string busy;             // over --max-connections
    std::string rules_unreadable; // the --rules table cannot be read
    std::string per_ip;           // over the per-address limit
};

// What differs from one daemon to the next.
struct Service {
    std::string name;  // "qmail-smtpd": its fatal lines start with it
    std::string usage; // --help
    // Its own options, bound to its own variables.
    boost::program_options::options_description options;
    Options defaults;
    Refusals refusals;
    // What a client on stdin/stdout reads when the program cannot serve it at all
    // (qmail-smtpd: "421 4.3.0 TEXT\r\n"); nothing when unset.
    std::function<std::string(std::string_view text)> unavailable_reply;
    // The exit status then (qmail-smtpd exits 1, as qmail's does).
    int unavailable_exit = 111;
    // The name of one of its own options that takes the arguments after the options
    // (qmail-popup's HOSTNAME SUBPROGRAM ...); empty: none are allowed.
    std::string positional;
    // The daemon stays root after binding (--user is then ignored): its sessions are
    // processes of their own that change their privileges per client, as qmail-popup's
    // checkpassword does. Such a program has no stdin mode through serve_main.
    bool keeps_root = false;
    // True when its own options name listening addresses too (qmail-smtpd's --submission).
    std::function<bool()> more_listeners;
    // Runs once, after the options, in either mode (qmail-smtpd reads its controls).
    std::function<Status()> prepare;
    // Daemon mode: the doors to open, asked for before binding (as root, when started so).
    std::function<Result<std::vector<Door>>(DaemonCore&, const Options&)> doors;
    // Stdin mode: serves the connection on fds 0 and 1; the exit status.
    std::function<Result<int>(Connection)> serve_stdio;
};

// The program's main: parses argv, serves, and returns the exit status (0; 100 for a
// usage error; the program's unavailable_exit when it cannot start, 111 or 100 when the
// daemon cannot run).
[[nodiscard]] int serve_main(int argc, char** argv, const Service& service);

} // namespace qm::server
