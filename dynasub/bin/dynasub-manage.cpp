// dynasub-manage home: the requests local users mail to dynasub@host and
// dynasub-*@host (join, leave, confirm), then the agents' due work (dynasub-manage(8)).
#include "qm/dynasub/program.hpp"
#include "qm/dynasub/service.hpp"
#include "qm/env.hpp"
#include "qm/lists/core/cli.hpp"
#include "qm/lists/core/clock.hpp"

#include <ctime>
#include <iostream>

namespace {

constexpr std::string_view help =
    "usage: dynasub-manage home\n"
    "Run by the .qmail files of a dynasub home (PREFIX@host and PREFIX-default) on each\n"
    "message, with $SENDER and $LOCAL set. PREFIX-subscribe-LIST=HOST asks to join\n"
    "LIST@HOST, PREFIX-unsubscribe-LIST=HOST to leave it; either sends the sender a\n"
    "confirmation request, and PREFIX-confirm-COOKIE (the reply) does it. Only users of\n"
    "this host (control/locals) are served. Then the agents' due resends and leaves run,\n"
    "as `dynasub tick` does.\n"
    "Exit: 0 done, 100 refused (the reason on stdout), 111 temporary trouble.\n";

} // namespace

int main(int argc, char** argv) {
    using namespace qm;
    return dynasub::run_delivery_program(
        "dynasub-manage", argc, argv, help, "home", 0,
        [](const dynasub::Home& home, program::Words, const std::string& message) -> int {
            const auto local = env("LOCAL");
            if (!local)
                return lists::cli::fatal(
                    "dynasub-manage", perm("5.3.5", "LOCAL is not set; run me from a .qmail file"));
            const std::time_t now = qm::lists::now();
            const lists::ParsedPost post(message);
            auto done =
                dynasub::handle_request(home, *local, lists::cli::sender().value_or(""), post, now);
            if (!done)
                return lists::cli::fatal("dynasub-manage", done.error());
            std::cout << "dynasub-manage: " << *done << "\n";
            if (auto t = dynasub::tick(home, now); !t)
                lists::cli::warning("dynasub-manage", t.error().text);
            return 0;
        });
}
