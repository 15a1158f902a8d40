// qmail-install: creates (or repairs) a mail root at $QMAILHOME or the given directory.
#include "qm/install/install.hpp"
#include "qm/program.hpp"

#include <algorithm>
#include <cstdio>
#include <string>

namespace {

constexpr std::string_view help =
    "usage: qmail-install [--create-users] [--bin DIR] [--man DIR] [HOME]\n"
    "Creates the mail root HOME (default $QMAILHOME, else /var/qmail): queue/ with\n"
    "qmail's owners and modes, control/, users/, alias/, bin/ (links to the\n"
    "programs in --bin DIR, default: the directory of qmail-install itself) and\n"
    "man/ (copies of the manual pages in --man DIR's man1, man5 and man8, default\n"
    "the bin directory's ../share/man, where the build puts them).\n"
    "As root, the queue belongs to qmail's role users (qmaild qmaill qmailp qmailq\n"
    "qmailr qmails alias, group qmail, nofiles); --create-users adds any that are\n"
    "missing. As a normal user every part belongs to that user.\n"
    "Existing control and user files are kept: running it again is safe.\n";

int install(qm::program::Words args) {
    // Word options, so --help or -h asks for help wherever it stands.
    if (std::ranges::any_of(args,
                            [](const std::string& a) { return a == "--help" || a == "-h"; })) {
        std::fwrite(help.data(), 1, help.size(), stdout);
        return 0;
    }
    qm::install::Options opt;
    qm::program::Options options(qm::program::Order::anywhere);
    options.set("create-users", opt.create_users, true)
        .store("bin", opt.bin_dir)
        .store("man", opt.man_dir);
    auto homes = options.parse(args);
    if (!homes) {
        std::fprintf(stderr, "qmail-install: %s (try --help)\n", homes.error().text.c_str());
        return 100;
    }
    if (!homes->empty())
        opt.home = homes->back(); // of several, the last counts
    if (auto r = qm::install::install(opt); !r)
        return qm::program::fatal("qmail-install", r.error());
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    return qm::program::run({"qmail-install", help}, argc, argv, install);
}
