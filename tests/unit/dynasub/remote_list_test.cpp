#include "qm/dynasub/agent.hpp"
#include "qm/dynasub/remote_list.hpp"

#include <catch2/catch.hpp>

using namespace qm::dynasub;
using qm::lists::ParsedPost;

namespace {

const std::string self = "dynasub-r-abcdefghijkl@this.test";

RemoteList list_of(Manager m, char delimiter = '-') {
    return RemoteList{"rl", "remote.test", m, delimiter};
}

Incoming read(Manager m, const std::string& sender, const std::string& message, char delim = '-') {
    const ParsedPost p(message);
    return classify(list_of(m, delim), self, sender, p);
}

} // namespace

TEST_CASE("join and leave requests go where each manager takes them", "[dynasub]") {
    CHECK(join_request(list_of(Manager::ezmlm), self) ==
          Outgoing{"rl-subscribe@remote.test", "subscribe", ""});
    CHECK(leave_request(list_of(Manager::ezmlm), self).to == "rl-unsubscribe@remote.test");
    CHECK(join_request(list_of(Manager::mlmmj, '+'), self).to == "rl+subscribe@remote.test");
    CHECK(join_request(list_of(Manager::mailman3), self).to == "rl-join@remote.test");
    CHECK(leave_request(list_of(Manager::mailman3), self).to == "rl-leave@remote.test");
    CHECK(join_request(list_of(Manager::mailman2), self) ==
          Outgoing{"rl-request@remote.test", "subscribe", ""});
    CHECK(join_request(list_of(Manager::sympa), self) ==
          Outgoing{"sympa@remote.test", "SUB rl", ""});
    CHECK(join_request(list_of(Manager::majordomo), self).body == "subscribe rl " + self + "\n");
}

TEST_CASE("an ezmlm confirmation for the sublist is answered at its Reply-To", "[dynasub]") {
    const std::string rt = "rl-sc.1700000000.abcdefghijklmnopabcd-dynasub-r-abcdefghijkl=this.test"
                           "@remote.test";
    auto in = read(Manager::ezmlm, "rl-return-@remote.test",
                   "From: rl-help@remote.test\nReply-To: \"rl\" <" + rt +
                       ">\nSubject: confirm subscribe to rl@remote.test\n\nreply\n");
    REQUIRE(in.kind == Kind::confirm_join);
    REQUIRE(in.answer);
    CHECK(in.answer->to == rt);

    // The same for another address (a request never sent by us) is not answered.
    const std::string other = "rl-sc.1700000000.abcdefghijklmnopabcd-alice=this.test@remote.test";
    in = read(Manager::ezmlm, "rl-return-@remote.test", "Reply-To: " + other + "\n\nx\n");
    CHECK(in.kind == Kind::unknown);
    CHECK_FALSE(in.answer);

    // A Reply-To on another host is never followed.
    in = read(Manager::ezmlm, "rl-return-@remote.test",
              "Reply-To: rl-sc.1700000000.abcdefghijklmnopabcd-dynasub-r-abcdefghijkl=this.test"
              "@evil.test\n\nx\n");
    CHECK(in.kind == Kind::unknown);
    CHECK_FALSE(in.answer);

    // Nor a message whose return path is on another host.
    in = read(Manager::ezmlm, "rl-return-@evil.test", "Reply-To: " + rt + "\n\nx\n");
    CHECK(in.kind == Kind::stranger);

    in = read(Manager::ezmlm, "rl-return-@remote.test",
              "Reply-To: rl-uc.1700000000.abcdefghijklmnopabcd-dynasub-r-abcdefghijkl=this.test"
              "@remote.test\n\nx\n");
    CHECK(in.kind == Kind::confirm_leave);
}

TEST_CASE("ezmlm posts, welcomes, goodbyes and probes are told apart by return path", "[dynasub]") {
    CHECK(read(Manager::ezmlm, "rl-return-7-dynasub-r-abcdefghijkl=this.test@remote.test",
               "Subject: hi\n\nbody\n")
              .kind == Kind::post);
    CHECK(
        read(Manager::ezmlm, "rl-return-@remote.test", "Subject: WELCOME to rl@remote.test\n\nhi\n")
            .kind == Kind::welcome);
    CHECK(read(Manager::ezmlm, "rl-return-@remote.test",
               "Subject: goodbye from rl@remote.test\n\nbye\n")
              .kind == Kind::goodbye);
    CHECK(read(Manager::ezmlm,
               "rl-return-probe-1700000000.abcdefghijklmnopabcd-dynasub-r-x=this.test@remote.test",
               "Subject: ezmlm probe\n\n")
              .kind == Kind::notice);
    CHECK(read(Manager::ezmlm, "", "Subject: failure notice\n\n").kind == Kind::unknown);
    CHECK(read(Manager::ezmlm, "dave@remote.test", "Subject: hi\n\n").kind == Kind::unknown);
    CHECK(read(Manager::ezmlm, "dave@else.test", "Subject: hi\n\n").kind == Kind::stranger);
}

