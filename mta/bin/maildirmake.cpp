// maildirmake DIR: creates a maildir (DIR/tmp, DIR/new, DIR/cur), mode 0700.
#include "qm/program.hpp"
#include "qm/tools/maildir_make.hpp"

#include <sys/stat.h>

namespace {

constexpr std::string_view help =
    "usage: maildirmake DIR\n"
    "Creates the maildir DIR with tmp/, new/ and cur/, each mode 0700.\n"
    "DIR must not exist. Exit 0 on success, 100 on a usage error, 111 when a\n"
    "directory cannot be made.\n";

} // namespace

int main(int argc, char** argv) {
    return qm::program::run({"maildirmake", help}, argc, argv, [](qm::program::Words args) {
        if (args.size() != 1)
            return qm::program::usage("maildirmake", "name");
        ::umask(077);
        if (auto r = qm::tools::make_maildir(args[0]); !r)
            return qm::program::fatal("maildirmake", r.error());
        return 0;
    });
}
