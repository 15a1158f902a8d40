// qmail-showctl: every control file with its value or default and what it means.
#include "qm/fd.hpp"
#include "qm/home.hpp"
#include "qm/program.hpp"
#include "qm/tools/show_controls.hpp"

#include <unistd.h>

namespace {

constexpr std::string_view help =
    "usage: qmail-showctl\n"
    "Prints this installation's constants (home, user-ext delimiter, user and group ids),\n"
    "then every control file in $QMAILHOME/control (default /var/qmail) in qmail's order:\n"
    "its value, or \"(Default.)\" and the default, and what it means; then this\n"
    "platform's own control files; then any other file there, which nothing reads.\n"
    "Exit 0; 111 when control/ cannot be read.\n";

} // namespace

int main(int argc, char** argv) {
    return qm::program::run({"qmail-showctl", help}, argc, argv, [](qm::program::Words args) {
        if (!args.empty())
            return qm::program::usage("qmail-showctl", "");
        const auto report = qm::tools::show_controls(qm::qmail_home());
        if (auto w = qm::write_all(STDOUT_FILENO, report.text); !w)
            return qm::program::fatal("qmail-showctl", w.error());
        return report.complete ? 0 : 111;
    });
}
