// Subjects from text/messages beyond ezmlm-manage (share/lists/MIGRATING.md, "Texts"): on a
// list made by the real ezmlm-make 7.2.2 whose owner has customised text/messages, the real
// and our ezmlm-store (SUB_MODERATE), ezmlm-get (SUB_DIGEST_OF for get, SUB_RESULT_OF for
// index, SUB_DIGEST_ISSUE for a digest) give the same Subject; without a messages file of
// the list, ours keep the subjects they always had (get_test, moderation_test). ezmlm-warn
// (SUB_WARNING) and ezmlm-clean (SUB_RETURNED_POST) read the same file: bounce_test and
// moderation_test give their lists an owner's subjects.
#include "ezmlm_idx.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <filesystem>

namespace fs = std::filesystem;

namespace {

constexpr bool ours = false, real = true;

// A list made by the real ezmlm-make (moderated, archived, with a digest), one moderator,
// mail caught by a QMAILQUEUE script.
struct SubjectList {
    const qmtest::EzmlmIdx& ez = qmtest::ezmlm_idx();
    qmtest::TempDir tmp;
    std::string dir = tmp / "l";
    std::string home = tmp / "home";
    int caught = 0;

    SubjectList() {
        auto r = qmtest::run({ez.bin("ezmlm-make"), "-m", "-a", "-d", "-i", dir, tmp / ".qmail-l",
                              "l", "lists.example"});
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
        fs::create_directories(home + "/control");
        qmtest::spit(home + "/control/ezmlm-etc", ez.etc() + "\n");
        qmtest::spit(tmp / "capture",
                     "#!/bin/sh\ncat > \"$CAPTURE.msg\" && cat 0<&1 > \"$CAPTURE.env\"\n", 0755);
        REQUIRE(qmtest::run({ez.bin("ezmlm-sub"), dir, "mod", "mod@lists.example"}).exit_code == 0);
        // Ours queues no digest for nobody (the real one queues it without recipients).
        REQUIRE(qmtest::run({ez.bin("ezmlm-sub"), dir, "digest", "reader@far.example"}).exit_code ==
                0);
    }
    [[nodiscard]] std::string program(bool is_real, const std::string& name) const {
        return is_real ? ez.bin(name) : qmtest::bin(name);
    }
    // PROGRAM DIR with message on standard input (a file: ezmlm-idx may seek it) and the
    // given qmail-local variables; the message it queued ("" when none).
    std::string run(bool is_real, const std::string& name, const std::string& message,
                    std::map<std::string, std::string> env, int expected_exit = 0) {
        const std::string capture = tmp / ("caught" + std::to_string(++caught));
        const std::string input = capture + ".in";
        qmtest::spit(input, message);
        env.insert({{"QMAILHOME", home}, {"QMAILQUEUE", tmp / "capture"}, {"CAPTURE", capture}});
        auto r = qmtest::run(
            {"/bin/sh", "-c", "exec \"$0\" \"$1\" < \"$2\"", program(is_real, name), dir, input},
            {.env = env});
        INFO((is_real ? "real " : "our ") << name << ": " << r.err);
        REQUIRE(r.exit_code == expected_exit);
        return fs::exists(capture + ".msg") ? qmtest::slurp(capture + ".msg") : "";
    }
    // A request to l-ACTION@lists.example through ezmlm-get of one side.
    std::string get(bool is_real, const std::string& action) {
        return run(is_real, "ezmlm-get",
                   "From: joe@far.example\nTo: l-" + action + "@lists.example\nSubject: x\n\nx\n",
                   {{"SENDER", "joe@far.example"},
                    {"LOCAL", "l-" + action},
                    {"HOST", "lists.example"},
                    {"DEFAULT", action}},
                   99);
    }
};

std::string post(int n) {
    return "From: Poster <poster@far.example>\nTo: l@lists.example\nSubject: topic " +
           std::to_string(n) + "\nMessage-ID: <p" + std::to_string(n) + "@far.example>\n\nbody " +
           std::to_string(n) + "\n";
}

} // namespace

TEST_CASE("ezmlm-store and ezmlm-get take their subjects from text/messages as ezmlm-idx 7 does",
          "[scenario][lists][ezmlm-idx][texts]") {
    if (qmtest::skip_without_ezmlm_idx())
        return;
    SubjectList l;
    const std::map<std::string, std::string> poster{{"SENDER", "poster@far.example"}};
    // Two posts in the archive, through the real ezmlm-send.
    for (int n = 1; n <= 2; ++n)
        REQUIRE_FALSE(l.run(real, "ezmlm-send", post(n), poster).empty());

    SECTION("the central texts: 7.x's own English subjects from etc/default") {
        // Our ezmlm-store finds ETC/default/text/messages through control/ezmlm-etc, as
        // the real one has it compiled in.
        const std::string r = l.run(real, "ezmlm-store", post(3), poster);
        const std::string o = l.run(ours, "ezmlm-store", post(3), poster);
        CHECK(qmtest::header_field(r, "Subject") == "MODERATE for l@lists.example");
        CHECK(qmtest::header_field(o, "Subject") == qmtest::header_field(r, "Subject"));
        CHECK(qmtest::header_field(l.get(real, "get.1_2"), "Subject") == "l Digest of: get.1_2");
        CHECK(qmtest::header_field(l.get(ours, "get.1_2"), "Subject") == "l Digest of: get.1_2");
        CHECK(qmtest::header_field(l.get(real, "index"), "Subject") == "l Result of: index");
        CHECK(qmtest::header_field(l.get(ours, "index"), "Subject") == "l Result of: index");
    }

    SECTION("an owner's messages file: the same subjects from both") {
        qmtest::spit(l.dir + "/text/messages", "# the owner's subjects\n"
                                               "SUB_MODERATE:[<#L#>] a post awaits you at <#H#>\n"
                                               "SUB_DIGEST_OF:Posts <#1#> from <#L#>\n"
                                               "SUB_RESULT_OF:Index <#1#> of <#L#>\n"
                                               "SUB_DIGEST_ISSUE:<#L#> issue <#2#>\n");
        const std::string r = l.run(real, "ezmlm-store", post(3), poster);
        const std::string o = l.run(ours, "ezmlm-store", post(3), poster);
        CHECK(qmtest::header_field(r, "Subject") == "[l] a post awaits you at lists.example");
        CHECK(qmtest::header_field(o, "Subject") == qmtest::header_field(r, "Subject"));
        for (const char* action : {"get.1_2", "index"}) {
            INFO(action);
            const std::string real_subject = qmtest::header_field(l.get(real, action), "Subject");
            CHECK(real_subject ==
                  (std::string(action) == "index" ? "Index index of l" : "Posts get.1_2 from l"));
            CHECK(qmtest::header_field(l.get(ours, action), "Subject") == real_subject);
        }
        // A digest by hand (no LOCAL): each side from the same state, the list restored
        // between them so that both send issue 1.
        const std::string saved = l.tmp / "saved";
        fs::copy(l.dir, saved, fs::copy_options::recursive);
        const std::string real_digest = l.run(real, "ezmlm-get", "", {});
        fs::remove_all(l.dir);
        fs::rename(saved, l.dir);
        const std::string our_digest = l.run(ours, "ezmlm-get", "", {});
        CHECK(qmtest::header_field(real_digest, "Subject") == "l issue 1");
        CHECK(qmtest::header_field(our_digest, "Subject") ==
              qmtest::header_field(real_digest, "Subject"));
    }
}
