// zoverall: qmailanalog's report of the overall figures: completed messages, delivery attempts,
// bytes, delays and the average concurrency.
#include "analog_summary.hpp"

namespace {

constexpr std::string_view help = "usage: zoverall < MATCHUP-OUTPUT\n"
                                  "Reads matchup's output (matchup < LOG | zoverall) and prints\n"
                                  "the overall figures: completed messages, delivery attempts,\n"
                                  "bytes, delays and the average concurrency.\n";

} // namespace

int main(int argc, char** argv) {
    return analog_summary_main(argc, argv, "zoverall", help, qm::analog::Report::overall);
}
