// zsenders: qmailanalog's report of one line per sender (uid/<address>): messages, bytes, bytes
// delivered, recipients, attempts, time taken; least time first.
#include "analog_summary.hpp"

namespace {

constexpr std::string_view help =
    "usage: zsenders < MATCHUP-OUTPUT\n"
    "Reads matchup's output (matchup < LOG | zsenders) and prints\n"
    "one line per sender (uid/<address>): messages, bytes,\n"
    "bytes delivered, recipients, attempts, time taken; least time first.\n";

} // namespace

int main(int argc, char** argv) {
    return analog_summary_main(argc, argv, "zsenders", help, qm::analog::Report::senders);
}
