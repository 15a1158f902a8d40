#include "qm/lists/manage/subunsub.hpp"

#include "qm/fd.hpp"
#include "qm/lists/core/cli.hpp"
#include "qm/lists/core/clock.hpp"
#include "qm/lists/core/subscribers.hpp"
#include "qm/lists/core/subscription_log.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace qm::lists {

namespace {

constexpr std::string_view synopsis =
    "[-HmMnNqvV] [-h hash] [-S subdb] [-t tag] [-f file] dir [subdir] [box@domain [name] ...]";

// Addresses from the command line, each changed alone so that its Log line ("+manual
// ADDRESS NAME", as ezmlm-idx 7 writes it) says what happened to it.
int change_each(std::string_view program, bool add, const std::string& db,
                const std::vector<std::pair<std::string, std::string>>& addresses,
                const std::string& tag) {
    const std::string event = std::string(add ? "+" : "-") + tag;
    for (const auto& [address, name] : addresses) {
        auto log = [&] { return append_subscription_log(db, now(), event, address, name); };
        auto changed = add ? subscribe(db, address, log) : unsubscribe(db, address, log);
        if (!changed)
            return cli::fatal(program, changed.error());
    }
    return 0;
}

} // namespace

int subunsub(std::string_view program, bool add, qm::program::Words args) {
    bool quiet = false;
    bool names = false;
    bool asked_version = false;
    bool ignored = false;
    std::string subdb = "std";
    std::string tag = "manual";
    std::optional<std::string> file;
    qm::program::Options options(qm::program::Order::anywhere);
    options.set('q', quiet, true)
        .store('f', file)
        .set('n', names, true)
        .set('N', names, false)
        .set('m', subdb, std::string("std"))
        .set('M', subdb, std::string("std"))
        .store('S', subdb, "a subscriber database")
        .store('t', tag, "a tag")
        // ezmlm-idx 7: a hash for an SQL database; the standard one has no use for it.
        .argument(
            'h', [](const std::string& v) { return !v.empty(); }, "a hash")
        .set('H', ignored, true);
    cli::declare_version(options, asked_version);
    auto operands = options.parse(args);
    if (!operands)
        return cli::usage(program, synopsis, operands.error());
    if (asked_version)
        return cli::version();
    if (auto s = cli::standard_subscribers(subdb); !s)
        return cli::fatal(program, s.error());
    if (operands->empty())
        return cli::usage(program, synopsis);
    auto word = operands->begin();
    std::string db = *word++;
    // ezmlm-idx: a second argument without '@' names a sub-database (mod, digest, allow,
    // deny), which is a directory of its own inside the list directory.
    if (word != operands->end() && word->find('@') == std::string::npos) {
        db += "/" + *word++;
        struct stat st {};
        if (::stat(db.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
            return cli::fatal(program, perm("5.3.5", db + " is not a directory"));
    }
    struct stat st {};
    if (::stat((db + "/subscribers").c_str(), &st) != 0)
        return cli::fatal(program, from_errno(errno, "unable to find " + db + "/subscribers"));

    cli::AddressList list;
    const bool bulk = word == operands->end();
    if (!bulk) {
        if (file)
            return cli::usage(program, synopsis);
        // Every address is checked before any changes: a bad one changes nothing.
        std::vector<std::pair<std::string, std::string>> given;
        for (; word != operands->end(); ++word) {
            auto a = normalise_address(*word);
            if (!a)
                return cli::fatal(program, Failure{a.error().severity, a.error().dsn,
                                                   a.error().text + ": " + *word});
            given.emplace_back(*a, "");
            // -n: each address may be followed by a name for its Log line.
            if (names && word + 1 != operands->end())
                given.back().second = *++word;
        }
        return change_each(program, add, db, given, tag);
    } else {
        UniqueFd in;
        int fd = 0;
        if (file && *file != "-") {
            in.reset(::open(file->c_str(), O_RDONLY | O_CLOEXEC));
            if (!in)
                return cli::fatal(program, from_errno(errno, "unable to open " + *file));
            fd = in.get();
        }
        auto read = cli::read_addresses(program, fd);
        if (!read)
            return cli::fatal(program, read.error());
        list = std::move(*read);
    }

    cli::Progress progress(program);
    if (bulk && !quiet)
        progress.update(std::to_string(list.addresses.size()) + " addresses read");
    auto r = bulk_update(db, list.addresses, add, [&](size_t done, size_t total) {
        if (bulk && !quiet)
            progress.update(std::to_string(list.addresses.size()) + " addresses, " +
                            std::to_string(done) + "/" + std::to_string(total) +
                            " subscriber files written");
    });
    progress.done();
    if (!r)
        return cli::fatal(program, r.error());
    if (bulk && !quiet && progress.active()) {
        std::string line = std::string(program) + ": " + std::to_string(r->changed) +
                           (add ? " added, " : " removed, ") + std::to_string(r->unchanged) +
                           (add ? " already subscribed" : " not subscribed") +
                           (list.bad ? ", " + std::to_string(list.bad) + " bad" : "") + "\n";
        std::fputs(line.c_str(), stderr);
    }
    return list.bad ? 100 : 0;
}

} // namespace qm::lists
