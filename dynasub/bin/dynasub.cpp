// dynasub: the admin's command line for dynamic subscription agents (dynasub(8)).
#include "qm/dynasub/program.hpp"
#include "qm/dynasub/service.hpp"
#include "qm/env.hpp"
#include "qm/lists/core/cli.hpp"
#include "qm/lists/core/clock.hpp"

#include <cerrno>
#include <charconv>
#include <ctime>
#include <fstream>
#include <iostream>
#include <iterator>

namespace {

constexpr std::string_view help =
    "usage: dynasub [-d home] command [args]\n"
    "Dynamic subscription agents: one local sublist per remote list, subscribed to it\n"
    "once for all of this host's readers. home defaults to $DYNASUB_HOME.\n"
    "\n"
    "  setup host prefix dot bin [grace] [postmaster]\n"
    "        make the home: its addresses are prefix@host and prefix-*@host, whose\n"
    "        .qmail files are dot and dot-default; bin holds dynasub-manage and\n"
    "        dynasub-gate; grace in seconds (default 86400); postmaster hears of what\n"
    "        the agents cannot handle (default postmaster@host)\n"
    "  join list@host user@here [manager [delimiter]]\n"
    "        subscribe a local user at once (manager: ezmlm mlmmj mailman3 mailman2\n"
    "        sympa majordomo; default from home/managers, else ezmlm; mlmmj's delimiter\n"
    "        '-' or '+')\n"
    "  learn [file]                   read a post of a remote list (file, else stdin;\n"
    "        redirected, or forwarded as an attachment) and print the list and its\n"
    "        manager as a home/managers line\n"
    "  leave list@host|id user@here   unsubscribe a local user\n"
    "  list                           every agent: id, state, readers, remote list, note\n"
    "  retry list@host|id             send the pending request again now\n"
    "  abandon list@host|id           drop the agent and its sublist, telling nobody\n"
    "  tick                           resend, give up and leave what is due (cron)\n"
    "Run as root, dynasub works as the owner of home (of its parent for setup).\n"
    "Exit: 0 done, 100 bad usage or refused, 111 temporary trouble.\n";

constexpr std::string_view synopsis =
    "[-d home] setup|join|learn|leave|list|retry|abandon|tick ...";

} // namespace

