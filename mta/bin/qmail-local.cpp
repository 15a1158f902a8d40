// qmail-local: deliver the message on stdin to one local recipient, following its
// .qmail file (qmail-local(8), dot-qmail(5)).
#include "qm/fd.hpp"
#include "qm/local/deliver.hpp"
#include "qm/options.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <new>
#include <string>
#include <vector>

namespace {

constexpr const char* usage_text =
    "usage: qmail-local [ -nN ] [--] user homedir local dash ext domain sender defaultdelivery\n";

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
    put(2, std::string("qmail-local: ") + usage_text);
    ::_exit(100);
}

// The message must be re-readable (once per .qmail line); a pipe is spooled first.
} // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
        std::fputs(usage_text, stdout);
        std::fputs(
            "Delivers the message on stdin to one local recipient by following\n"
            "homedir/.qmail<dash><ext> (or the -default files), or defaultdelivery when the\n"
            "user's own address has no .qmail file. Prints \"did F+W+P\" (files, forwards,\n"
            "programs). Exit 0 delivered, 100 permanent failure, 111 try again later.\n"
            "  -n  print the instructions instead of following them\n"
            "  -N  follow them (default)\n",
            stdout);
        return 0;
    }
    ::umask(077);
    ::signal(SIGPIPE, SIG_IGN);

    qm::local::DeliverOptions opts;
    size_t i = 0;
    for (; qm::at_option_word(args, i); ++i) {
        const std::string& a = args[i];
        for (char c : a.substr(1)) {
            if (c == 'n')
                opts.dry_run = true;
            else if (c == 'N')
                opts.dry_run = false;
            else
                usage();
        }
    }
    if (args.size() - i != 8)
        usage();
    try {
        qm::local::Delivery d;
        d.who.user = args[i];
        d.who.home = args[i + 1];
        d.local = args[i + 2];
        d.who.dash = args[i + 3];
        d.who.ext = args[i + 4];
        d.domain = args[i + 5];
        d.sender = args[i + 6];
        d.default_delivery = args[i + 7];
        d.who.uid = ::getuid();
        d.who.gid = ::getgid();
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
