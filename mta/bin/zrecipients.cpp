// zrecipients: qmailanalog's report of one line per recipient (channel.address): bytes delivered,
// messages, attempts, time taken; least time first.
#include "analog_summary.hpp"

namespace {

constexpr std::string_view help =
    "usage: zrecipients < MATCHUP-OUTPUT\n"
    "Reads matchup's output (matchup < LOG | zrecipients) and prints\n"
    "one line per recipient (channel.address): bytes\n"
    "delivered, messages, attempts, time taken; least time first.\n";

} // namespace

int main(int argc, char** argv) {
    return analog_summary_main(argc, argv, "zrecipients", help, qm::analog::Report::recipients);
}
