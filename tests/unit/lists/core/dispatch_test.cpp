// ezmlm-dispatch's choice of list and control file (the real program's choices are
// compared in tests/scenario/lists/programs_test.cpp).
#include "qm/lists/core/dispatch.hpp"

#include <catch2/catch.hpp>

#include <set>

using namespace qm::lists;

TEST_CASE("an address goes to its list's control file", "[lists][dispatch]") {
    const std::set<std::string> lists = {"team", "team-x"};
    const std::set<std::string> files = {"team/editor",    "team/manager",   "team/bouncer",
                                         "team/confirmer", "team/moderator", "team-x/manager"};
    auto is_list = [&](const std::string& l) { return lists.contains(l); };
    auto is_file = [&](const std::string& f) { return files.contains(f); };
    auto to = [&](std::string_view def) {
        auto t = dispatch(def, is_list, is_file);
        REQUIRE(t.has_value());
        return t->list + " " + t->control_file + " " + t->value.value_or("(unset)");
    };
    CHECK(to("team") == "team editor (unset)");
    CHECK(to("team-x") == "team-x editor (unset)");
    CHECK(to("team-owner") == "team owner (unset)");
    CHECK(to("team-digest-owner") == "team owner (unset)");
    CHECK(to("team-return-5-a=b") == "team bouncer 5-a=b");
    CHECK(to("team-confirm-1.2.h") == "team confirmer 1.2.h");
    CHECK(to("team-reject-1.2.h") == "team moderator 1.2.h");
    CHECK(to("team-subscribe-a=b") == "team manager subscribe-a=b");
    CHECK(to("team-x-help") == "team-x manager help");
    // No digest/bouncer: the manager gets it.
    CHECK(to("team-digest-return-5") == "team manager digest-return-5");
    CHECK_FALSE(dispatch("other-help", is_list, is_file).has_value());
}
