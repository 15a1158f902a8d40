// ezmlm-webarchive --listen ADDRESS:PORT --list NAME=DIR... --lists FILE: serves the web
// archive of every list it is given (ezmlm-webarchive(8)). The name pairs it with
// ezmlm-webindex, whose index it reads, and says what it serves: the lists' archives on
// the web, as ezmlm-cgi did, but as a server of its own rather than a CGI program.
#include "qm/program.hpp"
#include "qm/web/server/config.hpp"
#include "qm/web/server/http.hpp"
#include "qm/web/server/session.hpp"

#include <charconv>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>

namespace {

constexpr std::string_view name = "ezmlm-webarchive";
constexpr std::string_view synopsis =
    "[--listen ADDRESS:PORT] [--timeout SECONDS] [--threads N] [--state DIR] [--origin URL] "
    "[--list NAME=DIR]... [--lists FILE]";

constexpr std::string_view help =
    "usage: ezmlm-webarchive [--listen ADDRESS:PORT] [--timeout SECONDS] [--threads N]\n"
    "                        [--state DIR] [--origin URL] [--list NAME=DIR]... [--lists FILE]\n"
    "Serves the web archive of the lists given over HTTP: /NAME/ for the list in DIR,\n"
    "from DIR/webarchive/index.sqlite (made by ezmlm-webindex, read-only here) and\n"
    "DIR/archive. A public archive is open to all; a private one (an archived list\n"
    "without DIR/public, or with modgetonly or subgetonly) is read after logging in with\n"
    "a link mailed to a subscriber or moderator, and only with --state (else 404).\n"
    "/NAME/unsubscribe/TOKEN serves RFC 8058 one-click unsubscription (DIR/unsubscribeurl\n"
    "set to ORIGIN/NAME). Both need the list owner's rights: run as the lists' owner.\n"
    "Meant to sit behind a reverse proxy that adds TLS.\n"
    "  --listen ADDRESS:PORT  where to listen (default 127.0.0.1:8080; [::1]:8080 for IPv6)\n"
    "  --list NAME=DIR        serve the list in DIR (absolute) as /NAME/; repeatable\n"
    "  --lists FILE           lists from FILE, one \"NAME DIR\" a line, # comments\n"
    "  --timeout SECONDS      the most a client may take over one request (default 10)\n"
    "  --threads N            threads building pages, 1 to 64 (default 4); one more runs\n"
    "                         the connections\n"
    "  --state DIR            logins and sessions of private archives (created 0700)\n"
    "  --origin URL           scheme://host[:port] browsers use (default http://LISTEN):\n"
    "                         mailed links start with it, forms must come from it;\n"
    "                         https:// makes the session cookie Secure\n"
    "Runs in the foreground until SIGTERM or SIGINT.\n"
    "Exit: 0 stopped by a signal, 100 bad arguments, 111 cannot listen or open --state.\n";

// v as a whole number from 1 to max; 0 when it is not one.
unsigned one_to(const std::string& v, unsigned max) {
    unsigned n = 0;
    const auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    return ec == std::errc{} && p == v.data() + v.size() && n >= 1 && n <= max ? n : 0;
}

} // namespace

int main(int argc, char** argv) {
    const qm::program::About about{.name = name, .help = help};
    return qm::program::run(about, argc, argv, [](qm::program::Words args) {
        qm::web::server::Config config;
        std::string problem;
        qm::program::Options parser(qm::program::Order::anywhere);
        parser
            .argument(
                "listen",
                [&](const std::string& v) {
                    auto s = qm::web::server::parse_listen(v, config);
                    if (!s)
                        problem = s.error().text;
                    return s.has_value();
                },
                "ADDRESS:PORT")
            .argument(
                "list",
                [&](const std::string& v) {
                    auto s = qm::web::server::parse_list_spec(v, config);
                    if (!s)
                        problem = s.error().text;
                    return s.has_value();
                },
                "NAME=DIR")
            .argument(
                "lists",
                [&](const std::string& v) {
                    std::ifstream in(v);
                    if (!in) {
                        problem = "cannot read " + v;
                        return false;
                    }
                    std::ostringstream text;
                    text << in.rdbuf();
                    auto s = qm::web::server::parse_lists_file(text.str(), config);
                    if (!s)
                        problem = v + ": " + s.error().text;
                    return s.has_value();
                },
                "FILE")
            .argument(
                "timeout",
                [&](const std::string& v) {
                    const unsigned n = one_to(v, 3600);
                    if (n == 0) {
                        problem = "--timeout: 1 to 3600 seconds";
                        return false;
                    }
                    config.request_timeout = std::chrono::seconds(n);
                    return true;
                },
                "SECONDS")
            .argument(
                "threads",
                [&](const std::string& v) {
                    const unsigned n = one_to(v, 64);
                    if (n == 0) {
                        problem = "--threads: 1 to 64";
                        return false;
                    }
                    config.threads = n;
                    return true;
                },
                "N")
            .argument(

                "state",
                [&](const std::string& v) {
                    if (!v.starts_with('/')) {
                        problem = "--state: an absolute directory";
                        return false;
                    }
                    config.state_dir = v;
                    return true;
                },
                "DIR")
            .argument(
                "origin",
                [&](const std::string& v) {
                    auto s = qm::web::server::parse_origin(v, config);
                    if (!s)
                        problem = s.error().text;
                    return s.has_value();
                },
                "URL");
        auto operands = parser.parse(args);
        if (!operands) {
            if (!problem.empty())
                return qm::program::fatal(name, problem, 100);
            return qm::program::usage(name, synopsis, operands.error());
        }
        if (!operands->empty())
            return qm::program::usage(name, synopsis);
        std::shared_ptr<qm::web::server::LoginStore> logins;
        if (!config.state_dir.empty()) {
            auto opened = qm::web::server::LoginStore::open(config.state_dir);
            if (!opened)
                return qm::program::fatal(name, opened.error());
            logins = std::move(*opened);
        }
        for (const auto& [list, dir] : config.lists) {
            if (!qm::web::server::list_is_archived(dir))
                std::fprintf(stderr,
                             "%s: %s (%s) has no archive: only its one-click "
                             "unsubscription is served\n",
                             name.data(), list.c_str(), dir.c_str());
            else if (!qm::web::server::list_is_public(dir) && !logins)
                std::fprintf(stderr,
                             "%s: %s (%s) has a private archive: not served (404) "
                             "without --state\n",
                             name.data(), list.c_str(), dir.c_str());
        }
        std::fprintf(stderr, "%s: listening on %s:%u, %zu lists, %u threads, origin %s\n",
                     name.data(), config.address.c_str(), static_cast<unsigned>(config.port),
                     config.lists.size(), config.threads,
                     qm::web::server::site_origin(config).c_str());
        const qm::web::server::Site site(std::move(config), std::move(logins));
        if (auto s = qm::web::server::serve(site); !s)
            return qm::program::fatal(name, s.error());
        return 0;
    });
}
