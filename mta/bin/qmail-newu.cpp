// qmail-newu: compile $QMAILHOME/users/assign into users/cdb (qmail-newu(8)).
#include "qm/home.hpp"
#include "qm/local/users.hpp"

#include <sys/stat.h>

#include <cstdio>
#include <cstring>
#include <new>

int main(int argc, char** argv) {
    if (argc > 1 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)) {
        std::puts("usage: qmail-newu\n"
                  "Compiles $QMAILHOME/users/assign (qmail-users(5)) into users/cdb, which\n"
                  "replaces the old one atomically. A malformed assign file leaves the old\n"
                  "users/cdb in place; the error names the line.");
        return 0;
    }
    if (argc > 1) {
        std::fputs("qmail-newu: usage: qmail-newu\n", stderr);
        return 100;
    }
    ::umask(033);
    try {
        auto s = qm::local::build_users_cdb(qm::qmail_home());
        if (!s) {
            std::fprintf(stderr, "qmail-newu: fatal: %s\n", s.error().text.c_str());
            return qm::exit_code(s.error());
        }
        return 0;
    } catch (const std::bad_alloc&) {
        std::fputs("qmail-newu: fatal: out of memory\n", stderr);
        return 111;
    }
}
