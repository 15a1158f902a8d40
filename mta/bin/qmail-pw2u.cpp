// qmail-pw2u: passwd on stdin, users/assign on stdout (qmail-pw2u(8)).
#include "qm/fd.hpp"
#include "qm/home.hpp"
#include "qm/local/pw2u.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <new>
#include <string>

int main(int argc, char** argv) {
    if (argc > 1 && (std::strcmp(argv[1], "--help") == 0)) {
        std::puts("usage: qmail-pw2u [ -/ohHuUC ] [ -cchar ] < passwd > assign\n"
                  "Prints a qmail-users assignment table for the accounts of a V7 passwd file.\n"
                  "  -o  skip users whose home is missing or not theirs (default)\n"
                  "  -h  stop if a home is missing; skip homes not owned by the user\n"
                  "  -H  do not check homes\n"
                  "  -U  skip user names with uppercase letters (default)   -u  allow them\n"
                  "  -cX use X as the user-extension delimiter   -C  no extensions\n"
                  "  -/  use .qmail-/ext instead of .qmail-ext\n"
                  "Reads $QMAILHOME/users/{include,exclude,mailnames,subusers,append} if present.");
        return 0;
    }
    qm::local::Pw2uOptions opt;
    int c;
    while ((c = ::getopt(argc, argv, "/ohHuUc:C")) != -1) {
        switch (c) {
        case '/':
            opt.slash = true;
            break;
        case 'o':
            opt.home = qm::local::Pw2uOptions::Home::skip_if_missing;
            break;
        case 'h':
            opt.home = qm::local::Pw2uOptions::Home::stop_if_missing;
            break;
        case 'H':
            opt.home = qm::local::Pw2uOptions::Home::ignore;
            break;
        case 'u':
            opt.allow_uppercase = true;
            break;
        case 'U':
            opt.allow_uppercase = false;
            break;
        case 'c':
            opt.conf_break = optarg[0];
            break;
        case 'C':
            opt.conf_break = '\0';
            break;
        default:
            return 100;
        }
    }
    try {
        auto files = qm::local::read_pw2u_files(qm::qmail_home());
        if (!files) {
            std::fprintf(stderr, "qmail-pw2u: fatal: %s\n", files.error().text.c_str());
            return 111;
        }
        auto in = qm::read_all(0);
        if (!in) {
            std::fputs("qmail-pw2u: fatal: unable to read input\n", stderr);
            return 111;
        }
        auto out = qm::local::pw2u(*in, opt, *files);
        if (!out) {
            std::fprintf(stderr, "qmail-pw2u: fatal: %s\n", out.error().text.c_str());
            return 111;
        }
        if (!qm::write_all(1, *out)) {
            std::fputs("qmail-pw2u: fatal: unable to write output\n", stderr);
            return 111;
        }
        return 0;
    } catch (const std::bad_alloc&) {
        std::fputs("qmail-pw2u: fatal: out of memory\n", stderr);
        return 111;
    }
}
