// ezmlm-webindex [--rebuild] [--quiet] dir: brings the web archive's index of the list in
// dir up to date with its archive (ezmlm-webindex(1)). The name keeps the ezmlm- family's
// (it runs from the list's .qmail on the list directory, beside ezmlm-send and
// ezmlm-archive) and says what it makes: the index the web archive reads, not ezmlm-idx's
// index files.
#include "qm/program.hpp"
#include "qm/web/index/indexer.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>

namespace {

constexpr std::string_view name = "ezmlm-webindex";
constexpr std::string_view synopsis = "[--rebuild] [--quiet] dir";

constexpr std::string_view help =
    "usage: ezmlm-webindex [--rebuild] [--quiet] dir\n"
    "Brings the web archive's index of the list in dir (dir/webarchive/index.sqlite) up\n"
    "to date: the messages archived after the last one indexed, up to dir/num, decoded,\n"
    "threaded and made searchable. ezmlm-make writes it into the .qmail files of archived\n"
    "lists, after ezmlm-send; it does not read the message on its standard input.\n"
    "  --rebuild  drop the index and make it anew from dir/archive\n"
    "  --quiet    no progress line (it is shown only when stderr is a terminal)\n"
    "Exit: 0 done (or another ezmlm-webindex running will do it), 100 dir is not an\n"
    "archived list or the index is unusable, 111 temporary trouble (busy, disk full).\n";

// "N/M messages" on one terminal line, at most ten times a second.
class ProgressLine {
public:
    void operator()(unsigned long done, unsigned long total) {
        const auto now = std::chrono::steady_clock::now();
        if (done != total && now - shown_ < std::chrono::milliseconds(100))
            return;
        shown_ = now;
        std::fprintf(stderr, "\r%s: %lu/%lu messages", name.data(), done, total);
        std::fflush(stderr);
        drawn_ = true;
    }
    ~ProgressLine() {
        if (drawn_)
            std::fputc('\n', stderr);
    }
    ProgressLine() = default;
    ProgressLine(const ProgressLine&) = delete;
    ProgressLine& operator=(const ProgressLine&) = delete;

private:
    std::chrono::steady_clock::time_point shown_{};
    bool drawn_ = false;
};

} // namespace

int main(int argc, char** argv) {
    const qm::program::About about{.name = name, .help = help};
    return qm::program::run(about, argc, argv, [](qm::program::Words args) {
        qm::web::UpdateOptions options;
        bool quiet = false;
        qm::program::Options parser(qm::program::Order::anywhere);
        parser.set("rebuild", options.rebuild, true).set("quiet", quiet, true);
        auto dirs = parser.parse(args);
        if (!dirs)
            return qm::program::usage(name, synopsis, dirs.error());
        if (dirs->size() != 1)
            return qm::program::usage(name, synopsis);
        // The web server reads the index as another user.
        ::umask(022);
        ProgressLine line;
        if (!quiet && ::isatty(2) == 1)
            options.progress = [&line](unsigned long done, unsigned long total) {
                line(done, total);
            };
        auto outcome = qm::web::update_web_index(dirs->front(), options);
        if (!outcome)
            return qm::program::fatal(name, outcome.error());
        return 0;
    });
}
