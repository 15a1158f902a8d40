// maildirwatch: a terminal view of $MAILDIR's new mail, redrawn every 30 seconds.
#include "qm/fd.hpp"
#include "qm/program.hpp"
#include "qm/tools/maildir_watch.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

namespace {

constexpr std::string_view help =
    "usage: maildirwatch [-1]\n"
    "Shows the From and Subject of every message in $MAILDIR/new (oldest first), and\n"
    "redraws the screen every 30 seconds until interrupted. -1 shows it once, without\n"
    "clearing the screen (for scripts). Exit 111 when $MAILDIR is not set or cannot be\n"
    "read.\n";

} // namespace

int main(int argc, char** argv) {
    return qm::program::run({"maildirwatch", help}, argc, argv, [](qm::program::Words args) {
        const bool once = args.size() == 1 && args[0] == "-1";
        if (!args.empty() && !once)
            return qm::program::usage("maildirwatch", "[-1]");
        const char* maildir = std::getenv("MAILDIR");
        if (maildir == nullptr || *maildir == '\0')
            return qm::program::fatal("maildirwatch", "MAILDIR not set", 111);
        for (;;) {
            auto screen = qm::tools::maildir_summary(maildir);
            if (!screen)
                return qm::program::fatal("maildirwatch", screen.error());
            // ESC [H ESC [J: home and clear, as a terminal that knows ANSI escapes wants.
            const std::string page = (once ? std::string() : std::string("\033[H\033[J")) + *screen;
            if (!qm::write_all(STDOUT_FILENO, page))
                return 111;
            if (once)
                return 0;
            std::this_thread::sleep_for(std::chrono::seconds(30));
        }
    });
}
