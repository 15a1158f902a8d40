// preline [-frdFRD] cmd [arg...]: runs cmd with $UFLINE, $RPLINE and $DTLINE in front of
// the message (preline(1)); exits with cmd's exit code.
#include "qm/tools/preline.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

namespace {

int usage() {
    std::fputs("preline: usage: preline cmd [ arg ... ]\n", stderr);
    return 100;
}

} // namespace

int main(int argc, char** argv) {
    if (argc > 1 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)) {
        std::puts("usage: preline [-frdFRD] cmd [arg...]\n"
                  "Runs cmd with the message on stdin preceded by $UFLINE (From_ line),\n"
                  "$RPLINE (Return-Path) and $DTLINE (Delivered-To), as qmail-local sets them.\n"
                  "  -f  leave out the From_ line     -F  put it back\n"
                  "  -r  leave out Return-Path        -R  put it back\n"
                  "  -d  leave out Delivered-To       -D  put it back\n"
                  "Exit: cmd's exit code; 100 on a usage error or a missing variable; 111 on\n"
                  "temporary trouble or if cmd crashes.");
        return 0;
    }
    try {
        const char* uf = std::getenv("UFLINE");
        const char* rp = std::getenv("RPLINE");
        const char* dt = std::getenv("DTLINE");
        if (!uf || !rp || !dt)
            return usage();
        auto req = qm::tools::parse_preline_args(std::vector<std::string>(argv + 1, argv + argc));
        if (!req)
            return usage();
        auto prefix = qm::tools::preline_prefix(*req, {uf, rp, dt});
        auto code = qm::tools::run_preline(*req, prefix, 0);
        if (!code) {
            std::fprintf(stderr, "preline: fatal: %s\n", code.error().text.c_str());
            return 111;
        }
        return *code;
    } catch (const std::exception&) {
        std::fputs("preline: fatal: out of memory\n", stderr);
        return 111;
    }
}
