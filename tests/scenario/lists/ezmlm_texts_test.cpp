// Texts and replies as ezmlm-idx 7 makes them (share/lists/MIGRATING.md, "Texts"): on a
// list made by the real ezmlm-make 7.2.2, the real ezmlm-manage and ours answer the same
// request, into a capturing QMAILQUEUE, and their replies are compared - the body of an
// owner's customised text (comments, <=X=> conditions, !R and !A lines, every tag), the
// central texts and subjects the list relies on (etc/default, found by ours through
// control/ezmlm-etc), the List-* and Delivered-To fields, the Message-ID's form, and the
// immediate "already subscribed" answer.
#include "ezmlm_idx.hpp"
#include "qm/lists/core/mime.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>
#include <mimetic/mimetic.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <regex>
#include <sstream>

namespace fs = std::filesystem;

namespace {

// The real ezmlm-manage or ours on dir, the request (o.stdin_data) on a file as qmail-local
// gives it: ezmlm-idx seeks its input.
qmtest::RunResult run_manage(bool real, const std::string& dir, qmtest::RunOptions o) {
    const qmtest::TempDir in;
    const std::string request = in / "request";
    qmtest::spit(request, o.stdin_data);
    o.stdin_data.clear();
    return qmtest::run(
        {"/bin/sh", "-c", "exec \"$0\" \"$1\" < \"$2\"",
         real ? qmtest::ezmlm_idx().bin("ezmlm-manage") : qmtest::bin("ezmlm-manage"), dir,
         request},
        o);
}

// A list made by the real ezmlm-make with the given switches, and a mail root whose
// control/ezmlm-etc names the real ezmlm-idx's etc directory.
struct RealList {
    const qmtest::EzmlmIdx& ez = qmtest::ezmlm_idx();
    qmtest::TempDir tmp;
    std::string dir = tmp / "l";
    std::string home = tmp / "home";

    explicit RealList(const std::vector<std::string>& switches = {}) {
        std::vector<std::string> argv{ez.bin("ezmlm-make")};
        argv.insert(argv.end(), switches.begin(), switches.end());
        argv.insert(argv.end(), {dir, tmp / ".qmail-l", "l", "lists.example"});
        auto r = qmtest::run(argv);
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
        fs::create_directories(home + "/control");
        qmtest::spit(home + "/control/ezmlm-etc", ez.etc() + "\n");
        // qmail-queue's interface: the message on fd 0, the envelope on fd 1.
        qmtest::spit(tmp / "capture",
                     "#!/bin/sh\nn=$(ls \"$CAPTURE\" | grep -c '^m')\n"
                     "cat > \"$CAPTURE/m$n\"\ncat <&1 > \"$CAPTURE/e$n\"\n",
                     0755);
    }
    // ezmlm-manage (real or ours) for SENDER mailing l-ACTION@lists.example; returns the
    // messages it queued.
    std::vector<std::string> manage(bool real, const std::string& action,
                                    const std::string& sender = "joe@far.example") {
        const std::string out = tmp / (real ? "real" : "ours");
        fs::remove_all(out);
        fs::create_directories(out);
        qmtest::RunOptions o;
        o.stdin_data = "Delivered-To: l-" + action + "@lists.example\nFrom: " + sender +
                       "\nTo: l-" + action + "@lists.example\nSubject: x\n\nplease\n";
        o.env = {{"SENDER", sender},  {"LOCAL", "l-" + action}, {"HOST", "lists.example"},
                 {"DEFAULT", action}, {"QMAILHOME", home},      {"QMAILQUEUE", tmp / "capture"},
                 {"CAPTURE", out}};
        auto r = run_manage(real, dir, o);
        INFO((real ? "real ezmlm-manage: " : "our ezmlm-manage: ") << r.err);
        REQUIRE(r.exit_code == 0);
        std::vector<std::string> msgs;
        for (size_t n = 0; fs::exists(out + "/m" + std::to_string(n)); ++n)
            msgs.push_back(qmtest::slurp(out + "/m" + std::to_string(n)));
        return msgs;
    }
    void sub(const std::string& address) const {
        auto r = qmtest::run({ez.bin("ezmlm-sub"), dir, address});
        REQUIRE(r.exit_code == 0);
    }
};

void replace_all(std::string& s, const std::string& from, const std::string& to) {
    if (from.empty())
        return;
    for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size()))
        s.replace(p, from.size(), to);
}

