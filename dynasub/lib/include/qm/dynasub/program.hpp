// What dynasub's three programs share about who they run as and what they read first.
// qmail-local runs dynasub-gate and dynasub-manage as the owner of the agent home, never
// as root; an admin often runs dynasub as root, and it then works as that owner, so that
// every file it makes stays the agents' to change.
#pragma once

#include "qm/dynasub/service.hpp"
#include "qm/program.hpp"
#include "qm/result.hpp"

#include <functional>
#include <string>
#include <string_view>

namespace qm::dynasub {

// As root: becomes the owner of the agent home dir (of its parent directory while dir
// does not exist yet, for setup). A home that belongs to root is refused, since mail is
// never delivered as root. Does nothing for anyone else.
[[nodiscard]] Status become_home_owner(const std::string& dir);

// The frame of a program run from a .qmail file on one message: refuses root, reads the
// home (the first argument) and the message on stdin, and hands them with the remaining
// arguments (exactly extra_args of them) to work, whose result is the exit code.
// usage_args is the synopsis after the program's name.
using DeliveryWork =
    std::function<int(const Home& home, program::Words rest, const std::string& message)>;
int run_delivery_program(std::string_view name, int argc, char** argv, std::string_view help,
                         std::string_view usage_args, size_t extra_args, const DeliveryWork& work);

} // namespace qm::dynasub
