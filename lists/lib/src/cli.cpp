#include "qm/lists/cli.hpp"

#include "qm/fd.hpp"
#include "qm/lists/subscribers.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace qm::lists::cli {

int fatal(std::string_view program, const Failure& f) {
    std::string line = std::string(program) + ": fatal: " + f.with_dsn() + "\n";
    std::fputs(line.c_str(), stderr);
    return exit_code(f);
}

void warning(std::string_view program, std::string_view text) {
    std::string line = std::string(program) + ": warning: " + std::string(text) + "\n";
    std::fputs(line.c_str(), stderr);
}

bool help_requested(int argc, char** argv, std::string_view help) {
    if (argc < 2 || (std::strcmp(argv[1], "--help") != 0 && std::strcmp(argv[1], "-h") != 0))
        return false;
    std::fwrite(help.data(), 1, help.size(), stdout);
    return true;
}

Result<CommandDelivery> command_delivery() {
    const char* sender = std::getenv("SENDER");
    const char* local = std::getenv("LOCAL");
    const char* def = std::getenv("DEFAULT");
    for (auto [value, name] : {std::pair{sender, "SENDER"}, {local, "LOCAL"}, {def, "DEFAULT"}})
        if (!value)
            return fail(perm("5.7.1", std::string(name) + " not set"));
    if (!*sender || std::strcmp(sender, "#@[]") == 0)
        return fail(perm("5.7.1", "I do not reply to bounce messages"));
    if (!std::strchr(sender, '@'))
        return fail(perm("5.7.1", "I do not reply to senders without host names"));
    return CommandDelivery{sender, local, def};
}

Result<AddressList> read_addresses(std::string_view program, int fd) {
    auto data = read_all(fd);
    if (!data)
        return fail(temp("4.3.0", "unable to read input: " + data.error().text));
    AddressList out;
    std::string_view rest = *data;
    size_t lineno = 0;
    while (!rest.empty()) {
        ++lineno;
        auto nl = rest.find('\n');
        std::string_view line = rest.substr(0, nl);
        rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
        auto start = line.find_first_not_of(" \t\r");
        if (start == std::string_view::npos || line[start] == '#')
            continue;
        line.remove_prefix(start);
        line = line.substr(0, line.find_first_of(" \t\r"));
        auto a = normalise_address(line);
        if (!a) {
            warning(program, "line " + std::to_string(lineno) + ": " + a.error().text + ": " +
                                 std::string(line));
            ++out.bad;
            continue;
        }
        out.addresses.push_back(std::move(*a));
    }
    return out;
}

Progress::Progress(std::string_view program)
    : program_(program)
    , tty_(::isatty(2) == 1) {}

void Progress::update(std::string_view text) {
    if (!tty_)
        return;
    std::string line = "\r" + program_ + ": " + std::string(text) + "\033[K";
    std::fputs(line.c_str(), stderr);
    shown_ = true;
}

void Progress::done() {
    if (tty_ && shown_)
        std::fputs("\n", stderr);
    shown_ = false;
}

} // namespace qm::lists::cli