// The body up to and including the line "END", with what differs by design between two
// confirmations - the cookie's time and hash (ours are HMAC-SHA256, 7.x's are not, issue
// 16 item 7) - replaced by names, so that two renderings can be compared.
std::string comparable_body(const std::string& msg) {
    std::string body = msg.substr(msg.find("\n\n") + 2);
    if (auto end = body.find("\nEND\n"); end != std::string::npos)
        body = body.substr(0, end + 5);
    // Both copy the request below the texts: compared by its own test.
    if (auto copy = body.find("\nReturn-Path: <"); copy != std::string::npos)
        body = body.substr(0, copy + 1);
    const std::string reply_to = qmtest::header_field(msg, "Reply-To");
    if (reply_to.empty())
        return body;
    // l-sc.TIME.HASH-joe=far.example@lists.example
    static const std::regex confirm(R"(^l-([a-z]c\.)([0-9]+)\.([^-]+)-(.*)@lists\.example$)");
    std::smatch m;
    REQUIRE(std::regex_match(reply_to, m, confirm));
    replace_all(body, m[2].str(), "TIME");
    replace_all(body, m[3].str(), "HASH");
    return body;
}

// Every rule and every tag of ezmlm-idx 7's text language in one confirmation request.
const std::string custom_top = "# an owner's comment, never sent\n"
                               "Hello from <#L#> (<#l#>) at <#h#> / <#H#>.\n";
const std::string custom_confirm =
    "To add <#A#> (<#a#>, <#t#>) reply to\n"
    "!R\n"
    "or mail <#r#>@<#h#>: code <#c#>, action <#X#>, time <#T#>, cookie <#C#>.\n"
    "<=s=>\n"
    "Moderated: a moderator approves it too.\n"
    "<=m=>\n"
    "Only with m, which this list has not.\n"
    "<=sS=>\n"
    "Flags read the same in either case.\n"
    "<=s7=>\n"
    "Digits are flags too (7: modpost, not set).\n"
    "<==>\n"
    "!A for the target, then unknown <#Z#> and parameter <#1#> tags vanish, number <#n#>,\n"
    "directory <#d#>, broken <#l and <#ll#> stay.\n"
    "# another comment\n"
    "no newline at the end";
const std::string custom_bottom = "<=x=>\nmimeremove is not set\n<==>\nEND\n";

} // namespace

TEST_CASE("an owner's customised texts render as the real ezmlm-manage renders them",
          "[scenario][lists][ezmlm-idx][texts]") {
    if (qmtest::skip_without_ezmlm_idx())
        return;
    RealList l({"-s"});
    qmtest::spit(l.dir + "/text/top", custom_top);
    qmtest::spit(l.dir + "/text/sub-confirm", custom_confirm);
    qmtest::spit(l.dir + "/text/bottom", custom_bottom);
    // The owner's subject: <#0#> is the key, other parameters and unknown tags vanish.
    qmtest::spit(l.dir + "/text/messages",
                 "# the owner's subjects\n"
                 "SUB_USR_SUBSCRIBE:Please confirm <#L#> at <#H#> [<#0#>] <#Z#>end<#1#>.\n");
    const auto real = l.manage(true, "subscribe");
    const auto ours = l.manage(false, "subscribe");
    REQUIRE(real.size() == 1);
    REQUIRE(ours.size() == 1);
    CHECK(qmtest::header_field(real[0], "Subject") ==
          "Please confirm l at lists.example [SUB_USR_SUBSCRIBE] end.");
    CHECK(qmtest::header_field(ours[0], "Subject") == qmtest::header_field(real[0], "Subject"));
    const std::string expected = "Hello from l (l) at lists.example / lists.example.\n"
                                 "To add joe@far.example (joe, joe=far.example) reply to\n"
                                 "   l-sc.TIME.HASH-joe=far.example@lists.example\n"
                                 "or mail l-sc.TIME.HASH-joe=far.example@lists.example: code "
                                 "sc.TIME.HASH-joe=far.example, action sc., time TIME, "
                                 "cookie HASH.\n"
                                 "Moderated: a moderator approves it too.\n"
                                 "Flags read the same in either case.\n"
                                 "   joe@far.example\n"
                                 "directory " +
                                 l.dir +
                                 ", broken <#l and <#ll#> stay.\n"
                                 "no newline at the end\n"
                                 "END\n";
    // The real one first, so that this test fails if our reading of ezmlm-idx is wrong.
    CHECK(comparable_body(real[0]) == expected);
    CHECK(comparable_body(ours[0]) == comparable_body(real[0]));
}

