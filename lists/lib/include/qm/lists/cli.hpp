// What the list programs share at their boundary: "program: fatal: text (#dsn)" on
// stderr mapped to 100/111, usage lines, --help and the frame of main, the envelope
// sender and the message on stdin, reading addresses for bulk (un)subscription, and a
// progress line when stderr is a terminal.
#pragma once

#include "qm/lists/subscribers.hpp"
#include "qm/result.hpp"

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qm::lists::cli {

// Prints "<program>: fatal: <text> (#dsn)" on stderr; returns 100 or 111 by severity.
int fatal(std::string_view program, const Failure& f);
void warning(std::string_view program, std::string_view text);
// Prints "<program>: usage: <program> <synopsis>" on stderr; returns 100.
int usage(std::string_view program, std::string_view synopsis);
// True if argv[1] is --help or -h; then prints help on stdout.
bool help_requested(int argc, char** argv, std::string_view help);

// The frame of every list program's main: --help (or -h) prints help and exits 0;
// otherwise work's exit code, and running out of memory on the way is a temporary failure
// (111: qmail-local retries the delivery later).
int run(std::string_view program, int argc, char** argv, std::string_view help,
        const std::function<int()>& work);
// The same for a program that a list's dot-qmail file runs as "program dir" on a message
// (ezmlm-send, ezmlm-store): usage unless argv is just that; then it prepares to queue
// mail and reads the message on stdin, and work gets dir and the message.
int run_on_message(
    std::string_view program, int argc, char** argv, std::string_view help,
    const std::function<int(const std::string& dir, const std::string& message)>& work);

// A program that queues mail creates files readable by all (umask 022, as qmail's own
// programs) and gets a write error, not a signal, from a closed pipe.
void prepare_to_queue();
// $SENDER (qmail-local's envelope sender), if set.
[[nodiscard]] std::optional<std::string> sender();
// The message on stdin; unreadable input is a temporary failure.
[[nodiscard]] Result<std::string> read_message();

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
// their line number and counted in bad, the rest come back normalised, batched for
// bulk_update.
struct AddressList {
    AddressBatch addresses;
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
