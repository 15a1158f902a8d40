// dynasub-gate home id: the first line of a dynasub sublist's editor. Answers the remote
// list's confirmation requests, notes its welcome and goodbye, and lets only the remote
// list's posts through to ezmlm-send (dynasub-gate(8)).
#include "qm/dynasub/program.hpp"
#include "qm/dynasub/service.hpp"
#include "qm/lists/core/cli.hpp"
#include "qm/lists/core/clock.hpp"

#include <ctime>
#include <iostream>

namespace {

constexpr std::string_view help =
    "usage: dynasub-gate home id\n"
    "Run by the .qmail file of a dynasub sublist (PREFIX-r-ID@host) on each message, with\n"
    "$SENDER set. Exit 0: a post of the remote list, for ezmlm-send; 99: handled here (a\n"
    "confirmation answered, a welcome or goodbye noted, a bounce probe accepted, or the\n"
    "message sent to the postmaster); 100: not from the remote list, refused; 111:\n"
    "temporary trouble.\n";

} // namespace

int main(int argc, char** argv) {
    using namespace qm;
    return dynasub::run_delivery_program(
        "dynasub-gate", argc, argv, help, "home id", 1,
        [](const dynasub::Home& home, program::Words rest, const std::string& message) -> int {
            const std::string sender = lists::cli::sender().value_or("");
            auto out = dynasub::gate(home, rest[0], sender, message, qm::lists::now());
            if (!out)
                return lists::cli::fatal("dynasub-gate", out.error());
            switch (out->action) {
            case dynasub::GateAction::deliver:
                return 0;
            case dynasub::GateAction::done:
                std::cout << "dynasub-gate: " << out->text << "\n";
                return 99;
            case dynasub::GateAction::refuse:
                std::cout << "Sorry, " << out->text << "\n";
                return 100;
            }
            return 111;
        });
}
