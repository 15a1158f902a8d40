// Every list program explains itself with --help on stdout and exits 0; a bad command line
// gets a one-line usage on stderr and exit 100. -h is not help: ezmlm-idx 7 gives it
// meanings of its own (ezmlm-reject, ezmlm-send, ezmlm-sub).
#include "support.hpp"

#include <catch2/catch.hpp>

TEST_CASE("every list program has --help", "[scenario][lists][help]") {
    for (const char* p :
         {"ezmlm-make",   "ezmlm-sub",    "ezmlm-unsub",    "ezmlm-list",     "ezmlm-issubn",
          "ezmlm-send",   "ezmlm-split",  "ezmlm-return",   "ezmlm-warn",     "ezmlm-get",
          "ezmlm-manage", "ezmlm-store",  "ezmlm-gate",     "ezmlm-moderate", "ezmlm-confirm",
          "ezmlm-clean",  "ezmlm-reject", "ezmlm-checksub", "ezmlm-tstdig",   "ezmlm-request",
          "ezmlm-idx",    "ezmlm-rmtab",  "ezmlm-dispatch", "ezmlm-limit",    "ezmlm-import",
          "ezmlm-archive"}) {
        INFO(p);
        auto r = qmtest::run({qmtest::bin(p), "--help"});
        CHECK(r.exit_code == 0);
        CHECK(r.out.starts_with(std::string("usage: ") + p + " "));
        CHECK(r.out.find("Exit:") != std::string::npos);
        // ezmlm-reject's dir is optional (ezmlm 0.53 editors run it bare): a bad switch.
        std::vector<std::string> argv{qmtest::bin(p)};
        if (std::string(p) == "ezmlm-reject")
            argv.emplace_back("-Z");
        auto bad = qmtest::run(argv, {.env = {{"SENDER", "a@b"}}});
        CHECK(bad.exit_code == 100);
        CHECK(bad.err.find(std::string(p) + ": usage: ") != std::string::npos);
    }
}