TEST_CASE("mlmmj's confsub address and encoded subject are understood", "[dynasub]") {
    const std::string rt =
        "rl-confsub-0123456789abcdef-dynasub-r-abcdefghijkl=this.test@remote.test";
    auto in = read(Manager::mlmmj, "rl-bounces-confsub-0123456789abcdef-x=this.test@remote.test",
                   "From: rl-help@remote.test\nReply-To: " + rt +
                       "\nSubject: =?utf-8?q?Confirm_subscription_to_rl=40remote=2Etest?=\n\nx\n");
    REQUIRE(in.kind == Kind::confirm_join);
    CHECK(in.answer->to == rt);
    CHECK(read(Manager::mlmmj, "rl-bounces-12-dynasub-r-abcdefghijkl=this.test@remote.test",
               "Subject: hi\n\n")
              .kind == Kind::post);
    CHECK(read(Manager::mlmmj, "rl-bounces-help@remote.test",
               "Subject: =?utf-8?q?Welcome_to_rl=40remote=2Etest?=\n\n")
              .kind == Kind::welcome);
    CHECK(read(Manager::mlmmj, "rl-bounces-4@remote.test", "Subject: hi\n\n").kind == Kind::post);
    CHECK(
        read(Manager::mlmmj, "rl+bounces-3-x=this.test@remote.test", "Subject: hi\n\n", '+').kind ==
        Kind::post);
}

TEST_CASE("Mailman 3 confirmations are answered at L-confirm+TOKEN", "[dynasub]") {
    auto in = read(Manager::mailman3, "rl-bounces@remote.test",
                   "From: rl-confirm+abc123DEF@remote.test\nSubject: confirm abc123DEF\n\nx\n");
    REQUIRE(in.kind == Kind::confirm_join);
    CHECK(in.answer->to == "rl-confirm+abc123DEF@remote.test");
    CHECK(in.answer->subject == "confirm abc123DEF");
    CHECK(read(Manager::mailman3, "rl-bounces@remote.test",
               "From: dave@remote.test\nList-Id: <rl.remote.test>\nList-Post: "
               "<mailto:rl@remote.test>\nSubject: hi\n\n")
              .kind == Kind::post);
    // As Mailman 3.3.8 writes them (header fields copied from its messages; the notices
    // carry List-Id like posts, but come From L-request@H).
    in = read(Manager::mailman3, "rl-bounces@remote.test",
              "Subject: Your confirmation is needed to leave the rl@remote.test mailing\n"
              " list.\nFrom: rl-confirm+2483137ec8bab802f2cd676562b6e9f10f1a942f@remote.test\n"
              "List-Id: <rl.remote.test>\n\nx\n");
    REQUIRE(in.kind == Kind::confirm_leave);
    CHECK(in.answer->subject == "confirm 2483137ec8bab802f2cd676562b6e9f10f1a942f");
    const std::string notice_fields = "From: rl-request@remote.test\nX-Mailman-Version: "
                                      "3.3.8\nList-Id: <rl.remote.test>\nList-Help: "
                                      "<mailto:rl-request@remote.test?subject=help>\n";
    CHECK(read(Manager::mailman3, "rl-bounces@remote.test",
               notice_fields + "Subject: Welcome to the \"Rl\" mailing list\n\nx\n")
              .kind == Kind::welcome);
    CHECK(read(Manager::mailman3, "rl-bounces@remote.test",
               notice_fields + "Subject: You have been unsubscribed from the Rl mailing list\n\n")
              .kind == Kind::goodbye);
    CHECK(read(Manager::mailman3, "rl-bounces@remote.test",
               notice_fields + "Subject: The results of your email commands\n\n")
              .kind == Kind::unknown);
    // A post whose subject looks like a notice is still a post.
    CHECK(read(Manager::mailman3, "rl-bounces@remote.test",
               "From: dave@remote.test\nList-Id: <rl.remote.test>\nSubject: Welcome to the "
               "new list\n\n")
              .kind == Kind::post);
}

