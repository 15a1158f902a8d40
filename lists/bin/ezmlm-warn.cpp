// ezmlm-warn [-dD] [-t days] [-l secs] dir: sends bounce warnings and probes, run from
// the list's editor and manager after the main program (ezmlm-warn(1)).
#include "qm/lists/bounce/bounce_warn.hpp"
#include "qm/lists/core/cli.hpp"
#include "qm/lists/core/clock.hpp"
#include "qm/lists/core/listdir.hpp"

#include <signal.h>
#include <sys/stat.h>

#include <charconv>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

namespace {

constexpr std::string_view help =
    "usage: ezmlm-warn [-dDvV] [-t days] [-l secs] dir\n"
    "Run from the list's editor and manager: |ezmlm-warn /path/list || exit 0\n"
    "Bounces recorded by ezmlm-return more than the timeout ago get a warning\n"
    "(text/bounce-warn, then the numbers of the messages that bounced after\n"
    "text/bounce-num) from list-return-warn-T.COOKIE-box=domain; warnings that\n"
    "bounced get a probe (text/bounce-probe) from list-return-probe-...; a probe\n"
    "that bounces makes ezmlm-return unsubscribe the address. Runs closer together\n"
    "than the lockout do nothing (dir/bounce/lastd); histories untouched for three\n"
    "timeouts are purged. Does nothing when dir/nowarn exists.\n"
    "  -t days  the timeout (default 10)\n"
    "  -l secs  the lockout (default timeout/50)\n"
    "  -d  only the digest list    -D  only the main list\n"
    "  -v, -V  the version\n"
    "      (default: the main list, and the digest list if dir/digested exists)\n"
    "Environment: QMAILHOME, QMAILQUEUE; QM_LISTS_NOW (the clock, for tests).\n"
    "Exit: 0 done, 100 bad usage, 111 temporary trouble.\n";

std::optional<long> number(const std::string& s) {
    long v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || v < 0)
        return std::nullopt;
    return v;
}

int warn(qm::program::Words args) {
    namespace cli = qm::lists::cli;
    constexpr std::string_view synopsis = "[-dDvV] [-t days] [-l secs] dir";
    bool asked_version = false;
    std::optional<bool> digest_only;
    qm::lists::WarnRequest req;
    qm::program::Options options(qm::program::Order::anywhere);
    options.set('d', digest_only, true)
        .set('D', digest_only, false)
        .argument('t',
                  [&](const std::string& v) {
                      auto days = number(v);
                      if (days)
                          req.timeout = static_cast<std::time_t>(*days) * 24 * 3600;
                      return days.has_value();
                  })
        .argument('l', [&](const std::string& v) {
            auto secs = number(v);
            if (secs)
                req.lockout = static_cast<std::time_t>(*secs);
            return secs.has_value();
        });
    cli::declare_version(options, asked_version);
    auto dirs = options.parse(args);
    if (!dirs)
        return cli::usage("ezmlm-warn", synopsis, dirs.error());
    if (asked_version)
        return cli::version();
    if (dirs->size() != 1)
        return cli::usage("ezmlm-warn", synopsis);
    ::umask(022);
    ::signal(SIGPIPE, SIG_IGN);
    req.dir = dirs->front();
    req.now = qm::lists::now();
    std::vector<bool> which;
    if (digest_only)
        which.push_back(*digest_only);
    else {
        which.push_back(false);
        if (qm::lists::has_flag(req.dir, "digested"))
            which.push_back(true);
    }
    for (bool digest : which) {
        req.digest = digest;
        auto outcome = qm::lists::run_warn(req);
        if (!outcome)
            return cli::fatal("ezmlm-warn", outcome.error());
        if (outcome->warnings || outcome->probes || outcome->not_subscribed || outcome->purged)
            std::fprintf(stderr,
                         "ezmlm-warn: info: %s%zu warnings, %zu probes sent; %zu bounces "
                         "of former subscribers dropped; %zu stale records purged\n",
                         digest ? "digest: " : "", outcome->warnings, outcome->probes,
                         outcome->not_subscribed, outcome->purged);
    }
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    return qm::lists::cli::run("ezmlm-warn", argc, argv, help, warn);
}
