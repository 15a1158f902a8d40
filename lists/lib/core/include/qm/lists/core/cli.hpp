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
// --help prints help and exits 0; otherwise work's exit code, and an exception on the way
// (running out of memory) is a temporary failure (111: qmail-local retries the delivery
// later). -h is help only where short_help says so: ezmlm-idx 7 gives -h meanings of its
// own (ezmlm-reject's headerreject, ezmlm-send's header, ezmlm-sub's hash).
int run(std::string_view program, int argc, char** argv, std::string_view help,
        const std::function<int(qm::program::Words args)>& work,
        qm::program::ShortHelp short_help = qm::program::ShortHelp::never);

// ezmlm-idx 7's -v and -V, which all its programs take: "ezmlm version: ..." on stderr
// and exit 0. declare_version adds both to options, setting asked; version() prints and
// returns the exit code.
void declare_version(qm::program::Options& options, bool& asked);
int version();

// ezmlm-idx 7 switches whose meaning we do not have yet: declared so that they are known,
// given names the first one used ("-Q"), and refuse_not_yet() turns it into a permanent
// failure naming it (exit 100), so that none is silently ignored.
void declare_not_yet(qm::program::Options& options, std::string_view letters, std::string& given);
int refuse_not_yet(std::string_view program, const std::string& given);

// ezmlm-idx 7's -S subdb (ezmlm-list, ezmlm-sub, ezmlm-unsub): "std", the standard
// subscriber files, is the only database we have; an SQL plugin is a permanent failure
// naming it.
[[nodiscard]] Status standard_subscribers(std::string_view subdb);

// ezmlm-idx 7's "dir [subdir ...]" (ezmlm-issubn, ezmlm-gate): the subscriber databases
// named. When every word is absolute, each is a database of its own (ezmlm 0.53's
// "ezmlm-issubn /l /l/allow"); otherwise the first is the list and the rest are its
// sub-databases by name, "." being the list itself ("ezmlm-issubn /l . digest allow").
// A name with a slash in it is refused, as 7.x refuses it (one level only). Without
// subdirs, the list itself.
[[nodiscard]] Result<std::vector<std::string>> databases(const std::string& dir,
                                                         const std::vector<std::string>& subdirs);

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
// its options (declare adds them; -v and -V are added here), then dir and, as ezmlm-idx 7
// allows, a program with its arguments to take a post instead of ezmlm-send (the options
// end at dir, so that program keeps its own). Usage unless argv is that; then it prepares
// to queue mail, checks the delivery with command_delivery() (a failure is fatal), and
// work gets dir, the program's words (empty: none) and the delivery.
int run_on_command(
    std::string_view program, int argc, char** argv, std::string_view help,
    std::string_view synopsis, const std::function<void(qm::program::Options&)>& declare,
    const std::function<int(const std::string& dir, const std::vector<std::string>& then,
                            const CommandDelivery& delivery)>& work);

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