TEST_CASE("a post passed on by a reader names its list and manager", "[dynasub]") {
    // Redirected as it came: Mailman 3's header fields.
    auto s = list_of_sample("Return-Path: <carol@this.test>\nList-Post: <mailto:rl@remote.test>\n"
                            "List-Subscribe: <mailto:rl-join@remote.test>\nX-Mailman-Version: "
                            "3.3.8\nSubject: hi\n\nbody\n");
    REQUIRE(s);
    CHECK(s->address == "rl@remote.test");
    REQUIRE(s->manager);
    CHECK(s->manager->manager == Manager::mailman3);
    // mlmmj adds no List-* field by default: its return path below the redirect's says.
    s = list_of_sample("Return-Path: <carol@this.test>\nDelivered-To: dynasub@this.test\n"
                       "Return-Path: <rl-bounces-4-carol=this.test@remote.test>\n"
                       "Subject: hi\n\nbody\n");
    REQUIRE(s);
    CHECK(s->address == "rl@remote.test");
    REQUIRE(s->manager);
    CHECK(s->manager->manager == Manager::mlmmj);
    CHECK(s->manager->delimiter == '-');
    s = list_of_sample("Return-Path: <rl+bounces-4-carol=this.test@remote.test>\n\n");
    REQUIRE(s);
    CHECK(s->manager->delimiter == '+');
    s = list_of_sample("Return-Path: <my-rl-return-12-carol=this.test@remote.test>\n\n");
    REQUIRE(s);
    CHECK(s->address == "my-rl@remote.test");
    CHECK(s->manager->manager == Manager::ezmlm);
    // Forwarded as an attachment (here quoted-printable): the inner message counts, not
    // the forwarding one's header.
    s = list_of_sample("Return-Path: <carol@this.test>\nMIME-Version: 1.0\nContent-Type: "
                       "multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nsee "
                       "below\n--b\nContent-Type: message/rfc822\nContent-Transfer-Encoding: "
                       "quoted-printable\n\nMailing-List: contact rl-help@remote.test; run by "
                       "ezmlm\nList-Post: <mailto:rl=40remote.test>\nSubject: hi\n\nx\n--b--\n");
    REQUIRE(s);
    CHECK(s->address == "rl@remote.test");
    CHECK(s->manager->manager == Manager::ezmlm);
    // A list with List-Post but nothing that says its manager.
    s = list_of_sample("List-Post: <mailto:rl@remote.test>\nSubject: hi\n\n");
    REQUIRE(s);
    CHECK_FALSE(s->manager);
    // Nothing names a list.
    CHECK_FALSE(list_of_sample("Return-Path: <carol@this.test>\nSubject: hi\n\nx\n"));
    CHECK_FALSE(list_of_sample("List-Post: NO\nReturn-Path: <>\n\n"));
    CHECK_FALSE(list_of_sample("Content-Type: multipart/mixed\n\nbroken"));
}

TEST_CASE("Sympa's AUTH line is echoed to the robot", "[dynasub]") {
    auto in = read(Manager::sympa, "sympa@remote.test",
                   "Subject: confirm\n\nTo confirm, send:\n  AUTH 0a1b2c3d SUB rl\n");
    REQUIRE(in.kind == Kind::confirm_join);
    CHECK(in.answer->to == "sympa@remote.test");
    CHECK(in.answer->subject == "AUTH 0a1b2c3d SUB rl");
}

TEST_CASE("the manager is recognised from a post's headers", "[dynasub]") {
    auto rec = [](const std::string& m) { return recognise_manager("rl", ParsedPost(m)); };
    CHECK(rec("Mailing-List: contact rl-help@remote.test; run by ezmlm\n\n")->manager ==
          Manager::ezmlm);
    CHECK(rec("X-Mailman-Version: 3.3.8\n\n")->manager == Manager::mailman3);
    auto m = rec("List-Subscribe: <mailto:rl+subscribe@remote.test>\n\n");
    REQUIRE(m);
    CHECK(m->manager == Manager::mlmmj);
    CHECK(m->delimiter == '+');
    CHECK_FALSE(rec("Subject: x\n\n"));
    auto to =
        mailto_of_list_field("<https://x>, <mailto:rl-request@remote.test?subject=subscribe>");
    REQUIRE(to);
    CHECK(to->to == "rl-request@remote.test");
    CHECK(to->subject == "subscribe");
    CHECK_FALSE(mailto_of_list_field("<mailto:no at sign>"));
}

TEST_CASE("an agent's state file round-trips and a bad line names file and line", "[dynasub]") {
    Agent a;
    a.id = "abcdefghijkl";
    a.remote = list_of(Manager::mlmmj, '+');
    a.state = State::confirming;
    a.since = 1700000000;
    a.tries = 2;
    a.next = 1700003600;
    a.note = "join request\n2 sent";
    auto back = parse_agent(format_agent(a), "state");
    REQUIRE(back);
    a.note = "join request?2 sent"; // one line on disk
    CHECK(*back == a);
    auto bad =
        parse_agent("id abcdefghijkl\nlist rl@remote.test\nstate dancing\n", "agents/x/state");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().text == "agents/x/state:3: bad state line");
    CHECK_FALSE(bad.error().permanent());
    CHECK_FALSE(parse_agent("id abcdefghijkl\n", "s"));
    CHECK(wait_after_try(1) == 3600);
    CHECK(wait_after_try(9) == 12 * 3600);
}