TEST_CASE("ezmlm-manage's replies carry ezmlm-idx 7's fields and subjects",
          "[scenario][lists][ezmlm-idx][texts]") {
    if (qmtest::skip_without_ezmlm_idx())
        return;
    RealList l;
    for (const char* action : {"subscribe", "help", "unsubscribe"}) {
        INFO(action);
        const auto real = l.manage(true, action);
        const auto ours = l.manage(false, action);
        REQUIRE(real.size() == 1);
        REQUIRE(ours.size() == 1);
        for (const char* name : {"List-Help", "List-Post", "List-Subscribe", "Delivered-To",
                                 "Mailing-List", "Subject", "From", "To"}) {
            INFO(name);
            CHECK(qmtest::header_field(ours[0], name) == qmtest::header_field(real[0], name));
        }
        CHECK(qmtest::header_field(real[0], "Delivered-To") == "responder for l@lists.example");
        CHECK(qmtest::header_field(real[0], "List-Post") == "<mailto:l@lists.example>");
        // <TIME.PID.ezmlm@outhost>
        const std::regex message_id(R"(<[0-9]+\.[0-9]+\.ezmlm@lists\.example>)");
        CHECK(std::regex_match(qmtest::header_field(real[0], "Message-ID"), message_id));
        CHECK(std::regex_match(qmtest::header_field(ours[0], "Message-ID"), message_id));
        // The list's texts are the central ones (the list's text/ is empty): the same
        // words from both.
        CHECK(comparable_body(ours[0]) == comparable_body(real[0]));
    }
    // A reply that comes back is recognised by its Delivered-To line and refused.
    qmtest::RunOptions o;
    o.stdin_data = "Delivered-To: responder for l@lists.example\nSubject: x\n\nx\n";
    o.env = {{"SENDER", "joe@far.example"},
             {"DEFAULT", "help"},
             {"LOCAL", "l-help"},
             {"QMAILHOME", l.home},
             {"QMAILQUEUE", l.tmp / "capture"},
             {"CAPTURE", l.tmp / "ours"}};
    for (bool real : {true, false}) {
        auto r = run_manage(real, l.dir, o);
        INFO(r.err);
        CHECK(r.exit_code == 100);
    }
}

TEST_CASE("the request is copied below text/bottom with dir/copylines lines of its body as "
          "ezmlm-idx 7 copies it",
          "[scenario][lists][ezmlm-idx][texts]") {
    if (qmtest::skip_without_ezmlm_idx())
        return;
    RealList l;
    // From the Return-Path line on: the copy, inline after the texts.
    const auto copy_of = [](const std::string& msg) {
        const auto at = msg.find("\nReturn-Path: <");
        REQUIRE(at != std::string::npos);
        return msg.substr(at + 1);
    };
    for (const char* copylines : {"", "1"}) {
        INFO("copylines " << copylines);
        if (*copylines != 0)
            qmtest::spit(l.dir + "/copylines", std::string(copylines) + "\n");
        const auto real = l.manage(true, "subscribe");
        const auto ours = l.manage(false, "subscribe");
        REQUIRE(real.size() == 1);
        REQUIRE(ours.size() == 1);
        const std::string header = "Return-Path: <joe@far.example>\n"
                                   "Delivered-To: l-subscribe@lists.example\n"
                                   "From: joe@far.example\nTo: l-subscribe@lists.example\n"
                                   "Subject: x\n\n";
        CHECK(copy_of(real[0]) == header + (*copylines != 0 ? "please\n" : ""));
        CHECK(copy_of(ours[0]) == copy_of(real[0]));
    }
    // -B (omitbottom) leaves out the bottom and the copy, from both.
    qmtest::spit(l.dir + "/omitbottom", "");
    for (bool real : {true, false}) {
        const auto msgs = l.manage(real, "subscribe");
        REQUIRE(msgs.size() == 1);
        CHECK(msgs[0].find("\nReturn-Path: <") == std::string::npos);
    }
}

