#include "qm/netstring.hpp"
#include "qm/qmtp/framing.hpp"
#include "qm/qmtp/qmqp_client.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace std::string_literals;
using qm::qmtp::Event;

namespace {

std::string ns(const std::string& s) {
    return qm::netstring::encode(s);
}

std::string qmtp_package(const std::string& message, const std::string& sender,
                         const std::vector<std::string>& rcpts) {
    std::string list;
    for (const auto& r : rcpts)
        list += ns(r);
    return ns(message) + ns(sender) + ns(list);
}

// Feeds input in pieces of `piece` bytes and writes the events as text; message data is
// joined so that the result does not depend on how the input was split.
template <class Parser>
std::vector<std::string> events(Parser& p, const std::string& in, size_t piece) {
    std::vector<std::string> out;
    std::string data;
    size_t pos = 0;
    for (;;) {
        const std::string_view chunk = std::string_view(in).substr(pos, piece);
        size_t used = 0;
        const Event e = p.feed(chunk, used);
        pos += used;
        if (e != Event::message_data && e != Event::more && !data.empty()) {
            out.push_back("data " + data);
            data.clear();
        }
        switch (e) {
        case Event::more:
            if (pos >= in.size())
                return out;
            break;
        case Event::message_begin:
            out.push_back("begin " + std::to_string(p.message_length()));
            break;
        case Event::message_data:
            data += p.data();
            break;
        case Event::message_end:
            out.emplace_back("end-message");
            break;
        case Event::sender:
            out.push_back("sender " + std::string(p.address()) + " " +
                          std::to_string(p.address_length()));
            break;
        case Event::recipient:
            out.push_back("rcpt " + std::string(p.address()) + " " +
                          std::to_string(p.address_length()));
            break;
        case Event::end:
            out.emplace_back("end");
            break;
        case Event::error:
            out.push_back("error " + p.error());
            return out;
        }
    }
}

template <class Parser>
std::vector<std::string> events(const std::string& in, size_t piece = 1 << 20) {
    Parser p;
    return events(p, in, piece);
}

} // namespace

TEST_CASE("NetstringReader reads a netstring in pieces", "[qmtp][framing]") {
    qm::qmtp::NetstringReader r;
    size_t used = 0;
    CHECK(r.fresh());
    CHECK(r.feed("1", used) == qm::qmtp::NetstringReader::Event::more);
    CHECK(used == 1);
    CHECK_FALSE(r.fresh());
    CHECK(r.feed("2:hello", used) == qm::qmtp::NetstringReader::Event::length);
    CHECK(used == 2);
    CHECK(r.length() == 12);
    CHECK(r.feed("hello", used) == qm::qmtp::NetstringReader::Event::data);
    CHECK(r.data() == "hello");
    CHECK(r.feed(" world!,x", used) == qm::qmtp::NetstringReader::Event::data);
    CHECK(r.data() == " world!");
    CHECK(r.feed(",x", used) == qm::qmtp::NetstringReader::Event::done);
    CHECK(used == 1);

    for (const char* bad : {"x:", ":", "01:a,", "3:abc;"}) {
        INFO(bad);
        qm::qmtp::NetstringReader b;
        const std::string in = bad;
        size_t pos = 0;
        auto e = qm::qmtp::NetstringReader::Event::more;
        while (pos < in.size() && e != qm::qmtp::NetstringReader::Event::error) {
            e = b.feed(std::string_view(in).substr(pos), used);
            pos += used;
        }
        CHECK(e == qm::qmtp::NetstringReader::Event::error);
    }
    qm::qmtp::NetstringReader small(100);
    CHECK(small.feed("101:", used) == qm::qmtp::NetstringReader::Event::error);
    CHECK(small.error() == "netstring too long");
}

