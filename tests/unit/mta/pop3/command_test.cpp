#include "qm/pop3/authorization.hpp"
#include "qm/pop3/command.hpp"

#include <catch2/catch.hpp>

using namespace qm::pop3;

TEST_CASE("pop3: verbs are case-insensitive - the argument follows the spaces", "[pop3][command]") {
    CHECK(parse_command("STAT").verb == Verb::stat);
    CHECK(parse_command("stat\r").verb == Verb::stat);
    CHECK(parse_command("Retr 2").verb == Verb::retr);
    CHECK(parse_command("Retr 2").argument == "2");
    CHECK(parse_command("TOP   3 10\r").argument == "3 10");
    CHECK(parse_command("top").argument.empty());
    CHECK(parse_command("APOP x y").verb == Verb::unknown); // qmail-popup's, not here
    CHECK(parse_command("").verb == Verb::unknown);
    CHECK(parse_command("stats").verb == Verb::unknown);
}

TEST_CASE("pop3: message numbers as qmail-pop3d reads them", "[pop3][command]") {
    CHECK(message_index("1", 3) == 0u);
    CHECK(message_index("3", 3) == 2u);
    CHECK(message_index("2x", 3) == 1u); // scan_ulong stops at the first non-digit
    CHECK(message_index("4", 3).error() == NumberError::too_big);
    CHECK(message_index("0", 3).error() == NumberError::zero);
    CHECK(message_index("", 3).error() == NumberError::syntax);
    CHECK(message_index("x", 3).error() == NumberError::syntax);
    CHECK(message_index("99999999999999999999999", 3).error() == NumberError::too_big);
    CHECK(error_text(NumberError::zero) == "messages are counted from 1");
    CHECK(top_lines("2 10") == 10ul);
    CHECK(top_lines("2   0") == 0ul);
    CHECK_FALSE(top_lines("2"));
    CHECK_FALSE(top_lines("2 x"));
}

TEST_CASE("pop3: the authorization state - USER then PASS - APOP - the rest must wait",
          "[pop3][authorization]") {
    Authorization a("<1.2@mx.example>");
    CHECK(a.greeting() == "+OK <1.2@mx.example>\r\n");
    CHECK(a.handle("PASS x").reply == "-ERR USER first\r\n");
    CHECK(a.handle("STAT").reply == "-ERR authorization first\r\n");
    CHECK(a.handle("user").reply == "-ERR syntax error\r\n");
    CHECK(a.handle("noop\r").reply == "+OK \r\n");
    auto user = a.handle("USER joe\r");
    CHECK(user.reply == "+OK \r\n");
    CHECK_FALSE(user.login);
    CHECK(a.handle("PASS").reply == "-ERR syntax error\r\n");
    auto pass = a.handle("PASS two words\r");
    REQUIRE(pass.login);
    CHECK(pass.login->user == "joe");
    CHECK(pass.login->password == "two words");
    CHECK(pass.login->checkpassword_input(a.timestamp()) ==
          std::string("joe\0two words\0<1.2@mx.example>\0", 31));
    CHECK_FALSE((Login{std::string("jo\0e", 4), "x"}.checkpassword_input("<t>")));
    Authorization b("<3.4@mx.example>");
    CHECK(b.handle("APOP joe").reply == "-ERR syntax error\r\n");
    auto apop = b.handle("apop joe c4c9334bac560ecc979e58001b3e22fb");
    REQUIRE(apop.login);
    CHECK(apop.login->user == "joe");
    CHECK(apop.login->password == "c4c9334bac560ecc979e58001b3e22fb");
    auto quit = b.handle("QUIT");
    CHECK(quit.quit);
    CHECK(quit.reply == "+OK \r\n");
}

TEST_CASE("pop3: CAPA lists STLS only when a certificate is there - STLS forgets USER",
          "[pop3][authorization]") {
    Authorization plain("<1.2@mx.example>");
    CHECK(plain.handle("CAPA").reply ==
          "+OK capability list follows\r\nTOP\r\nUIDL\r\nUSER\r\n.\r\n");
    CHECK(plain.handle("STLS").reply == "-ERR authorization first\r\n");
    Authorization tls("<1.2@mx.example>", true);
    CHECK(tls.handle("capa").reply ==
          "+OK capability list follows\r\nTOP\r\nUIDL\r\nUSER\r\nSTLS\r\n.\r\n");
    CHECK(tls.handle("USER joe").reply == "+OK \r\n");
    auto stls = tls.handle("STLS");
    CHECK(stls.start_tls);
    CHECK(stls.reply == "+OK begin TLS negotiation\r\n");
    tls.tls_started();
    CHECK(tls.handle("PASS secret").reply == "-ERR USER first\r\n"); // USER in the clear
    CHECK(tls.handle("STLS").reply == "-ERR TLS is already active\r\n");
    CHECK(tls.handle("CAPA").reply.find("STLS") == std::string::npos);
}

TEST_CASE("pop3: a NUL ends the line - a client cannot add fields for checkpassword",
          "[pop3][authorization]") {
    using namespace std::string_literals;
    // Replaying a sniffed APOP digest with its old timestamp: the NULs would make the
    // digest and the timestamp fields of their own on descriptor 3.
    Authorization a("<1.2@mx.example>");
    auto apop = a.handle("APOP joe\0digest\0<9.9@mx.example> x"s);
    CHECK_FALSE(apop.login);
    CHECK(apop.reply == "-ERR syntax error\r\n"); // what is left is "APOP joe"
    CHECK(a.handle("USER joe\0secret"s).reply == "+OK \r\n");
    auto pass = a.handle("PASS x\0<9.9@mx.example>"s);
    REQUIRE(pass.login);
    CHECK(pass.login->checkpassword_input(a.timestamp()) == "joe\0x\0<1.2@mx.example>\0"s);
}