int main(int argc, char** argv) {
    using namespace qm;
    return lists::cli::run("dynasub", argc, argv, help, [](program::Words args) -> int {
        auto fatal = [](const Failure& f) { return lists::cli::fatal("dynasub", f); };
        std::string home_dir = env("DYNASUB_HOME").value_or("");
        size_t i = 0;
        if (args.size() >= 2 && args[0] == "-d") {
            home_dir = args[1];
            i = 2;
        }
        if (i >= args.size() || home_dir.empty())
            return lists::cli::usage("dynasub", synopsis);
        const std::string cmd = args[i++];
        const auto rest = args.subspan(i);
        if (auto s = dynasub::become_home_owner(home_dir); !s)
            return fatal(s.error());
        const std::time_t now = qm::lists::now();
        lists::cli::prepare_to_queue();
        if (cmd == "setup") {
            if (rest.size() < 4 || rest.size() > 6)
                return lists::cli::usage(
                    "dynasub", "[-d home] setup host prefix dot bin [grace] [postmaster]");
            dynasub::SetupRequest r;
            r.dir = home_dir;
            r.host = rest[0];
            r.prefix = rest[1];
            r.dot = rest[2];
            r.bin = rest[3];
            if (rest.size() >= 5) {
                std::time_t g = 0;
                auto [p, ec] = std::from_chars(rest[4].data(), rest[4].data() + rest[4].size(), g);
                if (ec != std::errc() || p != rest[4].data() + rest[4].size() || g < 0)
                    return lists::cli::usage("dynasub", "setup: grace is a number of seconds");
                r.grace = g;
            }
            if (rest.size() == 6)
                r.postmaster = rest[5];
            if (auto s = dynasub::setup_home(r); !s)
                return fatal(s.error());
            std::cout << "dynasub: home " << home_dir << " ready\n";
            return 0;
        }
        auto home = dynasub::read_home(home_dir);
        if (!home)
            return fatal(home.error());
        if (cmd == "join") {
            if (rest.size() < 2 || rest.size() > 4)
                return lists::cli::usage("dynasub",
                                         "[-d home] join list@host user [manager [delimiter]]");
            dynasub::ListChoice c{rest[0], std::nullopt, '-'};
            if (rest.size() >= 3) {
                c.manager = dynasub::parse_manager(rest[2]);
                if (!c.manager)
                    return lists::cli::usage("dynasub", "join: unknown manager " + rest[2]);
            }
            if (rest.size() == 4) {
                if (rest[3] != "-" && rest[3] != "+")
                    return lists::cli::usage("dynasub", "join: the delimiter is - or +");
                c.delimiter = rest[3][0];
            }
            auto r = dynasub::join(*home, rest[1], c, now);
            if (!r)
                return fatal(r.error());
            std::cout << "dynasub: " << *r << "\n";
            return 0;
        }
        if (cmd == "learn") {
            if (rest.size() > 1)
                return lists::cli::usage("dynasub", "[-d home] learn [file]");
            std::string message;
            if (rest.empty()) {
                message.assign(std::istreambuf_iterator<char>(std::cin), {});
            } else {
                std::ifstream in(rest[0], std::ios::binary);
                if (!in)
                    return fatal(from_errno(errno, "unable to read " + rest[0]));
                message.assign(std::istreambuf_iterator<char>(in), {});
            }
            auto found = dynasub::list_of_sample(message);
            if (!found)
                return fatal(perm("5.6.0", "this message names no list (no List-Post field, and "
                                           "no list's return path)"));
            std::cout << found->address;
            if (found->manager) {
                std::cout << " " << dynasub::manager_name(found->manager->manager);
                if (found->manager->manager == dynasub::Manager::mlmmj)
                    std::cout << " " << found->manager->delimiter;
            } else {
                std::cerr << "dynasub: the message does not say which manager runs "
                          << found->address << "; without a managers line the agent uses "
                          << "ezmlm's forms\n";
            }
            std::cout << "\n";
            return 0;
        }
        if (cmd == "leave") {
            if (rest.size() != 2)
                return lists::cli::usage("dynasub", "[-d home] leave list@host|id user");
            auto r = dynasub::leave(*home, rest[1], rest[0], now);
            if (!r)
                return fatal(r.error());
            std::cout << "dynasub: " << *r << "\n";
            return 0;
        }
        if (cmd == "list") {
            auto agents = dynasub::all_agents(home_dir);
            if (!agents)
                return fatal(agents.error());
            for (const auto& a : *agents) {
                auto n = dynasub::readers(*home, a);
                std::cout << a.id << " " << dynasub::state_name(a.state) << " "
                          << (n ? std::to_string(*n) : std::string("?")) << " readers "
                          << a.remote.address() << " (" << dynasub::manager_name(a.remote.manager)
                          << ") " << a.note << "\n";
            }
            return 0;
        }
        if (cmd == "retry" || cmd == "abandon") {
            if (rest.size() != 1)
                return lists::cli::usage("dynasub", "[-d home] " + cmd + " list@host|id");
            auto r = cmd == "retry" ? dynasub::retry(*home, rest[0], now)
                                    : dynasub::abandon(*home, rest[0], now);
            if (!r)
                return fatal(r.error());
            std::cout << "dynasub: " << *r << "\n";
            return 0;
        }
        if (cmd == "tick") {
            auto r = dynasub::tick(*home, now);
            if (!r)
                return fatal(r.error());
            for (const auto& line : *r)
                std::cout << "dynasub: " << line << "\n";
            return 0;
        }
        return lists::cli::usage("dynasub", synopsis);
    });
}