TEST_CASE("QMTP packages in one stream whole or byte by byte", "[qmtp][framing]") {
    const std::string in =
        qmtp_package("\nSubject: one\n\nbody\n", "ann@a.example",
                     {"joe@b.example", "x@c.example"}) +
        qmtp_package("\rSubject: two\r\n\r\nlone\rCR\r\r\nend\r", "", {"joe@b.example"}) +
        qmtp_package("\n", "s@a.example", {});
    const std::vector<std::string> want = {
        "begin 20",
        "data Subject: one\n\nbody\n",
        "end-message",
        "sender ann@a.example 13",
        "rcpt joe@b.example 13",
        "rcpt x@c.example 11",
        "end",
        "begin 31",
        "data Subject: two\n\nlone\rCR\r\nend\r",
        "end-message",
        "sender  0",
        "rcpt joe@b.example 13",
        "end",
        "begin 1",
        "end-message",
        "sender s@a.example 11",
        "end",
    };
    CHECK(events<qm::qmtp::QmtpParser>(in) == want);
    CHECK(events<qm::qmtp::QmtpParser>(in, 1) == want);
    CHECK(events<qm::qmtp::QmtpParser>(in, 7) == want);
}

TEST_CASE("QMTP's example package from the spec", "[qmtp][framing]") {
    const std::string message = "\nReceived: from x\nSubject: test\n\nThis is a test.\n";
    const std::string in =
        ns(message) + "24:God-DSN-37@heaven.af.mil,30:26:djb@silverton.berkeley.edu,,";
    auto ev = events<qm::qmtp::QmtpParser>(in);
    REQUIRE(ev.size() == 6);
    CHECK(ev[3] == "sender God-DSN-37@heaven.af.mil 24");
    CHECK(ev[4] == "rcpt djb@silverton.berkeley.edu 26");
    CHECK(ev[5] == "end");
}

TEST_CASE("QMTP addresses of 1000 bytes or more are reported but not kept", "[qmtp][framing]") {
    const std::string huge(5000, 'a');
    auto ev = events<qm::qmtp::QmtpParser>(qmtp_package("\nx\n", huge, {huge + "@b.example"}), 13);
    REQUIRE(ev.size() == 6);
    CHECK(ev[3] == "sender " + huge.substr(0, 1000) + " 5000");
    CHECK(ev[4] == "rcpt " + huge.substr(0, 1000) + " 5010");
}

TEST_CASE("broken QMTP framing is an error", "[qmtp][framing]") {
    const std::string ok_msg = ns("\nx\n");
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"0:,", "message without its encoding byte"},
        {"3:xab,", "message encoding byte is neither LF nor CR"},
        {"3:\nab;", "message: netstring does not end with a comma"},
        {"x", "message: netstring length is not a number"},
        {"-1:", "message: netstring length is not a number"},
        {ok_msg + "3:abc" + "x", "sender: netstring does not end with a comma"},
        {ok_msg + "0:," + "5:3:abc,,", "a recipient crosses the end of the recipient list"},
        {ok_msg + "0:," + "6:3:abc,;", "recipient list does not end with a comma"},
        {ok_msg + "0:," + "3:abc,", "recipient: netstring length is not a number"},
        {ok_msg + "0:," + "4:3:ab", "a recipient crosses the end of the recipient list"},
    };
    for (const auto& [in, error] : cases) {
        INFO(in);
        for (size_t piece : {size_t{1}, size_t{1000}}) {
            auto ev = events<qm::qmtp::QmtpParser>(in, piece);
            REQUIRE_FALSE(ev.empty());
            CHECK(ev.back() == "error " + error);
        }
    }
    // A message longer than the limit is refused at its length.
    qm::qmtp::QmtpParser small(10);
    auto ev = events(small, "11:", 100);
    CHECK(ev.back() == "error message: netstring too long");
}

TEST_CASE("QMQP requests whole or in pieces", "[qmtp][framing]") {
    const std::string body = ns("Subject: hi\n\nhello\n") + ns("ann@a.example") +
                             ns("joe@b.example") + ns("bob@c.example");
    const std::string in = ns(body);
    const std::vector<std::string> want = {
        "begin 19",
        "data Subject: hi\n\nhello\n",
        "end-message",
        "sender ann@a.example 13",
        "rcpt joe@b.example 13",
        "rcpt bob@c.example 13",
        "end",
    };
    CHECK(events<qm::qmtp::QmqpParser>(in) == want);
    CHECK(events<qm::qmtp::QmqpParser>(in, 1) == want);
    CHECK(events<qm::qmtp::QmqpParser>(in, 5) == want);
    // Written out by hand.
    auto ev = events<qm::qmtp::QmqpParser>("36:12:Hello world\n,5:a@b.c,9:joe@b.com,,"s);
    CHECK(ev == std::vector<std::string>{"begin 12", "data Hello world\n", "end-message",
                                         "sender a@b.c 5", "rcpt joe@b.com 9", "end"});
}

