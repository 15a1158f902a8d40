// Every program the build makes explains itself twice: --help, and a manual page that
// qmail-install puts in the mail root's man/ (and groff formats without a warning).
#include "support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>

TEST_CASE("every program has --help and a manual page that qmail-install installs",
          "[scenario][man]") {
    qmtest::MailRoot root; // qmail-install links bin/ and copies man/
    const auto programs = qmtest::list_dir(root / "bin");
    // Every area's programs are there (an empty bin/ would pass the loop vacuously).
    for (const char* p : {"qmail-send", "qmail-smtpd", "qmail-qmtpd", "maildirmake", "fastforward",
                          "ezmlm-make", "qmail-install"})
        REQUIRE(std::find(programs.begin(), programs.end(), p) != programs.end());
    for (const auto& program : programs) {
        INFO(program);
        auto help = qmtest::run({qmtest::bin(program), "--help"});
        CHECK(help.exit_code == 0);
        CHECK(help.out.starts_with("usage: " + program));

        std::string section;
        for (const char* s : {"1", "8"})
            if (std::filesystem::exists(root /
                                        ("man/man" + std::string(s) + "/" + program + "." + s)))
                section = s;
        REQUIRE(!section.empty());
        const std::string path = root / ("man/man" + section + "/" + program + "." + section);
        const std::string page = qmtest::slurp(path);
        CHECK(page.starts_with(".TH " + program + " " + section + "\n"));
        // NAME: "program \- what it does", or "program, sibling \- ..." for a shared page.
        const auto name = page.find("\n.SH NAME\n");
        REQUIRE(name != std::string::npos);
        const std::string name_line =
            page.substr(name + 10, page.find('\n', name + 10) - (name + 10));
        CHECK((name_line.starts_with(program + " \\- ") || name_line.starts_with(program + ", ")));
        CHECK(name_line.find(" \\- ") != std::string::npos);
        CHECK(page.find("\n.SH DESCRIPTION\n") != std::string::npos);
        if (std::filesystem::exists("/usr/bin/groff")) {
            auto formatted = qmtest::run({"/usr/bin/groff", "-man", "-z", "-ww", path});
            CHECK(formatted.exit_code == 0);
            CHECK(formatted.err.empty());
        }
    }
}
