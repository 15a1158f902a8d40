#include "qm/lists/core/cli.hpp"

#include "qm/fd.hpp"
#include "qm/lists/core/subscribers.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
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

void declare_version(qm::program::Options& options, bool& asked) {
    options.set('v', asked, true).set('V', asked, true);
}

int version() {
    std::fputs("ezmlm version: qmplatform " QM_LISTS_VERSION "\n", stderr);
    return 0;
}

void declare_not_yet(qm::program::Options& options, std::string_view letters, std::string& given) {
    for (char letter : letters)
        options.flag(letter, [&given, letter] {
            if (given.empty())
                given = std::string("-") + letter;
        });
}

int refuse_not_yet(std::string_view program, const std::string& given) {
    return fatal(program, perm("5.3.5", "option " + given +
                                            " of ezmlm-idx 7 is not supported yet (see "
                                            "MIGRATING.md, Options)"));
}

Status standard_subscribers(std::string_view subdb) {
    if (subdb == "std")
        return {};
    return fail(perm("5.3.5", "only the standard subscriber database (-S std) is supported, not " +
                                  std::string(subdb)));
}

Result<std::vector<std::string>> databases(const std::string& dir,
                                           const std::vector<std::string>& subdirs) {
    std::vector<std::string> out{dir};
    auto absolute = [](const std::string& s) { return !s.empty() && s.front() == '/'; };
    if (subdirs.empty())
        return out;
    if (absolute(dir) && std::all_of(subdirs.begin(), subdirs.end(), absolute)) {
        out.insert(out.end(), subdirs.begin(), subdirs.end());
        return out;
    }
    out.clear();
    for (const auto& sub : subdirs) {
        if (sub.empty() || sub == ".")
            out.push_back(dir);
        else if (absolute(sub))
            out.push_back(sub);
        else if (sub.find('/') != std::string::npos)
            return fail(perm("5.3.5", "a sub-database is one name under the list directory, "
                                      "without a slash: " +
                                          sub));
        else
            out.push_back(dir + "/" + sub);
    }
    return out;
}

int run_on_command(
    std::string_view program, int argc, char** argv, std::string_view help,
    std::string_view synopsis, const std::function<void(qm::program::Options&)>& declare,
    const std::function<int(const std::string& dir, const std::vector<std::string>& then,
                            const CommandDelivery& delivery)>& work) {
    return run(program, argc, argv, help, [&](qm::program::Words args) {
        qm::program::Options options(qm::program::Order::options_first);
        bool asked_version = false;
        declare_version(options, asked_version);
        declare(options);
        auto operands = options.parse(args);
        if (!operands)
            return usage(program, synopsis, operands.error());
        if (asked_version)
            return version();
        if (operands->empty())
            return usage(program, synopsis);
        const std::vector<std::string> then(operands->begin() + 1, operands->end());
        prepare_to_queue();
        auto delivery = command_delivery();
        if (!delivery)
            return fatal(program, delivery.error());
        return work(operands->front(), then, *delivery);
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