TEST_CASE("broken QMQP framing is an error", "[qmtp][framing]") {
    const std::string msg = ns("x\n") + ns("a@b");
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"0:,", "request ends before its message"},
        {ns(ns("x\n")), "request ends before its sender"},
        {"9:" + ns("x\n") + "3:ab", "a netstring crosses the end of the request"},
        {ns(msg) + "x", "bytes after the request"},
        {"11:" + msg + ";", "request does not end with a comma"},
        {"x", "request: netstring length is not a number"},
        {"5:x", "netstring length is not a number"},
    };
    for (const auto& [in, error] : cases) {
        INFO(in);
        for (size_t piece : {size_t{1}, size_t{1000}}) {
            auto ev = events<qm::qmtp::QmqpParser>(in, piece);
            REQUIRE_FALSE(ev.empty());
            CHECK(ev.back() == "error " + error);
        }
    }
}

TEST_CASE("qmqp_request frames what QmqpParser reads back", "[qmtp][framing]") {
    const std::string message = "Subject: x\n\n1:not a netstring,\n";
    const qm::Envelope env{"ann@a.example", {"joe@b.example", "bob@c.example"}};
    const auto r = qm::qmtp::qmqp_request(message.size(), env);
    const std::string wire = r.before + message + r.after;
    CHECK(wire == ns(ns(message) + ns(env.sender) + ns(env.recipients[0]) + ns(env.recipients[1])));
    auto ev = events<qm::qmtp::QmqpParser>(wire);
    REQUIRE(ev.size() == 7);
    CHECK(ev[1] == "data " + message);
}

TEST_CASE("qmtp_package frames what QmtpParser reads back", "[qmtp][framing]") {
    const std::string message = "Subject: x\n\n1:not a netstring,\r\nlast";
    const qm::Envelope env{"ann@a.example", {"joe@b.example", "bob@c.example"}};
    const auto p = qm::qmtp::qmtp_package(message.size(), env);
    const std::string wire = p.before + message + p.after;
    CHECK(wire == qmtp_package("\n" + message, env.sender, env.recipients));
    auto ev = events<qm::qmtp::QmtpParser>(wire, 3);
    CHECK(ev == std::vector<std::string>{"begin " + std::to_string(message.size() + 1),
                                         "data " + message, "end-message",
                                         "sender ann@a.example 13", "rcpt joe@b.example 13",
                                         "rcpt bob@c.example 13", "end"});
}

TEST_CASE("qmqpservers lines", "[qmtp][qmqpc]") {
    auto a = qm::qmtp::parse_qmqp_server("192.0.2.1");
    REQUIRE(a);
    CHECK(a->address == "192.0.2.1");
    CHECK(a->port == 628);
    auto b = qm::qmtp::parse_qmqp_server("127.0.0.1:6280");
    REQUIRE(b);
    CHECK(b->port == 6280);
    auto c = qm::qmtp::parse_qmqp_server("2001:db8::1");
    REQUIRE(c);
    CHECK(c->address == "2001:db8::1");
    CHECK(c->port == 628);
    auto d = qm::qmtp::parse_qmqp_server("[::1]:6281");
    REQUIRE(d);
    CHECK(d->address == "::1");
    CHECK(d->port == 6281);
    for (const char* bad : {"mail.example.com", "192.0.2.1:", "192.0.2.1:0", "192.0.2.1:70000",
                            "[::1", "[::1]x", "1.2.3.4:x"}) {
        INFO(bad);
        CHECK_FALSE(qm::qmtp::parse_qmqp_server(bad));
    }
}

TEST_CASE("HopCounter counts Received and Delivered-To lines in the header only",
          "[qmtp][framing]") {
    qm::qmtp::HopCounter h;
    h.feed("Received: a\nRECEIVED: b\n  Received: continuation\nDeliv");
    h.feed("ered-To: x\nReceivedX: counts as qmail does\nSubject: s\n\nReceived: in the body\n");
    CHECK(h.hops() == 4);
}
