// ezmlm-tstdig [-k kbytes] [-m count] [-t hours] dir: is a digest due? (ezmlm-tstdig(1)),
// as ezmlm-idx 7's editor asks before running ezmlm-get.
#include "qm/lists/archive/digest.hpp"
#include "qm/lists/core/cli.hpp"
#include "qm/lists/core/clock.hpp"

#include <charconv>
#include <cstdlib>
#include <cstring>

namespace {

constexpr std::string_view synopsis = "[-vV] [-k kbytes] [-m count] [-t hours] dir";

constexpr std::string_view help =
    "usage: ezmlm-tstdig [-vV] [-k kbytes] [-m count] [-t hours] dir\n"
    "Exits 0 when a digest of the list in dir is due, 99 when not; ezmlm-idx 7's editor:\n"
    "  |if test -e /l/digested && ezmlm-tstdig /l; then ezmlm-get /l || exit 0; fi\n"
    "Due when more than kbytes KB of posts (default dir/digsize, else 64), count posts\n"
    "(dir/digcount, else 30) or hours hours (dir/digtime, else 48) have gathered since\n"
    "the last digest (dir/dignum); 0 turns a criterion off.\n"
    "$LOCAL and $DEFAULT tell where it runs: in a manager (DEFAULT set) it exits 0 unless\n"
    "the command is list-dig...; in an editor (LOCAL without DEFAULT) it lets one digest\n"
    "run through per hour (dir/tstdig) until a digest has been sent.\n"
    "  -v, -V  the version\n"
    "Exit: 0 due, 99 not due (or no num yet), 100 bad usage, 111 temporary trouble.\n";

bool parse_number(const std::string& s, unsigned long& out) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc{} && p == s.data() + s.size();
}

bool starts_with_ignoring_case(const char* s, std::string_view prefix) {
    return std::strlen(s) >= prefix.size() && strncasecmp(s, prefix.data(), prefix.size()) == 0;
}

} // namespace

int main(int argc, char** argv) {
    namespace cli = qm::lists::cli;
    return cli::run("ezmlm-tstdig", argc, argv, help, [](qm::program::Words args) {
        std::optional<unsigned long> kbytes, count, hours;
        bool asked_version = false;
        qm::program::Options options(qm::program::Order::options_first);
        auto number = [](std::optional<unsigned long>& target) {
            return [&target](const std::string& v) {
                unsigned long n = 0;
                if (!parse_number(v, n))
                    return false;
                target = n;
                return true;
            };
        };
        options.argument('k', number(kbytes), "a number of kilobytes")
            .argument('m', number(count), "a number of posts")
            .argument('t', number(hours), "a number of hours");
        cli::declare_version(options, asked_version);
        auto dirs = options.parse(args);
        if (!dirs)
            return cli::usage("ezmlm-tstdig", synopsis, dirs.error());
        if (asked_version)
            return cli::version();
        // One word only: ezmlm-idx 7 refuses options after dir, a common slip.
        if (dirs->size() != 1)
            return cli::usage("ezmlm-tstdig", synopsis);
        const std::string& dir = dirs->front();
        auto num = qm::lists::read_num(dir);
        if (!num)
            return cli::fatal("ezmlm-tstdig", num.error());
        if (num->last == 0 && !qm::lists::has_flag(dir, "num"))
            return 99; // no post yet: nothing to digest
        auto state = qm::lists::read_digest_state(dir);
        if (!state)
            return cli::fatal("ezmlm-tstdig", state.error());
        bool in_editor = false;
        if (const char* local = std::getenv("LOCAL"); local && *local) {
            const char* def = std::getenv("DEFAULT");
            if (def && *def) {
                // In the manager: only list-dig... (not list-digest-...) is about digests.
                if (!starts_with_ignoring_case(def, "dig") ||
                    starts_with_ignoring_case(def, "digest-"))
                    return 0;
            } else {
                in_editor = true;
            }
        }
        auto thresholds = qm::lists::read_digest_thresholds(dir);
        if (!thresholds)
            return cli::fatal("ezmlm-tstdig", thresholds.error());
        if (kbytes)
            thresholds->kbytes = *kbytes;
        if (count)
            thresholds->count = *count;
        if (hours)
            thresholds->hours = *hours;
        const std::time_t now = qm::lists::now();
        if (!qm::lists::tstdig_criteria_met(*thresholds, *state, *num, now))
            return 99;
        if (!in_editor)
            return 0;
        auto claimed = qm::lists::claim_digest_run(dir, *state, now);
        if (!claimed)
            return cli::fatal("ezmlm-tstdig", claimed.error());
        return *claimed ? 0 : 99;
    });
}
