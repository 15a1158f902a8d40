// qmail-qread: lists every queued message, its sender and its recipients (qmail-qread(8)).
#include "qm/program.hpp"
#include "qm/tools/queue_report.hpp"

#include <cstdio>
#include <exception>

namespace {

constexpr std::string_view help =
    "usage: qmail-qread\n"
    "Lists the messages in $QMAILHOME/queue (default /var/qmail), one line each:\n"
    "  date GMT  #id  bytes  <sender>  [bouncing]\n"
    "then one line per recipient: [done] local|remote address.\n"
    "Messages qmail-send has not preprocessed yet are listed after the others.\n"
    "Exit 0, or 111 when the queue cannot be read.\n";

} // namespace

// Not qm::program::run: as qmail's, qmail-qread reports trouble in its listing on stdout.
int main(int argc, char** argv) {
    if (qm::program::help_requested({"qmail-qread", help}, argc, argv))
        return 0;
    try {
        auto routing = qm::load_routing();
        if (!routing) {
            std::printf("fatal: %s\n", routing.error().text.c_str());
            return 111;
        }
        auto messages = qm::tools::scan_queue(qm::queue::Layout::from_home(), *routing);
        if (!messages) {
            std::printf("fatal: %s\n", messages.error().text.c_str());
            return 111;
        }
        for (const auto& m : *messages)
            std::fputs(qm::tools::format_qread(m).c_str(), stdout);
        return std::fflush(stdout) == 0 ? 0 : 111;
    } catch (const std::exception&) {
        std::puts("fatal: out of memory");
        return 111;
    }
}
