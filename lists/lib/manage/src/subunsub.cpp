#include "qm/lists/manage/subunsub.hpp"

#include "qm/fd.hpp"
#include "qm/lists/core/cli.hpp"
#include "qm/lists/core/subscribers.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <optional>
#include <string>

namespace qm::lists {

namespace {

constexpr std::string_view synopsis = "[-q] [-f file] dir [subdir] [box@domain ...]";

} // namespace

int subunsub(std::string_view program, bool add, qm::program::Words args) {
    bool quiet = false;
    std::optional<std::string> file;
    qm::program::Options options(qm::program::Order::anywhere);
    options.set('q', quiet, true).store('f', file);
    auto operands = options.parse(args);
    if (!operands)
        return cli::usage(program, synopsis, operands.error());
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
        for (; word != operands->end(); ++word) {
            auto a = normalise_address(*word);
            if (!a)
                return cli::fatal(program, Failure{a.error().severity, a.error().dsn,
                                                   a.error().text + ": " + *word});
            list.addresses.add(*a);
        }
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
