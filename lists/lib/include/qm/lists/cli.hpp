// What the list programs share at their boundary: "program: fatal: text (#dsn)" on
// stderr mapped to 100/111, --help, reading addresses for bulk (un)subscription, and a
// progress line when stderr is a terminal.
#pragma once

#include "qm/result.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace qm::lists::cli {

// Prints "<program>: fatal: <text> (#dsn)" on stderr; returns 100 or 111 by severity.
int fatal(std::string_view program, const Failure& f);
void warning(std::string_view program, std::string_view text);
// True if argv[1] is --help or -h; then prints help on stdout.
bool help_requested(int argc, char** argv, std::string_view help);

// $SENDER, $LOCAL and $DEFAULT as qmail-local sets them for a command address, for the
// programs answering list-accept-..., list-confirm-... (their own answers must reach a
// person): a missing one, a bounce (empty SENDER or #@[]) or a sender without a host
// name is a permanent failure saying so.
struct CommandDelivery {
    std::string sender, local, default_part;
};
[[nodiscard]] Result<CommandDelivery> command_delivery();

// Addresses from a file (or stdin for "-"), one per line: the first word of each line;
// blank lines and lines starting with '#' are skipped. Bad addresses are reported with
// their line number and counted in bad, the rest come back normalised.
struct AddressList {
    std::vector<std::string> addresses;
    size_t bad = 0;
};
[[nodiscard]] Result<AddressList> read_addresses(std::string_view program, int fd);

// Updates one status line on stderr ("\r...") when it is a terminal; done() ends it.
class Progress {
public:
    explicit Progress(std::string_view program);
    void update(std::string_view text);
    void done();
    [[nodiscard]] bool active() const { return tty_; }

private:
    std::string program_;
    bool tty_;
    bool shown_ = false;
};

} // namespace qm::lists::cli
