// preline [-frdFRD] cmd [arg...]: runs cmd with $UFLINE, $RPLINE and $DTLINE in front of
// the message (preline(1)); exits with cmd's exit code.
#include "qm/tools/preline.hpp"

#include "qm/program.hpp"

#include <cstdlib>

namespace {

constexpr std::string_view help =
    "usage: preline [-frdFRD] cmd [arg...]\n"
    "Runs cmd with the message on stdin preceded by $UFLINE (From_ line),\n"
    "$RPLINE (Return-Path) and $DTLINE (Delivered-To), as qmail-local sets them.\n"
    "  -f  leave out the From_ line     -F  put it back\n"
    "  -r  leave out Return-Path        -R  put it back\n"
    "  -d  leave out Delivered-To       -D  put it back\n"
    "Exit: cmd's exit code; 100 on a usage error or a missing variable; 111 on\n"
    "temporary trouble or if cmd crashes.\n";

constexpr std::string_view synopsis = "cmd [ arg ... ]";

} // namespace

int main(int argc, char** argv) {
    return qm::program::run({"preline", help}, argc, argv, [](qm::program::Words args) {
        const char* uf = std::getenv("UFLINE");
        const char* rp = std::getenv("RPLINE");
        const char* dt = std::getenv("DTLINE");
        if (!uf || !rp || !dt)
            return qm::program::usage("preline", synopsis);
        auto req = qm::tools::parse_preline_args({args.begin(), args.end()});
        if (!req)
            return qm::program::usage("preline", synopsis, req.error());
        auto prefix = qm::tools::preline_prefix(*req, {uf, rp, dt});
        auto code = qm::tools::run_preline(*req, prefix, 0);
        if (!code)
            return qm::program::fatal("preline", code.error().text, 111);
        return *code;
    });
}
