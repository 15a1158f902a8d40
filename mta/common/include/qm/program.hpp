// The boundary every program shares (mta, lists, forward), in qmail's manner. A fatal
// error is one line "program: fatal: text" on stderr and exit 100 (permanent) or 111
// (temporary); a bad command line is "program: usage: program synopsis" and exit 100;
// --help prints the program's help on stdout and exits 0; whatever escapes the work (an
// exception, running out of memory) is a temporary failure, exit 111, so that whoever ran
// the program (qmail-local, qmail-send, a script) tries again later.
// Option words are parsed by Boost.Program_options under the classic conventions
// (Options below). A syntax it cannot express faithfully (sendmail's flags) keeps a hand
// parser built on at_option_word. Boost's headers stay in program.cpp.
#pragma once

#include "qm/result.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace qm::program {

// The words of a command line after the program's name.
using Words = std::span<const std::string>;
[[nodiscard]] std::vector<std::string> words(int argc, char** argv);

// "<program>: fatal: <text>" on stderr; returns code.
int fatal(std::string_view program, std::string_view text, int code);
// The same for a failure: its text, and 100 or 111 by its severity.
int fatal(std::string_view program, const Failure& f);
// "<program>: warning: <text>" on stderr.
void warning(std::string_view program, std::string_view text);
// "<program>: usage: <program> <synopsis>" on stderr; returns 100.
int usage(std::string_view program, std::string_view synopsis);
// The same after "<program>: <why>" (an unknown option, a missing argument), as getopt's
// complaint used to come before the usage line.
int usage(std::string_view program, std::string_view synopsis, const Failure& why);

// "--help" as the first word asks for help; whether "-h" does depends on the program.
enum class ShortHelp : std::uint8_t {
    first_word, // "-h" as the first word too (most programs)
    only_word,  // only "-h" alone: ezmlm-make's -h is also its nosubconfirm switch
    never,      // -h is the program's own flag (qmail-inject, qmail-pw2u)
};

struct About {
    std::string_view name;
    std::string_view help; // printed as it is: "usage: <name> ...", ending in a newline
    ShortHelp short_help = ShortHelp::first_word;
    // ezmlm's fatal lines end with the status code, "text (#4.3.0)", which qmail-local
    // passes on to the sender in a bounce.
    bool dsn = false;
};

// If args ask for help, prints it on stdout and returns true.
[[nodiscard]] bool help_requested(const About& about, Words args);
// The same on main's arguments, for a program whose main keeps a frame of its own.
[[nodiscard]] bool help_requested(const About& about, int argc, char** argv);
// The frame of main: help (exit 0), else work's exit code. An exception escaping work is
// a fatal line ("out of memory", "internal error: ...") and exit 111.
int run(const About& about, int argc, char** argv, const std::function<int(Words args)>& work);

// Where operands may stand among the option words.
enum class Order : std::uint8_t {
    // qmail's getopt: the first operand ends the options, so a command line after it keeps
    // its own flags (preline -d cmd -x, qmail-inject -n rcpt -h).
    options_first,
    // glibc's getopt, which the list and forwarding programs were built on: options may
    // also follow operands (ezmlm-list dir -n).
    anywhere,
};

// An option's name: a letter ('n' for -n) or a word ("bin" for --bin).
struct Name {
    Name(char letter)
        : text(1, letter) {}
    Name(const char* word)
        : text(word) {}
    std::string text;
};

// A program's option words, read with Boost.Program_options under the classic rules:
// "-xy" is a cluster of letters; a letter that takes an argument takes the rest of its
// word or else the next word, whatever that looks like ("-fsender", "-f sender",
// "-f -x"); "--" ends the options; "-" is an operand; a word option is "--name", with
// "--name value" or "--name=value" when it takes one. The actions run in command-line
// order, so a later flag overrides an earlier one as in qmail's getopt loops (-n -N
// means -N).
class Options {
public:
    explicit Options(Order order)
        : order_(order) {}

    // The option runs action.
    Options& flag(const Name& name, std::function<void()> action);
    // The option sets target to value.
    template <class T, class V>
    Options& set(const Name& name, T& target, V value) {
        return flag(name, [&target, value] { target = value; });
    }
    // The option takes an argument, which action may refuse by returning false (a usage
    // error). what names the argument when it is missing: "option -f needs <what>".
    Options& argument(const Name& name, std::function<bool(const std::string&)> action,
                      std::string what = "an argument");
    // The option's argument goes into target.
    template <class T>
    Options& store(const Name& name, T& target, std::string what = "an argument") {
        return argument(
            name,
            [&target](const std::string& value) {
                target = value;
                return true;
            },
            std::move(what));
    }

    // Runs the actions of the options in args and returns the operands. An unknown option
    // or a missing or refused argument is a permanent failure naming it ("unknown option
    // -x"); the actions of the options before it have run.
    [[nodiscard]] Result<std::vector<std::string>> parse(Words args) const;

private:
    struct Declared {
        std::string name;
        bool takes_argument = false;
        std::function<void()> on_flag;
        std::function<bool(const std::string&)> on_argument;
        std::string what;
    };
    [[nodiscard]] const Declared* find(std::string_view name) const;

    Order order_;
    std::vector<Declared> declared_;
};

// For a hand parser of qmail's convention: true when args[i] is an option cluster. At
// the end of the options it is false, with i moved past a "--", so that args[i..] are
// the operands:
//     for (i = 0; at_option_word(args, i); ++i) { for (char c : args[i].substr(1)) ... }
[[nodiscard]] bool at_option_word(Words args, size_t& i);

} // namespace qm::program
