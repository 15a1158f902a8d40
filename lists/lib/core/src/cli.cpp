#include "qm/lists/core/cli.hpp"

#include "qm/fd.hpp"
#include "qm/lists/core/subscribers.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace qm::lists::cli {

int fatal(std::string_view program, const Failure& f) {
    return qm::program::fatal(program, f.with_dsn(), exit_code(f));
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

int run(std::string_view program, int argc, char** argv, std::string_view help,
        const std::function<int(qm::program::Words args)>& work,
        qm::program::ShortHelp short_help) {
    return qm::program::run({program, help, short_help, true}, argc, argv, work);
}

int run_on_message(
    std::string_view program, int argc, char** argv, std::string_view help,
    const std::function<int(const std::string& dir, const std::string& message)>& work) {
    return run(program, argc, argv, help, [&](qm::program::Words args) {
        if (args.size() != 1)
            return usage(program, "dir");
        prepare_to_queue();
        auto message = read_message();
        if (!message)
            return fatal(program, message.error());
        return work(args[0], *message);
    });
}

int run_on_command(
    std::string_view program, int argc, char** argv, std::string_view help,
    const std::function<int(const std::string& dir, const CommandDelivery& delivery)>& work) {
    return run(program, argc, argv, help, [&](qm::program::Words args) {
        if (args.size() != 1)
            return usage(program, "dir");
        prepare_to_queue();
        auto delivery = command_delivery();
        if (!delivery)
            return fatal(program, delivery.error());
        return work(args[0], *delivery);
    });
}

void prepare_to_queue() {
    ::umask(022);
    ::signal(SIGPIPE, SIG_IGN);
}

std::optional<std::string> sender() {
    const char* s = std::getenv("SENDER");
    return s ? std::optional<std::string>(s) : std::nullopt;
}

Result<std::string> read_message() {
    auto message = read_all(0);
    if (!message)
        return fail(temp("4.3.0", "unable to read input: " + message.error().text));
    return message;
}

namespace {

// One line of an address file: its first word goes into the batch, a bad one is reported.
void take_line(std::string_view program, std::string_view line, size_t lineno, AddressList& out) {
    auto start = line.find_first_not_of(" \t\r");
    if (start == std::string_view::npos || line[start] == '#')
        return;
    line.remove_prefix(start);
    line = line.substr(0, line.find_first_of(" \t\r"));
    auto a = normalise_address(line);
    if (!a) {
        warning(program, "line " + std::to_string(lineno) + ": " + a.error().text + ": " +
                             std::string(line));
        ++out.bad;
        return;
    }
    out.addresses.add(*a);
}

} // namespace

Result<AddressList> read_addresses(std::string_view program, int fd) {
    // Read piecewise, so that the input never sits in memory beside the batch.
    AddressList out;
    std::string pending; // a line not yet ended
    char buf[65536];
    size_t lineno = 0;
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return fail(temp("4.3.0", "unable to read input: " + from_errno(errno, "read").text));
        }
        if (n == 0)
            break;
        std::string_view chunk(buf, static_cast<size_t>(n));
        for (auto nl = chunk.find('\n'); nl != std::string_view::npos; nl = chunk.find('\n')) {
            if (pending.empty()) {
                take_line(program, chunk.substr(0, nl), ++lineno, out);
            } else {
                pending += chunk.substr(0, nl);
                take_line(program, pending, ++lineno, out);
                pending.clear();
            }
            chunk.remove_prefix(nl + 1);
        }
        pending += chunk;
    }
    if (!pending.empty())
        take_line(program, pending, ++lineno, out);
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
