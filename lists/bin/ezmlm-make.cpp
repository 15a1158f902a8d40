// ezmlm-make [-switches] dir dot local host: creates a mailing list; -e edits one
// (ezmlm-make(1)).
#include "qm/fd.hpp"
#include "qm/home.hpp"
#include "qm/lists/core/cli.hpp"
#include "qm/lists/core/clock.hpp"
#include "qm/lists/manage/make.hpp"

#include <sys/stat.h>

#include <charconv>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace {

std::string help_text() {
    std::string h = "usage: ezmlm-make [-switches] [-5 owner@host] [-0 main@host] dir dot local "
                    "host\n"
                    "       ezmlm-make -e [-switches] dir [dot local host]\n"
                    "Creates the list local@host in dir (absolute) in ezmlm's layout and the\n"
                    "links dot, dot-default, dot-owner and dot-return-default to its editor,\n"
                    "manager, owner and bouncer files. With -e, changes an existing list:\n"
                    "switches not given keep their value; subscribers, archive, num, key and\n"
                    "text/ are kept. A lower-case switch turns a feature on, upper case off:\n";
    for (const auto& sw : qm::lists::switches()) {
        h += "  -";
        h += sw.letter;
        h += sw.on_by_default ? " (default)  " : "            ";
        h += sw.what;
        h += "\n";
    }
    h += "  -+             as -e (ezmlm-idx 7: switches not given keep their value)\n"
         "  -v, -V         the version (ezmlm-idx 7)\n"
         "  -C file        make the list from file, an ezmlm-idx 7 ezmlmrc (a directory\n"
         "                 means its ezmlmrc), as ezmlm-idx's ezmlm-make does; <#B#> is\n"
         "                 this program's directory. -c: the .ezmlmrc beside dot. -e on\n"
         "                 a list made so uses its ezmlmrc again (not as root); -ee or\n"
         "                 -++ rewrite the files it marks E. With an ezmlmrc, every\n"
         "                 letter a-z/A-Z is a flag for it, and -3 .. -9 ARG (and the\n"
         "                 fifth operand, the digest code) are its <#3#> .. <#9#>, <#C#>.\n"
         "  -k -q -z        accepted, no effect without an ezmlmrc (as in ezmlm-idx's own)\n"
         "  -5 owner@host  list-owner forwards to owner@host (default: dir/Mailbox)\n"
         "  -0 main@host   a sublist of main@host (dir/sublist): its editor is ezmlm-send\n"
         "                 alone, taking posts only from main's return path; -f -m -o -t\n"
         "                 -u -y do not apply; it keeps its own archive (-A: none) and\n"
         "                 passes on main's List-Id, List-Post and Sender. With -e,\n"
         "                 -0 '' makes it a main list again; without -0 it stays as is.\n"
         "  --ezmlm7-cookies=WHEN  accept ezmlm-idx 7's cookies (confirmations and\n"
         "                 moderation requests it sent before the list moved) until WHEN:\n"
         "                 a Unix time, +SECONDS from now, or off. Without it, -e on a\n"
         "                 list ezmlm-idx 7 made opens this window for 3,000,000 s.\n"
         "Every list's manager runs ezmlm-split before ezmlm-manage: write dir/split to\n"
         "hand the subscribers of some domains to sublists (ezmlm-split(1)).\n"
         "Exit: 0 done, 100 bad usage or dir exists, 111 temporary trouble.\n";
    return h;
}

// --ezmlm7-cookies's value: the end of the window, 0 for off.
std::optional<std::time_t> parse_window_end(std::string_view v) {
    if (v == "off")
        return std::time_t{0};
    const bool relative = v.starts_with("+");
    if (relative)
        v.remove_prefix(1);
    long long n = 0;
    auto [end, error] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (v.empty() || error != std::errc{} || end != v.data() + v.size() || n < 0)
        return std::nullopt;
    return relative ? qm::lists::now() + static_cast<std::time_t>(n) : static_cast<std::time_t>(n);
}

