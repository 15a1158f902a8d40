// ezmlm-make [-switches] dir dot local host: creates a mailing list; -e edits one
// (ezmlm-make(1)).
#include "qm/fd.hpp"
#include "qm/home.hpp"
#include "qm/lists/cli.hpp"
#include "qm/lists/make.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <new>
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
    h += "  -5 owner@host  list-owner forwards to owner@host (default: dir/Mailbox)\n"
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

int usage() {
    std::fputs("ezmlm-make: usage: ezmlm-make [-switches] dir dot local host\n", stderr);
    return 100;
}

} // namespace

int main(int argc, char** argv) {
    try {
        // -h is also ezmlm's nosubconfirm switch: alone it asks for help, followed by
        // the list's arguments it is the switch.
        if (argc >= 2 && (argc == 2 || std::string_view(argv[1]) == "--help") &&
            qm::lists::cli::help_requested(argc, argv, help_text()))
            return 0;
        qm::lists::MakeRequest req;
        std::string optstring = "e5:0:";
        for (const auto& sw : qm::lists::switches()) {
            optstring += sw.letter;
            optstring += static_cast<char>(sw.letter - 'a' + 'A');
        }
        int opt;
        while ((opt = ::getopt(argc, argv, optstring.c_str())) != -1) {
            if (opt == 'e')
                req.edit = true;
            else if (opt == '5')
                req.owner = optarg;
            else if (opt == '0')
                req.parent = optarg;
            else if (opt >= 'a' && opt <= 'z')
                req.set[static_cast<char>(opt)] = true;
            else if (opt >= 'A' && opt <= 'Z')
                req.set[static_cast<char>(opt - 'A' + 'a')] = false;
            else
                return usage();
        }
        const int left = argc - optind;
        if (!(left == 4 || (req.edit && left == 1)))
            return usage();
        req.dir = argv[optind];
        if (left == 4) {
            req.dot = argv[optind + 1];
            req.local = argv[optind + 2];
            req.host = argv[optind + 3];
        }
        req.bin_dir = qm::dirname_of(qm::program_path("ezmlm-send"));
        ::umask(022);
        if (auto s = qm::lists::make_list(std::move(req)); !s)
            return qm::lists::cli::fatal("ezmlm-make", s.error());
        return 0;
    } catch (const std::bad_alloc&) {
        return qm::lists::cli::fatal("ezmlm-make", qm::temp("4.3.0", "out of memory"));
    }
}
