// ezmlm-make -0 main@host: the files that make a list a sublist (dir/sublist, an editor
// that is ezmlm-send alone, a headerremove passing the main list's List-Id on), what -e
// does with them, and the switches a sublist refuses.
#include "../make_request.hpp"
#include "qm/lists/manage/make.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <filesystem>

namespace fs = std::filesystem;

namespace {

const std::string bin = "/opt/ezmlm";

qm::lists::MakeRequest sublist_request(const qmtest::TempDir& tmp) {
    auto r = liststest::new_list(tmp, bin, "joe-sub");
    r.parent = "team@Lists.Example";
    return r;
}

std::string line(const std::string& program, const std::string& dir) {
    return "|'" + bin + "/" + program + "' '" + dir + "'\n";
}

std::string warn_line(const std::string& dir) {
    return "|'" + bin + "/ezmlm-warn' '" + dir + "' || exit 0\n";
}

} // namespace

TEST_CASE("ezmlm-make -0 makes a sublist whose editor is ezmlm-send alone",
          "[lists][make][sublist]") {
    qmtest::TempDir tmp;
    REQUIRE(qm::lists::make_list(sublist_request(tmp)));
    const std::string d = tmp / "team";
    CHECK(qmtest::slurp(d + "/sublist") == "team@lists.example\n"); // the domain lower-cased
    // No ezmlm-reject (the main list's copy is addressed to the main list), no
    // moderation: ezmlm-send refuses whatever does not come from the main list.
    CHECK(qmtest::slurp(d + "/editor") == line("ezmlm-send", d) + warn_line(d));
    CHECK(qmtest::slurp(d + "/manager") == line("ezmlm-get", d) + line("ezmlm-split", d) +
                                               line("ezmlm-request", d) + line("ezmlm-manage", d) +
                                               warn_line(d));
    // Its own archive, as in ezmlm-idx.
    CHECK(fs::exists(d + "/archived"));
    const std::string removed = qmtest::slurp(d + "/headerremove");
    CHECK(removed == qm::lists::default_headerremove(true));
    for (const char* kept : {"list-id", "list-post", "list-archive", "sender"})
        CHECK(("\n" + removed).find(std::string("\n") + kept + "\n") == std::string::npos);
    for (const char* own : {"list-help", "list-unsubscribe", "list-subscribe", "return-path"})
        CHECK(("\n" + removed).find(std::string("\n") + own + "\n") != std::string::npos);
    CHECK_FALSE(fs::exists(d + "/flags"));
    // ezmlm-idx 7's sublist headeradd: its own help and (un)subscribe addresses only.
    CHECK(qmtest::slurp(d + "/headeradd") == qm::lists::default_headeradd(true));
}

TEST_CASE("a sublist refuses the switches the main list owns", "[lists][make][sublist]") {
    for (char letter : qm::lists::sublist_ignored_switches()) {
        INFO(letter);
        qmtest::TempDir tmp;
        auto r = sublist_request(tmp);
        r.set[letter] = true;
        auto made = qm::lists::make_list(r);
        REQUIRE_FALSE(made);
        CHECK(made.error().permanent());
        CHECK(made.error().text.find("does not apply to a sublist") != std::string::npos);
        CHECK_FALSE(fs::exists(tmp / "team")); // refused before anything was created
    }
    qmtest::TempDir tmp;
    auto r = sublist_request(tmp);
    r.parent = "no-host";
    auto bad = qm::lists::make_list(r);
    REQUIRE_FALSE(bad);
    CHECK(bad.error().permanent());
    CHECK_FALSE(fs::exists(tmp / "team"));
    // Turned off explicitly they are fine.
    r = sublist_request(tmp);
    r.set['f'] = false;
    CHECK(qm::lists::make_list(r));
}

TEST_CASE("ezmlm-make -e keeps a sublist, turns a list into one and back with -0 ''",
          "[lists][make][sublist]") {
    qmtest::TempDir tmp;
    auto main = sublist_request(tmp);
    main.parent.reset();
    main.set = {{'f', true}, {'t', true}, {'u', true}};
    REQUIRE(qm::lists::make_list(main));
    const std::string d = tmp / "team";
    REQUIRE(fs::exists(d + "/prefix"));

    // Made a sublist: prefix, trailer and subscriber-only posting go with it.
    auto to_sub = liststest::edit_list(d, bin);
    to_sub.parent = "team@lists.example";
    REQUIRE(qm::lists::make_list(to_sub));
    CHECK(qmtest::slurp(d + "/sublist") == "team@lists.example\n");
    CHECK(qmtest::slurp(d + "/editor") == line("ezmlm-send", d) + warn_line(d));
    for (const char* gone : {"prefix", "addtrailer", "subpostonly"})
        CHECK_FALSE(fs::exists(d + "/" + gone));
    CHECK(qmtest::slurp(d + "/headerremove") == qm::lists::default_headerremove(true));

    // An edit that does not mention -0 keeps it; asking for -f then fails.
    auto other = liststest::edit_list(d, bin);
    other.set = {{'h', true}};
    REQUIRE(qm::lists::make_list(other));
    CHECK(fs::exists(d + "/sublist"));
    CHECK(fs::exists(d + "/nosubconfirm"));
    CHECK(qmtest::slurp(d + "/editor") == line("ezmlm-send", d) + warn_line(d));
    other.set = {{'f', true}};
    CHECK_FALSE(qm::lists::make_list(other));
    CHECK(fs::exists(d + "/sublist"));

    // -0 '' makes it a main list again, with ezmlm-reject and the main headerremove.
    auto back = liststest::edit_list(d, bin);
    back.parent = "";
    REQUIRE(qm::lists::make_list(back));
    CHECK_FALSE(fs::exists(d + "/sublist"));
    CHECK(qmtest::slurp(d + "/editor") ==
          line("ezmlm-reject", d) + line("ezmlm-send", d) + warn_line(d));
    CHECK(qmtest::slurp(d + "/headerremove") == qm::lists::default_headerremove(false));

    // A headerremove the admin edited stays as it is through such changes.
    qmtest::spit(d + "/headerremove", "return-path\nx-spam\n");
    REQUIRE(qm::lists::make_list(to_sub));
    CHECK(qmtest::slurp(d + "/headerremove") == "return-path\nx-spam\n");
    CHECK(fs::exists(d + "/sublist"));
}
