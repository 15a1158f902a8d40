#include "qm/program.hpp"

#include <boost/program_options.hpp>

#include <climits>
#include <cstdio>
#include <exception>
#include <new>
#include <optional>

namespace qm::program {

std::vector<std::string> words(int argc, char** argv) {
    return argc > 1 ? std::vector<std::string>(argv + 1, argv + argc) : std::vector<std::string>();
}

int fatal(std::string_view program, std::string_view text, int code) {
    std::string line = std::string(program) + ": fatal: " + std::string(text) + "\n";
    std::fputs(line.c_str(), stderr);
    return code;
}

int fatal(std::string_view program, const Failure& f) {
    return fatal(program, f.text, exit_code(f));
}

void warning(std::string_view program, std::string_view text) {
    std::string line = std::string(program) + ": warning: " + std::string(text) + "\n";
    std::fputs(line.c_str(), stderr);
}

int usage(std::string_view program, std::string_view synopsis) {
    std::string line = std::string(program) + ": usage: " + std::string(program);
    if (!synopsis.empty())
        line += " " + std::string(synopsis);
    line += "\n";
    std::fputs(line.c_str(), stderr);
    return 100;
}

int usage(std::string_view program, std::string_view synopsis, const Failure& why) {
    std::string line = std::string(program) + ": " + why.text + "\n";
    std::fputs(line.c_str(), stderr);
    return usage(program, synopsis);
}

bool help_requested(const About& about, Words args) {
    if (args.empty())
        return false;
    bool asked = args[0] == "--help";
    if (args[0] == "-h")
        asked = about.short_help == ShortHelp::first_word ||
                (about.short_help == ShortHelp::only_word && args.size() == 1);
    if (asked)
        std::fwrite(about.help.data(), 1, about.help.size(), stdout);
    return asked;
}

bool help_requested(const About& about, int argc, char** argv) {
    return help_requested(about, words(argc, argv));
}

int run(const About& about, int argc, char** argv, const std::function<int(Words args)>& work) {
    auto die = [&](const Failure& f) {
        return fatal(about.name, about.dsn ? f.with_dsn() : f.text, exit_code(f));
    };
    try {
        const std::vector<std::string> args = words(argc, argv);
        if (help_requested(about, args))
            return 0;
        return work(args);
    } catch (const std::bad_alloc&) {
        return die(temp("4.3.0", "out of memory"));
    } catch (const std::exception& e) {
        return die(temp("4.3.0", std::string("internal error: ") + e.what()));
    }
}

Options& Options::flag(const Name& name, std::function<void()> action) {
    declared_.push_back({name.text, false, std::move(action), {}, {}});
    return *this;
}

Options& Options::argument(const Name& name, std::function<bool(const std::string&)> action,
                           std::string what) {
    declared_.push_back({name.text, true, {}, std::move(action), std::move(what)});
    return *this;
}

const Options::Declared* Options::find(std::string_view name) const {
    for (const auto& d : declared_)
        if (d.name == name)
            return &d;
    return nullptr;
}

namespace {

namespace po = boost::program_options;

std::string shown(std::string_view name) {
    return (name.size() == 1 ? "-" : "--") + std::string(name);
}

bool is_operand(const std::string& word) {
    return word.size() < 2 || word[0] != '-';
}

po::option with_argument(const std::string& key, const std::string& word,
                         const std::string& argument) {
    po::option o;
    o.string_key = key;
    o.value.push_back(argument);
    o.original_tokens = {word, argument};
    return o;
}

// getopt's rule for an option whose argument is the next word: it takes that word whatever
// it looks like. Left to itself, Boost refuses a word that looks like a declared option
// ("-f -n") and can misread an empty one.
std::vector<po::option> next_word_argument(std::vector<std::string>& args,
                                           const auto& takes_argument) {
    if (args.size() < 2 || is_operand(args[0]))
        return {};
    const std::string word = args[0];
    if (word[1] == '-') {
        if (takes_argument(std::string_view(word).substr(2)) != true)
            return {}; // "--", "--name=value", a flag or unknown: Boost's
        auto o = with_argument(word.substr(2), word, args[1]);
        args.erase(args.begin(), args.begin() + 2);
        return {o};
    }
    for (size_t j = 1; j < word.size(); ++j) {
        auto arg = takes_argument(std::string_view(word).substr(j, 1));
        if (arg == false)
            continue; // a flag in the cluster
        if (!arg || j + 1 < word.size())
            return {}; // unknown, or the argument is in this word: Boost's
        if (j > 1) {
            // "-nf x": the letter goes into a word of its own and the words are read again.
            args[0].pop_back();
            args.insert(args.begin() + 1, "-" + word.substr(j));
            return {};
        }
        auto o = with_argument(word, word, args[1]);
        args.erase(args.begin(), args.begin() + 2);
        return {o};
    }
    return {};
}

} // namespace

Result<std::vector<std::string>> Options::parse(Words args) const {
    po::options_description description;
    for (const auto& d : declared_) {
        // ",x" declares a letter alone; a word is a long name.
        const std::string names = d.name.size() == 1 ? "," + d.name : d.name;
        description.add_options()(names.c_str(), new po::untyped_value(!d.takes_argument), "");
    }
    // Whether a declared option takes an argument; nullopt for an unknown one.
    auto takes_argument = [&](std::string_view name) -> std::optional<bool> {
        const Declared* d = find(name);
        return d ? std::optional(d->takes_argument) : std::nullopt;
    };
    const Order order = order_;
    // Runs before Boost's own readers at every word: getopt's argument rule, and, in
    // qmail's order, the first operand turns the rest into operands as "--" would.
    auto classic = [&, order](std::vector<std::string>& remaining) {
        std::vector<po::option> rest = next_word_argument(remaining, takes_argument);
        if (!rest.empty())
            return rest;
        if (order == Order::options_first && is_operand(remaining[0])) {
            for (const auto& w : remaining) {
                po::option operand;
                operand.value.push_back(w);
                operand.original_tokens.push_back(w);
                operand.position_key = INT_MAX; // what Boost marks the words after "--" with
                rest.push_back(std::move(operand));
            }
            remaining.clear();
        }
        return rest;
    };
    namespace style = po::command_line_style;
    const int classic_style = style::allow_short | style::allow_dash_for_short |
                              style::short_allow_adjacent | style::short_allow_next |
                              style::allow_sticky | style::allow_long | style::long_allow_adjacent |
                              style::long_allow_next;
    const std::vector<std::string> tokens(args.begin(), args.end());
    po::parsed_options parsed(&description);
    try {
        parsed = po::command_line_parser(tokens)
                     .options(description)
                     .style(classic_style)
                     .extra_style_parser(classic)
                     .allow_unregistered()
                     .run();
    } catch (const po::error_with_option_name& e) {
        // The only errors left: an argument missing at the end, or given to a flag
        // ("--create-users=x"). Boost names a letter "--x".
        std::string name = e.get_option_name();
        name.erase(0, name.find_first_not_of('-'));
        const Declared* d = find(name);
        if (d && d->takes_argument)
            return fail(perm("5.3.5", "option " + shown(name) + " needs " + d->what));
        return fail(perm("5.3.5", "option " + shown(name) + " takes no argument"));
    } catch (const po::error& e) {
        return fail(perm("5.3.5", e.what()));
    }
    std::vector<std::string> operands;
    for (const po::option& o : parsed.options) {
        if (o.string_key.empty()) {
            operands.push_back(o.value.front());
            continue;
        }
        // A letter comes back as "-x", a word without its dashes.
        const bool letter = o.string_key[0] == '-';
        const std::string written = letter ? o.string_key : "--" + o.string_key;
        const Declared* d = o.unregistered ? nullptr : find(o.string_key.substr(letter ? 1 : 0));
        if (!d)
            return fail(perm("5.3.5", "unknown option " + written));
        if (!d->takes_argument)
            d->on_flag();
        else if (!d->on_argument(o.value.front()))
            return fail(perm("5.3.5", "bad argument for " + written + ": " + o.value.front()));
    }
    return operands;
}

bool at_option_word(Words args, size_t& i) {
    if (i >= args.size())
        return false;
    const std::string& a = args[i];
    if (a == "--") {
        ++i;
        return false;
    }
    return a.size() >= 2 && a[0] == '-';
}

} // namespace qm::program
