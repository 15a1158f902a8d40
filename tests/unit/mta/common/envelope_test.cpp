#include "qm/envelope.hpp"

#include <catch2/catch.hpp>

using namespace std::string_literals;

TEST_CASE("envelope round trip", "[common][envelope]") {
    qm::Envelope env{"joe@a.example", {"bob@b.example", "ann@c.example"}};
    auto bytes = qm::encode_envelope(env);
    CHECK(bytes == "Fjoe@a.example\0Tbob@b.example\0Tann@c.example\0\0"s);
    auto back = qm::decode_envelope(bytes);
    REQUIRE(back);
    CHECK(back->sender == env.sender);
    CHECK(back->recipients == env.recipients);
}

TEST_CASE("envelope errors carry qmail-queue exit codes", "[common][envelope]") {
    CHECK(qm::decode_envelope("Xjoe\0\0"s).error().code == qm::QueueExit::envelope_format);
    CHECK(qm::decode_envelope("Fjoe\0Tbob\0"s).error().code == qm::QueueExit::read_error);
    CHECK(qm::decode_envelope("Fjoe\0Xbob\0\0"s).error().code == qm::QueueExit::envelope_format);
    CHECK(qm::decode_envelope("F"s + std::string(1004, 'a') + "\0\0"s).error().code ==
          qm::QueueExit::address_too_long);
    CHECK(qm::decode_envelope(""s).error().code == qm::QueueExit::read_error);
    auto empty_sender = qm::decode_envelope("F\0Tx@y\0\0"s);
    REQUIRE(empty_sender);
    CHECK(empty_sender->sender.empty());
}

TEST_CASE("qmail-queue exit codes map to temporary or permanent", "[common][envelope]") {
    CHECK(qm::queue_exit_failure(11).permanent());
    CHECK(qm::queue_exit_failure(31).permanent());
    CHECK_FALSE(qm::queue_exit_failure(53).permanent());
    CHECK(qm::queue_exit_failure(53).with_dsn() == "qq write error or disk full (#4.3.0)");
    CHECK_FALSE(qm::queue_exit_failure(91).permanent());
    CHECK(qm::queue_exit_failure(25).permanent());
    CHECK_FALSE(qm::queue_exit_failure(200).permanent());
}
