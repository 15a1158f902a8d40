// qmail-newu: compile $QMAILHOME/users/assign into users/cdb (qmail-newu(8)).
#include "qm/home.hpp"
#include "qm/local/users.hpp"
#include "qm/program.hpp"

#include <sys/stat.h>

namespace {

constexpr std::string_view help =
    "usage: qmail-newu\n"
    "Compiles $QMAILHOME/users/assign (qmail-users(5)) into users/cdb, which\n"
    "replaces the old one atomically. A malformed assign file leaves the old\n"
    "users/cdb in place; the error names the line.\n";

} // namespace

int main(int argc, char** argv) {
    return qm::program::run({"qmail-newu", help}, argc, argv, [](qm::program::Words args) {
        if (!args.empty())
            return qm::program::usage("qmail-newu", "");
        ::umask(033);
        if (auto s = qm::local::build_users_cdb(qm::qmail_home()); !s)
            return qm::program::fatal("qmail-newu", s.error());
        return 0;
    });
}
