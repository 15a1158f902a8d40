// ezmlm-make [-switches] dir dot local host: creates a mailing list; -e edits one
// (ezmlm-make(1)).
#include "qm/fd.hpp"
#include "qm/home.hpp"
#include "qm/lists/core/cli.hpp"
#include "qm/lists/manage/make.hpp"

#include <sys/stat.h>

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
         "  -v, -V         the version (ezmlm-idx 7); its -C ezmlmrc is not supported yet\n"
         "  -5 owner@host  list-owner forwards to owner@host (default: dir/Mailbox)\n"
         "  -0 main@host   a sublist of main@host (dir/sublist): its editor is ezmlm-send\n"
         "                 alone, taking posts only from main's return path; -f -m -o -t\n"
         "                 -u -y do not apply; it keeps its own archive (-A: none) and\n"
         "                 passes on main's List-Id, List-Post and Sender. With -e,\n"
         "                 -0 '' makes it a main list again; without -0 it stays as is.\n"
         "Every list's manager runs ezmlm-split before ezmlm-manage: write dir/split to\n"
         "hand the subscribers of some domains to sublists (ezmlm-split(1)).\n"
         "Exit: 0 done, 100 bad usage or dir exists, 111 temporary trouble.\n";
    return h;
}

int make(qm::program::Words args) {
    namespace cli = qm::lists::cli;
    constexpr std::string_view synopsis = "[-switches] dir dot local host";
    qm::lists::MakeRequest req;
    qm::program::Options options(qm::program::Order::anywhere);
    bool asked_version = false;
    std::string not_yet;
    // ezmlm-idx 7's -+ keeps the switches not given, which is what our -e does.
    options.set('e', req.edit, true)
        .set('+', req.edit, true)
        .store('5', req.owner)
        .store('0', req.parent);
    options.argument(
        'C',
        [&not_yet](const std::string&) {
            if (not_yet.empty())
                not_yet = "-C";
            return true;
        },
        "an ezmlmrc file");
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
    if (!operands)
        return cli::usage("ezmlm-make", synopsis, operands.error());
    if (asked_version)
        return cli::version();
    if (!not_yet.empty())
        return cli::refuse_not_yet("ezmlm-make", not_yet);
    const size_t left = operands->size();
    if (!(left == 4 || (req.edit && left == 1)))
        return cli::usage("ezmlm-make", synopsis);
    req.dir = (*operands)[0];
    if (left == 4) {
        req.dot = (*operands)[1];
        req.local = (*operands)[2];
        req.host = (*operands)[3];
    }
    req.bin_dir = qm::dirname_of(qm::program_path("ezmlm-send"));
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