TEST_CASE("subscribing an address already subscribed is answered at once, as ezmlm-idx 7 does",
          "[scenario][lists][ezmlm-idx][texts]") {
    if (qmtest::skip_without_ezmlm_idx())
        return;
    // With and without moderated subscription: no confirmation, no moderator asked.
    for (const std::vector<std::string>& switches :
         {std::vector<std::string>{}, std::vector<std::string>{"-s"}}) {
        INFO(switches.size());
        RealList l(switches);
        qmtest::spit(l.dir + "/text/bottom", "END\n");
        l.sub("joe@far.example");
        const auto real = l.manage(true, "subscribe");
        const auto ours = l.manage(false, "subscribe");
        REQUIRE(real.size() == 1);
        REQUIRE(ours.size() == 1);
        CHECK(qmtest::header_field(real[0], "Reply-To").empty());
        CHECK(qmtest::header_field(ours[0], "Reply-To").empty());
        CHECK(qmtest::header_field(ours[0], "Subject") == qmtest::header_field(real[0], "Subject"));
        CHECK(qmtest::header_field(ours[0], "Subject").find("l@lists.example") !=
              std::string::npos);
        CHECK(comparable_body(ours[0]) == comparable_body(real[0]));
        // Likewise unsubscribing someone who is not subscribed.
        const auto real_un = l.manage(true, "unsubscribe", "ann@far.example");
        const auto ours_un = l.manage(false, "unsubscribe", "ann@far.example");
        REQUIRE(real_un.size() == 1);
        REQUIRE(ours_un.size() == 1);
        CHECK(qmtest::header_field(ours_un[0], "Reply-To").empty());
        CHECK(qmtest::header_field(ours_un[0], "Subject") ==
              qmtest::header_field(real_un[0], "Subject"));
        CHECK(comparable_body(ours_un[0]) == comparable_body(real_un[0]));
    }
}

TEST_CASE("a list whose charset asks for Q or B gets its replies so encoded as from ezmlm-idx 7",
          "[scenario][lists][ezmlm-idx][texts]") {
    if (qmtest::skip_without_ezmlm_idx())
        return;
    RealList l;
    qmtest::spit(l.dir + "/text/top", "Hall\xf3 from <#L#>.\n");
    qmtest::spit(l.dir + "/text/help", "Ayuda: escr\xed"
                                       "banos.\n");
    for (const auto& [setting, mechanism] :
         {std::pair{"iso-8859-1:Q", "quoted-printable"}, std::pair{"iso-8859-1:B", "base64"}}) {
        INFO(setting);
        qmtest::spit(l.dir + "/charset", std::string(setting) + "\n");
        const auto real = l.manage(true, "help");
        const auto ours = l.manage(false, "help");
        REQUIRE(real.size() == 1);
        REQUIRE(ours.size() == 1);
        for (const auto& msg : {real[0], ours[0]}) {
            // The texts' part: the message itself, or (7.x, which then encloses the
            // request) the first part of a multipart/mixed one; read by mimetic.
            std::istringstream in(msg);
            mimetic::MimeEntity me(in);
            const mimetic::MimeEntity* text_part = &me;
            if (me.header().contentType().isMultipart()) {
                REQUIRE_FALSE(me.body().parts().empty());
                text_part = me.body().parts().front();
            }
            std::string cte = text_part->header().contentTransferEncoding().mechanism();
            for (auto& c : cte)
                c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            CHECK(cte == mechanism);
            CHECK(text_part->header().contentType().param("charset") == "iso-8859-1");
            const std::string body = text_part->body();
            CHECK_FALSE(std::any_of(body.begin(), body.end(),
                                    [](char c) { return (static_cast<unsigned char>(c) & 0x80); }));
            std::string text = qm::lists::decode_transfer_encoding(mechanism, body);
            // base64 text is in the canonical form, CRLF line ends (RFC 2045 6.8), from both.
            if (cte == "base64") {
                CHECK(text.find("\r\n") != std::string::npos);
                std::erase(text, '\r');
            }
            CHECK(text.starts_with("Hall\xf3 from l.\nAyuda: escr\xed"
                                   "banos.\n"));
        }
    }
}
