#include "qm/control.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>

TEST_CASE("control files: defaults, comments, required me", "[common][control]") {
    qmtest::TempDir dir;
    std::filesystem::create_directories(dir / "control");
    ::setenv("QMAILHOME", dir.path().c_str(), 1);

    auto me = qm::control::me();
    REQUIRE_FALSE(me);
    CHECK_FALSE(me.error().permanent());
    CHECK(me.error().text.find(dir / "control/me") != std::string::npos);

    qmtest::spit(dir / "control/me", "mail.example  \t\n");
    CHECK(qm::control::me().value() == "mail.example");
    CHECK(qm::control::read_line_or_me("defaulthost").value() == "mail.example");

    qmtest::spit(dir / "control/locals", "# comment\na.example\n\nb.example \n");
    CHECK(qm::control::read_lines("locals").value() ==
          std::vector<std::string>{"a.example", "b.example"});
    CHECK(qm::control::read_lines("nonexistent").value().empty());

    qmtest::spit(dir / "control/concurrencylocal", "12\n");
    CHECK(qm::control::read_int_or("concurrencylocal", 10).value() == 12);
    CHECK(qm::control::read_int_or("concurrencyremote", 20).value() == 20);
    qmtest::spit(dir / "control/queuelifetime", "abc\n");
    auto bad = qm::control::read_int_or("queuelifetime", 604800);
    REQUIRE_FALSE(bad);
    CHECK(bad.error().text.find("queuelifetime line 1") != std::string::npos);
    ::unsetenv("QMAILHOME");
}
