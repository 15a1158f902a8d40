// ezmlm-archive [-cCFsSTvV] [-f msg] [-t msg] dir: the thread, subject and author files of a
// list's archive from its index (ezmlm-archive(1)).
#include "qm/lists/archive/thread_index.hpp"
#include "qm/lists/core/cli.hpp"

#include <sys/stat.h>

#include <charconv>

namespace {

constexpr std::string_view synopsis = "[-cCFsSTvV] [-f msg] [-t msg] dir";

constexpr std::string_view help =
    "usage: ezmlm-archive [-cCFsSTvV] [-f msg] [-t msg] dir\n"
    "Brings the thread, subject and author files of the archive of the list in dir up to\n"
    "date from its index, for browsing: archive/threads/yyyymm, archive/subjects/xx/...,\n"
    "archive/authors/xx/..., from the post after dir/archnum up to the last one (dir/num);\n"
    "dir/archnum then says how far it got.\n"
    "  -c       anew, from the first post (files unsynced unless -s); -C: not (default)\n"
    "  -f msg   from the hundred holding msg; -F: after dir/archnum (default)\n"
    "  -t msg   up to msg; -T: up to the last post (default)\n"
    "  -s       sync every file, with -c too; -S: not with -c (default)\n"
    "  -v, -V   the version\n"
    "Exit: 0 done, 99 done but earlier files were inconsistent (a warning says how),\n"
    "100 bad usage or an empty list or bad index, 111 temporary trouble.\n";

bool parse_number(const std::string& v, unsigned long& out) {
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
    return ec == std::errc{} && p == v.data() + v.size();
}

} // namespace

int main(int argc, char** argv) {
    namespace cli = qm::lists::cli;
    return cli::run("ezmlm-archive", argc, argv, help, [](qm::program::Words args) {
        qm::lists::ThreadIndexRequest request;
        unsigned long from = 0, to = 0;
        bool asked_version = false;
        qm::program::Options options(qm::program::Order::anywhere);
        options.set('c', request.create, true)
            .set('C', request.create, false)
            .set('F', from, 0UL)
            .set('s', request.sync_always, true)
            .set('S', request.sync_always, false)
            .set('T', to, 0UL);
        options.argument(
            'f', [&from](const std::string& v) { return parse_number(v, from); },
            "a message number");
        options.argument(
            't', [&to](const std::string& v) { return parse_number(v, to); }, "a message number");
        cli::declare_version(options, asked_version);
        auto dirs = options.parse(args);
        if (!dirs)
            return cli::usage("ezmlm-archive", synopsis, dirs.error());
        if (asked_version)
            return cli::version();
        if (dirs->size() != 1)
            return cli::usage("ezmlm-archive", synopsis);
        request.from = from;
        request.to = to;
        // The files are for ezmlm-cgi and the web server to read, as ezmlm-idx's.
        ::umask(022);
        auto outcome = qm::lists::update_thread_index(dirs->front(), request);
        if (!outcome)
            return cli::fatal("ezmlm-archive", outcome.error());
        if (!outcome->inconsistency.empty()) {
            cli::warning("ezmlm-archive", "inconsistent index: " + outcome->inconsistency);
            return 99;
        }
        return 0;
    });
}
