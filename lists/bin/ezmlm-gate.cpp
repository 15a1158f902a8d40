// ezmlm-gate [-0cCmMpPQrRsSvVyY] [-q file] dir [subdir ...]: posts from members of the databases go
// straight out, the rest are held for the moderators (ezmlm-gate(1)).
#include "qm/fd.hpp"
#include "qm/lists/core/cli.hpp"
#include "qm/lists/core/listdir.hpp"
#include "qm/lists/core/subscribers.hpp"
#include "qm/lists/moderate/moderation.hpp"
#include "qm/lists/post/send.hpp"
#include "qm/process.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>

namespace {

constexpr std::string_view synopsis = "[-0cCmMpPQrRsSvVyY] [-q file] dir [subdir ...]";
constexpr std::string_view help =
    "usage: ezmlm-gate [-0cCmMpPQrRsSvVyY] [-q file] dir [subdir ...]\n"
    "Run from the editor of a list that takes subscribers' posts directly and moderates\n"
    "everyone else's (ezmlm-make -um): |ezmlm-gate /l . digest allow mod\n"
    "If $SENDER is in any of the databases named (default: dir itself), the post on\n"
    "stdin is distributed as ezmlm-send does; otherwise it is held for the moderators as\n"
    "ezmlm-store does, whether or not dir/modpost exists. With dir/confirmpost its\n"
    "sender is first asked to confirm it, as ezmlm-store does (ezmlm-make -umy).\n"
    "The databases: subdirs by name under dir (digest, allow, mod; . is the list\n"
    "itself), as ezmlm-idx 7 has them, or, when every word is an absolute path, each\n"
    "word a database of its own (ezmlm 0.53: /l /l /l/allow).\n"
    "Switches (ezmlm-idx 7's):\n"
    "  -p -P -s -S -y -Y -m -M  as ezmlm-store takes them\n"
    "  -r -R -c -C -Q        as ezmlm-send takes them (-c -C -Q: ignored)\n"
    "  -0   do nothing: print on stdout which program the post would go to\n"
    "  -q file  first run each line of file (relative to dir) under /bin/sh -c with the\n"
    "       post on stdin: exit 0 goes on to the next, 99 posts, 100 moderates, 111 is\n"
    "       temporary trouble, anything else refuses the post; when all exit 0, the\n"
    "       databases decide (without subdirs: post)\n"
    "  -v, -V  the version\n"
    "Environment: SENDER; QMAILHOME, QMAILQUEUE; QM_LISTS_NOW (tests).\n"
    "Exit: 0 sent or held, 100 refused (the sender gets the reason), 111 temporary\n"
    "trouble.\n";

// What -q's arbitration programs decided.
enum class Arbitration : std::uint8_t { undecided, post, moderate };

// ezmlm-idx 7's -q file: each line of file (relative to dir; blank lines and # comments
// skipped, a leading | optional) runs under /bin/sh -c in dir with the post on stdin.
// Exit 0 hands on to the next line, 99 posts, 100 moderates, 111 is temporary trouble,
// anything else refuses the post (permanent).
qm::Result<Arbitration> arbitrate(const std::string& dir, const std::string& file, int post_fd) {
    const bool absolute = file.starts_with("/");
    auto lines = qm::lists::read_lines(absolute ? "" : dir, absolute ? file.substr(1) : file);
    if (!lines)
        return qm::fail(lines.error());
    if (!qm::lists::has_flag(absolute ? "" : dir, absolute ? file.substr(1) : file))
        return qm::fail(qm::temp("4.3.0", "unable to read " + file + ": it does not exist"));
    for (std::string line : *lines) {
        if (line.front() == '#')
            continue;
        if (line.front() == '|')
            line.erase(0, 1);
        if (::lseek(post_fd, 0, SEEK_SET) != 0)
            return qm::fail(qm::from_errno(errno, "unable to rewind the post"));
        qm::Spawn spawn;
        spawn.argv = {"/bin/sh", "-c", line};
        spawn.fds = {{post_fd, 0}, {1, 1}, {2, 2}};
        spawn.cwd = dir;
        auto pid = qm::spawn(spawn);
        if (!pid)
            return qm::fail(qm::unable_to_run("/bin/sh", pid.error()));
        auto status = qm::wait_for(*pid);
        if (!status)
            return qm::fail(status.error());
        const auto code = qm::exit_code_of(*status);
        if (code == 0)
            continue;
        if (code == 99)
            return Arbitration::post;
        if (code == 100)
            return Arbitration::moderate;
        if (code == 111)
            return qm::fail(qm::temp("4.3.0", "temporary trouble in " + line));
        return qm::fail(qm::perm("5.7.1", "the post was refused by " + line));
    }
    return Arbitration::undecided;
}

int gate(qm::program::Words args) {
    namespace cli = qm::lists::cli;
    qm::lists::StoreOptions store;
    bool asked_version = false;
    bool ignored = false;
    bool dry_run = false;
    std::optional<std::string> programs;
    // Options end at dir: the subdirs are names, never switches.
    qm::program::Options options(qm::program::Order::options_first);
    qm::lists::declare_store_switches(options, store, ignored);
    options.set('Q', ignored, true)
        .set('0', dry_run, true)
        .store('q', programs, "a file of programs");
    cli::declare_version(options, asked_version);
    auto words = options.parse(args);
    if (!words)
        return cli::usage("ezmlm-gate", synopsis, words.error());
    if (asked_version)
        return cli::version();
    if (words->empty())
        return cli::usage("ezmlm-gate", synopsis);
    const std::string& dir = words->front();
    // Without subdirs, dir's own subscribers, as ezmlm 0.53 had it.
    auto dbs = cli::databases(dir, {words->begin() + 1, words->end()});
    if (!dbs)
        return cli::fatal("ezmlm-gate", dbs.error());
    const auto sender = cli::sender();
    cli::prepare_to_queue();
    Arbitration arbitration = Arbitration::undecided;
    std::optional<std::string> message;
    if (programs) {
        const qm::UniqueFd post(qm::seekable_stdin("ezmlm-gate"));
        if (post.get() < 0)
            return cli::fatal("ezmlm-gate", qm::temp("4.3.0", "unable to read input"));
        auto decided = arbitrate(dir, *programs, post.get());
        if (!decided)
            return cli::fatal("ezmlm-gate", decided.error());
        arbitration = *decided;
        // All said go on: without subdirs that means post, as in ezmlm-idx 7.
        if (arbitration == Arbitration::undecided && words->size() == 1)
            arbitration = Arbitration::post;
        if (::lseek(post.get(), 0, SEEK_SET) != 0)
            return cli::fatal("ezmlm-gate", qm::from_errno(errno, "unable to rewind the post"));
        auto text = qm::read_all(post.get());
        if (!text)
            return cli::fatal("ezmlm-gate",
                              qm::temp("4.3.0", "unable to read input: " + text.error().text));
        message = std::move(*text);
    }
    if (dry_run) {
        bool member = arbitration == Arbitration::post;
        if (arbitration == Arbitration::undecided)
            for (const auto& db : *dbs) {
                auto r = sender ? qm::lists::is_subscriber(db, *sender) : qm::Result<bool>(false);
                if (!r)
                    return cli::fatal("ezmlm-gate", r.error());
                member = member || *r;
            }
        std::printf("%s %s\n", member ? "ezmlm-send" : "ezmlm-store", dir.c_str());
        return 0;
    }
    if (!message) {
        auto in = cli::read_message();
        if (!in)
            return cli::fatal("ezmlm-gate", in.error());
        message = std::move(*in);
    }
    if (arbitration == Arbitration::post) {
        auto sent = qm::lists::send_post(dir, sender, *message, store.send);
        if (!sent)
            return cli::fatal("ezmlm-gate", sent.error());
        std::fprintf(stderr, "ezmlm-gate: info: the programs said post: sent as message %lu\n",
                     sent->number);
        return 0;
    }
    // The programs said moderate: no database can let the post through.
    if (arbitration == Arbitration::moderate)
        dbs->clear();
    auto stored = qm::lists::gate_post(dir, *dbs, sender, *message, store);
    if (!stored)
        return cli::fatal("ezmlm-gate", stored.error());
    if (stored->unconfirmed)
        std::fprintf(stderr, "ezmlm-gate: info: %s waits for its sender to confirm, qp %d\n",
                     stored->name.text().c_str(), static_cast<int>(stored->qp));
    else if (stored->held)
        std::fprintf(stderr, "ezmlm-gate: info: held %s for %zu moderator(s), qp %d\n",
                     stored->name.text().c_str(), stored->moderators, static_cast<int>(stored->qp));
    else
        std::fprintf(stderr, "ezmlm-gate: info: from a member: sent as message %lu\n",
                     stored->sent.number);
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    return qm::lists::cli::run("ezmlm-gate", argc, argv, help, gate);
}
