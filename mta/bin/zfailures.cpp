// zfailures: qmailanalog's report of one line per reason a delivery failed for: how many attempts,
// the time they took, the reason; least time first.
#include "analog_summary.hpp"

namespace {

constexpr std::string_view help = "usage: zfailures < MATCHUP-OUTPUT\n"
                                  "Reads matchup's output (matchup < LOG | zfailures) and prints\n"
                                  "one line per reason a delivery failed for: how many\n"
                                  "attempts, the time they took, the reason; least time first.\n";

} // namespace

int main(int argc, char** argv) {
    return analog_summary_main(argc, argv, "zfailures", help, qm::analog::Report::failures);
}
