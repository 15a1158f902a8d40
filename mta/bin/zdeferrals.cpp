// zdeferrals: qmailanalog's report of one line per reason a delivery was deferred for: how many
// attempts, the time they took, the reason; least time first.
#include "analog_summary.hpp"

namespace {

constexpr std::string_view help = "usage: zdeferrals < MATCHUP-OUTPUT\n"
                                  "Reads matchup's output (matchup < LOG | zdeferrals) and prints\n"
                                  "one line per reason a delivery was deferred for: how many\n"
                                  "attempts, the time they took, the reason; least time first.\n";

} // namespace

int main(int argc, char** argv) {
    return analog_summary_main(argc, argv, "zdeferrals", help, qm::analog::Report::deferrals);
}
