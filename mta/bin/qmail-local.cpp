// qmail-local: deliver the message on stdin to one local recipient, following its
// .qmail file (qmail-local(8), dot-qmail(5)).
#include "qm/fd.hpp"
#include "qm/local/deliver.hpp"
#include "qm/program.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <vector>

namespace {

constexpr std::string_view synopsis =
    "[ -nN ] [--] user homedir local dash ext domain sender defaultdelivery";

constexpr std::string_view help =
    "usage: qmail-local [ -nN ] [--] user homedir local dash ext domain sender defaultdelivery\n"
    "Delivers the message on stdin to one local recipient by following\n"
    "homedir/.qmail<dash><ext> (or the -default files), or defaultdelivery when the\n"
    "user's own address has no .qmail file. Prints \"did F+W+P\" (files, forwards,\n"
    "programs). Exit 0 delivered, 100 permanent failure, 111 try again later.\n"
    "  -n  print the instructions instead of following them\n"
    "  -N  follow them (default)\n";

void put(int fd, const std::string& s) {
    size_t off = 0;
    while (off < s.size()) {
        ssize_t n = ::write(fd, s.data() + off, s.size() - off);
        if (n <= 0)
            return;
        off += static_cast<size_t>(n);
    }
}

[[noreturn]] void usage() {
    put(2, "qmail-local: usage: qmail-local " + std::string(synopsis) + "\n");
    ::_exit(100);
}

// The message must be re-readable (once per .qmail line); a pipe is spooled first.
} // namespace

// Not qm::program::run: qmail-local's stderr is its report to qmail-lspawn, so its own
// lines ("Out of memory. (#4.3.0)") stand there, and a usage error is the usage line alone.
int main(int argc, char** argv) {
    if (qm::program::help_requested({"qmail-local", help}, argc, argv))
        return 0;
    ::umask(077);
    ::signal(SIGPIPE, SIG_IGN);

    qm::local::DeliverOptions opts;
    qm::program::Options options(qm::program::Order::options_first);
    options.set('n', opts.dry_run, true).set('N', opts.dry_run, false);
    auto operands = options.parse(qm::program::words(argc, argv));
    if (!operands || operands->size() != 8)
        usage();
    const std::vector<std::string>& words = *operands;
    try {
        qm::local::Delivery d;
        d.who.user = words[0];
        d.who.home = words[1];
        d.local = words[2];
        d.who.dash = words[3];
        d.who.ext = words[4];
        d.domain = words[5];
        d.sender = words[6];
        d.default_delivery = words[7];
        d.who.uid = ::getuid();
        d.who.gid = ::getgid();
        // Set by qmail-lspawn for a message qmail-journald holds (qmail-local(8)).
        if (const char* j = std::getenv("QMAILJOURNALID"))
            d.journal_id = std::strtoull(j, nullptr, 10);
        if (d.who.home.empty() || d.who.home[0] != '/')
            usage();
        d.message_fd = qm::seekable_stdin("qmail-local-stdin");
        if (d.message_fd < 0) {
            put(2, "Unable to read message. (#4.3.0)\n");
            return 111;
        }
        auto r = qm::local::deliver(d, opts);
        switch (r.kind) {
        case qm::Verdict::Kind::success:
            put(1, r.text);
            return 0;
        case qm::Verdict::Kind::permanent:
            put(2, r.text);
            return 100;
        case qm::Verdict::Kind::temporary:
            put(2, r.text);
            return 111;
        }
        return 111;
    } catch (const std::bad_alloc&) {
        put(2, "Out of memory. (#4.3.0)\n");
        return 111;
    } catch (const std::exception& e) {
        put(2, std::string("qmail-local: internal error: ") + e.what() + " (#4.3.0)\n");
        return 111;
    }
}
