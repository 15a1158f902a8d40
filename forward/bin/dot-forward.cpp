// dot-forward [ -nN ] file ...: obeys a sendmail .forward file from a .qmail file
// (dot-forward(1) 0.71).
#include "qm/fwd/cli.hpp"
#include "qm/fwd/dot_forward.hpp"
#include "qm/fwd/fastforward.hpp"

#include <cstdio>
#include <cstdlib>

namespace {

constexpr std::string_view help =
    "usage: dot-forward [ -nN ] file ...\n"
    "Put it first in ~/.qmail, followed by a normal delivery line:\n"
    "  | dot-forward .forward\n"
    "  ./Maildir/\n"
    "Uses the first file that exists and is not empty. Each line holds addresses\n"
    "(sendmail syntax: comments, Name <addr>, quotes); \"|cmd\" pipes the message\n"
    "through cmd with From_, Return-Path and Delivered-To lines on top; $USER or\n"
    "$USER@$HOST means deliver here too. File deliveries and :include: are refused.\n"
    "  -n  print what would be done (forward, pipe through, direct delivery)\n"
    "  -N  deliver (default)\n"
    "Environment: USER, HOST, NEWSENDER, DTLINE, UFLINE, RPLINE (set by qmail-local).\n"
    "Exit: 0 no file or direct delivery included (the .qmail file goes on), 99 mail\n"
    "forwarded (skip the rest of .qmail), 100 permanent, 111 temporary (including a\n"
    "file that cannot be parsed or is refused, so mail waits for the fix).\n";

std::string env_or_empty(const char* name) {
    const char* v = std::getenv(name);
    return v ? v : "";
}

int dot_forward(qm::program::Words args) {
    namespace cli = qm::fwd::cli;
    qm::fwd::DotForwardRequest req;
    qm::program::Options options(qm::program::Order::anywhere);
    options.set('n', req.dry_run, true).set('N', req.dry_run, false);
    auto files = options.parse(args);
    if (!files)
        return cli::usage("dot-forward", "[ -nN ] file ...", files.error());
    req.files = std::move(*files);
    req.user = env_or_empty("USER");
    req.host = env_or_empty("HOST");
    req.newsender = env_or_empty("NEWSENDER");
    req.dtline = env_or_empty("DTLINE");
    auto q = qm::fwd::load_qualify();
    if (!q)
        return cli::fatal("dot-forward", q.error());
    int message_fd = 0;
    if (!req.dry_run) {
        auto fd = qm::fwd::seekable_message(0);
        if (!fd)
            return cli::fatal("dot-forward", fd.error());
        message_fd = *fd;
    }
    auto code = qm::fwd::dot_forward(req, *q, message_fd, [&](const std::string& line) {
        if (line.rfind("info: ", 0) == 0)
            std::fprintf(stderr, "dot-forward: %s\n", line.c_str());
        else
            std::fprintf(stderr, "%s\n", line.c_str());
    });
    if (!code)
        return cli::fatal("dot-forward", code.error());
    return *code;
}

} // namespace

int main(int argc, char** argv) {
    return qm::program::run({"dot-forward", help}, argc, argv, dot_forward);
}