int make(qm::program::Words args) {
    namespace cli = qm::lists::cli;
    constexpr std::string_view synopsis = "[-switches] dir dot local host";
    qm::lists::MakeRequest req;
    qm::program::Options options(qm::program::Order::anywhere);
    bool asked_version = false;
    std::string not_yet;
    // ezmlm-idx 7's -+ keeps the switches not given, which is what our -e does.
    int edits = 0;
    int pluses = 0;
    options.flag('e', [&] { ++edits; })
        .flag('+', [&] { ++pluses; })
        .store('5', req.owner)
        .store('0', req.parent)
        .store('C', req.ezmlmrc, "an ezmlmrc file")
        .set('c', req.dot_ezmlmrc, true);
    // Letters ezmlm-idx 7 has that our own layout does not use: only an ezmlmrc gives
    // them a meaning.
    for (char letter : std::string_view("kqxz")) {
        options.flag(letter, [&req, letter] { req.other_letters[letter] = true; });
        options.flag(static_cast<char>(letter - 'a' + 'A'),
                     [&req, letter] { req.other_letters[letter] = false; });
    }
    for (char digit : std::string_view("346789"))
        options.argument(
            digit,
            [&req, digit](const std::string& arg) {
                req.args[digit] = arg;
                return true;
            },
            "an argument for the ezmlmrc");
    std::string window_error;
    options.argument(
        "ezmlm7-cookies",
        [&req, &window_error](const std::string& v) {
            auto until = parse_window_end(v);
            if (!until)
                window_error = "--ezmlm7-cookies takes a Unix time, +SECONDS or off, not " + v;
            req.ezmlm7_cookies_until = until;
            return until.has_value();
        },
        "a Unix time, +SECONDS or off");
    cli::declare_version(options, asked_version);
    // A lower-case switch turns its feature on, the upper-case one off; req.set holds only
    // the switches given (with -e the others keep their value).
    for (const auto& sw : qm::lists::switches()) {
        const char letter = sw.letter;
        options.flag(letter, [&req, letter] { req.set[letter] = true; });
        options.flag(static_cast<char>(letter - 'a' + 'A'),
                     [&req, letter] { req.set[letter] = false; });
    }
    auto operands = options.parse(args);
    if (!window_error.empty())
        return cli::usage("ezmlm-make", synopsis, qm::perm("5.3.5", window_error));
    if (!operands)
        return cli::usage("ezmlm-make", synopsis, operands.error());
    if (asked_version)
        return cli::version();
    // -ee or -++: ezmlmrc files marked E are rewritten too.
    req.edit = edits > 0 || pluses > 0;
    req.force = edits > 1 || pluses > 1;
    const bool from_ezmlmrc = (req.ezmlmrc && !req.ezmlmrc->empty()) || req.dot_ezmlmrc;
    if (!from_ezmlmrc && not_yet.empty()) {
        // Without an ezmlmrc these would be lost: refused, never ignored. (An edit of a
        // list made from an ezmlmrc finds it again; make_list refuses them there too if
        // it does not.)
        if (req.other_letters.contains('x'))
            not_yet = req.other_letters.at('x') ? "-x" : "-X";
        else if (!req.args.empty())
            not_yet = std::string("-") + req.args.begin()->first;
    }
    if (!not_yet.empty())
        return cli::refuse_not_yet("ezmlm-make", not_yet);
    const size_t left = operands->size();
    if (!(left == 4 || left == 5 || (req.edit && left == 1)))
        return cli::usage("ezmlm-make", synopsis);
    req.dir = (*operands)[0];
    if (left >= 4) {
        req.dot = (*operands)[1];
        req.local = (*operands)[2];
        req.host = (*operands)[3];
        if (left == 5)
            req.digest_code = (*operands)[4];
    }
    req.bin_dir = qm::dirname_of(qm::program_path("ezmlm-send"));
    // Root edits or makes a user's list as that user (before -C's template or anything
    // in the list is read).
    if (auto s = qm::lists::become_list_owner(req.dir); !s)
        return cli::fatal("ezmlm-make", s.error());
    ::umask(022);
    if (auto s = qm::lists::make_list(std::move(req)); !s)
        return cli::fatal("ezmlm-make", s.error());
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    // -h is also ezmlm's nosubconfirm switch: alone it asks for help, followed by the
    // list's arguments it is the switch.
    const std::string help = help_text();
    return qm::lists::cli::run("ezmlm-make", argc, argv, help, make,
                               qm::program::ShortHelp::only_word);
}
