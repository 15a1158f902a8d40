// maildirmake DIR: creates a maildir (DIR/tmp, DIR/new, DIR/cur), mode 0700.
#include "qm/tools/maildir_make.hpp"

#include <sys/stat.h>

#include <cstdio>
#include <cstring>
#include <new>

int main(int argc, char** argv) {
    if (argc > 1 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)) {
        std::puts("usage: maildirmake DIR\n"
                  "Creates the maildir DIR with tmp/, new/ and cur/, each mode 0700.\n"
                  "DIR must not exist. Exit 0 on success, 100 on a usage error, 111 when a\n"
                  "directory cannot be made.");
        return 0;
    }
    if (argc != 2) {
        std::fputs("maildirmake: usage: maildirmake name\n", stderr);
        return 100;
    }
    try {
        ::umask(077);
        if (auto r = qm::tools::make_maildir(argv[1]); !r) {
            std::fprintf(stderr, "maildirmake: fatal: %s\n", r.error().text.c_str());
            return qm::exit_code(r.error());
        }
        return 0;
    } catch (const std::exception&) {
        std::fputs("maildirmake: fatal: out of memory\n", stderr);
        return 111;
    }
}
