// qmail-remote's report: folding it per recipient as qmail-rspawn does, and its wire form.
#include "qm/remote/client.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace std::string_literals;
using qm::Verdict;
using qm::remote::Outcome;

TEST_CASE("fold gives a refused recipient its own reason, the others the message's",
          "[remote][outcome]") {
    const Outcome o{{{'r', ""},
                     {'h', "1.2.3.4 does not like recipient.\nRemote host said: 550 no\n"},
                     {'s', "1.2.3.4 does not like recipient.\nRemote host said: 450 later\n"}},
                    Verdict::success("1.2.3.4 accepted message.\nRemote host said: 250 ok\n")};
    const auto v = qm::remote::fold(o);
    REQUIRE(v.size() == 3);
    CHECK(v[0].letter() == 'K');
    CHECK(v[0].text == "1.2.3.4 accepted message.\nRemote host said: 250 ok\n");
    CHECK(v[1].letter() == 'D');
    CHECK(v[1].text == "1.2.3.4 does not like recipient.\nRemote host said: 550 no\n");
    CHECK(v[2].letter() == 'Z');
    CHECK(v[2].text == "1.2.3.4 does not like recipient.\nRemote host said: 450 later\n");
}

TEST_CASE("fold adds a failed message's reason to a refusal, and gives it to the unanswered",
          "[remote][outcome]") {
    const Outcome o{{{'h', "refused.\n"}, {0, ""}}, Verdict::permanent("Giving up on 1.2.3.4.\n")};
    const auto v = qm::remote::fold(o);
    REQUIRE(v.size() == 2);
    CHECK(v[0].letter() == 'D');
    CHECK(v[0].text == "refused.\nGiving up on 1.2.3.4.\n");
    CHECK(v[1].letter() == 'D');
    CHECK(v[1].text == "Giving up on 1.2.3.4.\n");
}

TEST_CASE("qmail-remote's output goes up to the first unanswered recipient, then the message",
          "[remote][outcome]") {
    const Outcome o{{{'r', ""}, {'s', "busy\0\n"s}, {0, ""}},
                    Verdict::temporary("Connected to 1.2.3.4 but connection died. (#4.4.2)\n")};
    const std::string wire = qm::remote::encode(o);
    CHECK(wire == "r\0sbusy\n\0ZConnected to 1.2.3.4 but connection died. (#4.4.2)\n\0"s);
    const Outcome back = qm::remote::decode(wire, 3);
    REQUIRE(back.recipients.size() == 3);
    CHECK(back.recipients[0].letter == 'r');
    CHECK(back.recipients[1].letter == 's');
    CHECK(back.recipients[1].text == "busy\n");
    CHECK(back.recipients[2].letter == 0);
    CHECK(back.message.letter() == 'Z');
    CHECK(back.message.text == "Connected to 1.2.3.4 but connection died. (#4.4.2)\n");
}

TEST_CASE("output without a message report defers every recipient", "[remote][outcome]") {
    for (const std::string& wire : {""s, "r\0"s, "r\0K"s, "r\0?odd\0"s, "\0K\0"s}) {
        const Outcome o = qm::remote::decode(wire, 2);
        const auto v = qm::remote::fold(o);
        REQUIRE(v.size() == 2);
        for (const auto& one : v) {
            CHECK(one.letter() == 'Z');
            CHECK(one.text == "qmail-remote produced a malformed report. (#4.3.0)\n");
        }
    }
    // More recipient reports than recipients: the extra ones are ignored.
    const Outcome o = qm::remote::decode("r\0r\0Kok\n\0"s, 1);
    REQUIRE(o.recipients.size() == 1);
    CHECK(o.message.letter() == 'K');
}
