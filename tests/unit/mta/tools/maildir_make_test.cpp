#include "qm/tools/maildir_make.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

TEST_CASE("make_maildir creates tmp new cur with mode 0700", "[tools][maildirmake]") {
    qmtest::TempDir t;
    const std::string dir = t / "Maildir";
    REQUIRE(qm::tools::make_maildir(dir));
    for (const char* sub : {"", "/tmp", "/new", "/cur"}) {
        struct stat st {};
        REQUIRE(::stat((dir + sub).c_str(), &st) == 0);
        CHECK(S_ISDIR(st.st_mode));
        CHECK((st.st_mode & 07777) == 0700);
    }
    auto again = qm::tools::make_maildir(dir);
    REQUIRE_FALSE(again);
    CHECK_FALSE(again.error().permanent());
    CHECK(again.error().text.find("File exists") != std::string::npos);
}
