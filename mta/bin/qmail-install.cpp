// qmail-install: creates (or repairs) a mail root at $QMAILHOME or the given directory.
#include "qm/install/install.hpp"

#include <cstdio>
#include <cstring>
#include <string>

int main(int argc, char** argv) {
    qm::install::Options opt;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--help" || a == "-h") {
            std::puts(
                "usage: qmail-install [--create-users] [--bin DIR] [--man DIR] [HOME]\n"
                "Creates the mail root HOME (default $QMAILHOME, else /var/qmail): queue/ with\n"
                "qmail's owners and modes, control/, users/, alias/, bin/ (links to the\n"
                "programs in --bin DIR, default: the directory of qmail-install itself) and\n"
                "man/ (copies of the manual pages in --man DIR's man1, man5 and man8, default\n"
                "the bin directory's ../share/man, where the build puts them).\n"
                "As root, the queue belongs to qmail's role users (qmaild qmaill qmailp qmailq\n"
                "qmailr qmails alias, group qmail, nofiles); --create-users adds any that are\n"
                "missing. As a normal user every part belongs to that user.\n"
                "Existing control and user files are kept: running it again is safe.");
            return 0;
        }
        if (a == "--create-users")
            opt.create_users = true;
        else if (a == "--bin" && i + 1 < argc)
            opt.bin_dir = argv[++i];
        else if (a == "--man" && i + 1 < argc)
            opt.man_dir = argv[++i];
        else if (!a.empty() && a[0] == '-') {
            std::fprintf(stderr, "qmail-install: unknown option %s (try --help)\n", a.c_str());
            return 100;
        } else
            opt.home = a;
    }
    auto r = qm::install::install(opt);
    if (!r) {
        std::fprintf(stderr, "qmail-install: fatal: %s\n", r.error().text.c_str());
        return qm::exit_code(r.error());
    }
    return 0;
}
