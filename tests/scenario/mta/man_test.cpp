// Every program the build makes explains itself twice: --help, and a manual page that
// qmail-install puts in the mail root's man/. Every page there, the file-format pages of
// section 5 included, formats without a groff warning and names in SEE ALSO only pages
// that exist.
#include "support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <regex>
#include <set>

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
    }
}

namespace {

// The "name(N)" references of a page's SEE ALSO section, written either as plain text
// ("qmail-send(8), dot-qmail(5)") or with font macros (".BR qmail-send (8)").
std::vector<std::string> see_also_references(const std::string& page) {
    std::vector<std::string> refs;
    auto start = page.find("\n.SH \"SEE ALSO\"\n");
    if (start == std::string::npos)
        return refs;
    start += 16;
    std::string section = page.substr(start, page.find("\n.SH ", start) - start);
    for (size_t i = section.find("\\-"); i != std::string::npos; i = section.find("\\-", i))
        section.replace(i, 2, "-");
    static const std::regex ref(R"(([A-Za-z0-9][A-Za-z0-9_.+-]*)\s*\(([1-8])\))");
    for (auto it = std::sregex_iterator(section.begin(), section.end(), ref);
         it != std::sregex_iterator(); ++it)
        refs.push_back((*it)[1].str() + "(" + (*it)[2].str() + ")");
    return refs;
}

} // namespace

TEST_CASE("every manual page formats cleanly and its SEE ALSO names pages that exist",
          "[scenario][man]") {
    qmtest::MailRoot root;
    // Pages of other packages a SEE ALSO may name (everything else must be ours).
    const std::set<std::string> system_pages = {"sh(1)",     "flock(2)", "fcntl(2)",
                                                "passwd(5)", "cron(8)",  "tcpserver(1)"};
    std::set<std::string> installed;
    std::vector<std::string> paths;
    for (const char* s : {"1", "5", "8"})
        for (const auto& file : qmtest::list_dir(root / ("man/man" + std::string(s)))) {
            installed.insert(file.substr(0, file.rfind('.')) + "(" + s + ")");
            paths.push_back(root / ("man/man" + std::string(s) + "/" + file));
        }
    // The file formats the program pages refer to (an empty man5/ would pass vacuously).
    for (const char* p : {"dot-qmail(5)", "qmail-control(5)", "qmail-header(5)", "qmail-log(5)",
                          "qmail-users(5)", "ezmlm(5)"})
        CHECK(installed.contains(p));

    for (const auto& path : paths) {
        INFO(path);
        const std::string file = path.substr(path.rfind('/') + 1);
        const std::string name = file.substr(0, file.rfind('.'));
        const std::string section = file.substr(file.rfind('.') + 1);
        const std::string page = qmtest::slurp(path);
        CHECK(page.starts_with(".TH " + name + " " + section + "\n"));
        CHECK(page.find("\n.SH NAME\n" + name) != std::string::npos);
        if (std::filesystem::exists("/usr/bin/groff")) {
            auto formatted = qmtest::run({"/usr/bin/groff", "-man", "-z", "-ww", path});
            CHECK(formatted.exit_code == 0);
            CHECK(formatted.err.empty());
        }
        for (const auto& ref : see_also_references(page)) {
            INFO("SEE ALSO " << ref);
            CHECK((installed.contains(ref) || system_pages.contains(ref)));
        }
    }
}
