// What the list programs share at their boundary: qm::program's (usage lines, --help, the
// frame of main) with ezmlm's fatal line "program: fatal: text (#dsn)" mapped to 100/111,
// the envelope sender and the message on stdin, reading addresses for bulk
// (un)subscription, and a progress line when stderr is a terminal.
#pragma once

#include "qm/lists/core/subscribers.hpp"
#include "qm/program.hpp"
#include "qm/result.hpp"

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qm::lists::cli {

// Prints "<program>: fatal: <text> (#dsn)" on stderr; returns 100 or 111 by severity.
int fatal(std::string_view program, const Failure& f);
using qm::program::usage;
using qm::program::warning;

// The frame of every list program's main, qm::program::run with ezmlm's fatal lines:
// --help (or -h, as short_help says) prints help and exits 0; otherwise work's exit code,
// and an exception on the way (running out of memory) is a temporary failure (111:
// qmail-local retries the delivery later).
int run(std::string_view program, int argc, char** argv, std::string_view help,
        const std::function<int(qm::program::Words args)>& work,
        qm::program::ShortHelp short_help = qm::program::ShortHelp::first_word);
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
// The frame of a program that answers a command address (ezmlm-moderate, ezmlm-confirm):
// usage unless argv is "program dir"; then it prepares to queue mail, checks the delivery
// with command_delivery() (a failure is fatal), and work gets dir and the delivery.
int run_on_command(
    std::string_view program, int argc, char** argv, std::string_view help,
    const std::function<int(const std::string& dir, const CommandDelivery& delivery)>& work);

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
