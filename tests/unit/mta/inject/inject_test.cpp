#include "qm/inject/inject.hpp"

#include <catch2/catch.hpp>

using qm::inject::Options;
using qm::inject::RecipientSource;
using qm::inject::Settings;

namespace {

// 26 Sep 1995 04:46:54 GMT, the example in qmail-header(5).
constexpr std::time_t when = 812090814;

Settings settings() {
    Settings s;
    s.domains = {"host.example", "dom.example", "plus.example"};
    s.idhost = "id.example";
    s.user = "joe";
    s.sender_user = "joe";
    s.now = when;
    s.pid = 4242;
    return s;
}

qm::inject::Prepared prep(std::string_view in, const Options& o = {},
                          const Settings& s = settings()) {
    auto p = qm::inject::prepare(in, o, s);
    INFO(in);
    REQUIRE(p);
    return *p;
}

Options args(std::vector<std::string> a) {
    auto o = qm::inject::parse_args(a);
    REQUIRE(o);
    return *o;
}

} // namespace

TEST_CASE("missing fields are added before the original header", "[inject][prepare]") {
    auto p = prep("Subject: hi\n\nbody\n");
    CHECK(p.message == "Date: 26 Sep 1995 04:46:54 -0000\n"
                       "Message-ID: <19950926044654.4242.qmail@id.example>\n"
                       "From: joe@host.example\n"
                       "Cc: recipient list not shown: ;\n"
                       "Subject: hi\n"
                       "\n"
                       "body\n");
    CHECK(p.envelope.sender == "joe@host.example");
    CHECK(p.envelope.recipients.empty());
    CHECK(p.printed().rfind("Return-Path: <joe@host.example>\nDate: ", 0) == 0);
}

TEST_CASE("present fields are kept and not added", "[inject][prepare]") {
    auto p =
        prep("Date: yesterday\nMessage-ID: <x@y>\nFrom: ann@a.example\nTo: bob@b.example\n\nb\n");
    CHECK(p.message == "Date: yesterday\nMessage-ID: <x@y>\nFrom: ann@a.example\n"
                       "To: bob@b.example\n\nb\n");
    CHECK(p.envelope.recipients == std::vector<std::string>{"bob@b.example"});
}

TEST_CASE("Bcc, Resent-Bcc, Content-Length and Return-Path are deleted", "[inject][prepare]") {
    auto p = prep("To: a@x.example\nBcc: hidden@x.example\nContent-Length: 5\n"
                  "Return-Path: <bounce@r.example>\nApparently-To: app@x.example\n\nb\n");
    CHECK(p.message.find("Bcc") == std::string::npos);
    CHECK(p.message.find("Content-Length") == std::string::npos);
    CHECK(p.message.find("Return-Path") == std::string::npos);
    CHECK(p.message.find("Apparently-To: app@x.example\n") != std::string::npos);
    CHECK(p.envelope.sender == "bounce@r.example");
    CHECK(p.envelope.recipients ==
          std::vector<std::string>{"a@x.example", "hidden@x.example", "app@x.example"});
}

TEST_CASE("an Authentication-Results field with qmail-smtpd's authserv-id is removed - when "
          "the checks are on - others are kept",
          "[inject][prepare]") {
    const std::string in =
        "To: a@x.example\n"
        "Authentication-Results: MX.example; dmarc=pass header.from=bank.example\n"
        "Authentication-Results: (c)\n mx.example; dkim=pass\n"
        "Authentication-Results: other.example; spf=pass\n\nb\n";
    Settings s = settings();
    s.authserv_id = "mx.example";
    auto p = prep(in, {}, s);
    CHECK(p.message.find("bank.example") == std::string::npos);
    CHECK(p.message.find("dkim=pass") == std::string::npos);
    CHECK(p.message.find("Authentication-Results: other.example; spf=pass\n") != std::string::npos);
    // Without control/authcheck the name is nobody's: everything is kept.
    auto kept = prep(in);
    CHECK(kept.message.find("dmarc=pass header.from=bank.example") != std::string::npos);
    CHECK(kept.message.find(" mx.example; dkim=pass") != std::string::npos);
}

TEST_CASE("Return-Path gives the envelope sender unless -f or QMAILINJECT=s", "[inject][prepare]") {
    const std::string in = "Return-Path: <rp@r.example>\nReturn-Path: <second@r.example>\n";
    CHECK(prep(in).envelope.sender == "rp@r.example");
    CHECK(prep("Return-Path: <>\n").envelope.sender == "");
    CHECK(prep(in, args({"-f", "me@f.example"})).envelope.sender == "me@f.example");
    CHECK(prep(in, args({"-f", ""})).envelope.sender == "");
    CHECK(prep(in, args({"-fbox"})).envelope.sender == "box@host.example");
    Settings s = settings();
    s.flags = qm::inject::InjectFlags::parse("s");
    CHECK(prep(in, {}, s).envelope.sender == "joe@host.example");
}

TEST_CASE("recipient strategy -a -h -A -H", "[inject][prepare]") {
    const std::string in = "To: t@x.example\nCc: c@x.example\n\nb\n";
    CHECK(prep(in).envelope.recipients == std::vector<std::string>{"t@x.example", "c@x.example"});
    CHECK(prep(in, args({"arg@y.example"})).envelope.recipients ==
          std::vector<std::string>{"arg@y.example"});
    CHECK(prep(in, args({"-a"})).envelope.recipients.empty());
    CHECK(prep(in, args({"-h", "arg@y.example"})).envelope.recipients ==
          std::vector<std::string>{"t@x.example", "c@x.example"});
    CHECK(prep(in, args({"-H", "arg@y.example"})).envelope.recipients ==
          std::vector<std::string>{"arg@y.example", "t@x.example", "c@x.example"});
    CHECK(prep(in, args({"-hA", "arg"})).envelope.recipients ==
          std::vector<std::string>{"arg@host.example"});
}

TEST_CASE("recipient fields are rewritten", "[inject][prepare]") {
    auto p = prep("To: djb fred, \"Joe\" <joe@silverton>, <@r:x@y.z>, <>, v@[]\n");
    CHECK(p.message.find("To: djb@host.example, fred@host.example, \"Joe\" "
                         "<joe@silverton.dom.example>,\n  <x@y.z>, <>, v@[]\n") !=
          std::string::npos);
    CHECK(p.envelope.recipients == std::vector<std::string>{"djb@host.example", "fred@host.example",
                                                            "joe@silverton.dom.example", "x@y.z",
                                                            "v@[]"});
}

TEST_CASE("an unparseable To is passed on, an unparseable From is fatal", "[inject][prepare]") {
    auto p = prep("To: a@b>\nCc: ok@c.example\n", args({"-h"}));
    CHECK(p.message.find("To: a@b>\n") != std::string::npos);
    // The address the right-to-left scan met before the stray '>' is a recipient, as in
    // qmail (its rewriting callback had taken it), rewritten like any other.
    CHECK(p.envelope.recipients == std::vector<std::string>{"a@b.dom.example", "ok@c.example"});
    auto bad = qm::inject::prepare("From: \"unterminated\n\nb\n", {}, settings());
    REQUIRE_FALSE(bad);
    CHECK(bad.error().permanent());
    CHECK(bad.error().text == "unable to parse this line: From: \"unterminated");
    auto bad_arg = qm::inject::prepare("", args({"joe@(x"}), settings());
    REQUIRE_FALSE(bad_arg);
    CHECK(bad_arg.error().permanent());
}

TEST_CASE("From from the environment: name, comment style, host", "[inject][prepare]") {
    Settings s = settings();
    s.fullname = "Joe \"J\" Q";
    CHECK(prep("", {}, s).message.find("From: \"Joe \\\"J\\\" Q\" <joe@host.example>\n") !=
          std::string::npos);
    s.flags = qm::inject::InjectFlags::parse("c");
    // Inside comments qmail escapes quotes as well.
    CHECK(prep("", {}, s).message.find("From: joe@host.example (Joe \\\"J\\\" Q)\n") !=
          std::string::npos);
    s.host = "mail";
    s.sender_host = "bounces.example";
    auto p = prep("", {}, s);
    CHECK(p.message.find("From: joe@mail.dom.example (Joe") != std::string::npos);
    CHECK(p.envelope.sender == "joe@bounces.example");
    s.user = "joe smith";
    s.sender_user = "b";
    CHECK(prep("", {}, s).message.find("From: \"joe smith\"@mail.dom.example") !=
          std::string::npos);
}

TEST_CASE("QMAILINJECT f and i delete From and Message-ID", "[inject][prepare]") {
    Settings s = settings();
    s.flags = qm::inject::InjectFlags::parse("fi");
    auto p = prep("From: evil@x.example\nMessage-ID: <old@x>\nTo: a@b.example\n", {}, s);
    CHECK(p.message.find("evil") == std::string::npos);
    CHECK(p.message.find("<old@x>") == std::string::npos);
    CHECK(p.message.find("From: joe@host.example\n") != std::string::npos);
    CHECK(p.message.find("Message-ID: <19950926044654.4242.qmail@id.example>\n") !=
          std::string::npos);
}

TEST_CASE("VERP senders: r per recipient, m per message", "[inject][prepare]") {
    Settings s = settings();
    s.flags = qm::inject::InjectFlags::parse("r");
    CHECK(prep("", {}, s).envelope.sender == "joe-@host.example-@[]");
    CHECK(prep("Return-Path: <list@l.example>\n", {}, s).envelope.sender == "list@l.example-@[]");
    CHECK(prep("", args({"-f", "x@y.example"}), s).envelope.sender == "x@y.example");
    s.flags = qm::inject::InjectFlags::parse("m");
    CHECK(prep("", {}, s).envelope.sender == "joe-812090814.4242@host.example");
    s.flags = qm::inject::InjectFlags::parse("mr");
    CHECK(prep("", {}, s).envelope.sender == "joe-812090814.4242-@host.example-@[]");
}

TEST_CASE("resent messages get Resent- fields and Resent- recipients", "[inject][prepare]") {
    auto p = prep("From: orig@o.example\nTo: old@o.example\nDate: then\nMessage-ID: <m@o>\n"
                  "Resent-To: new@n.example\nResent-Bcc: hid@n.example\n\nbody\n");
    CHECK(p.message == "Resent-Date: 26 Sep 1995 04:46:54 -0000\n"
                       "Resent-Message-ID: <19950926044654.4242.qmail@id.example>\n"
                       "Resent-From: joe@host.example\n"
                       "From: orig@o.example\nTo: old@o.example\nDate: then\nMessage-ID: <m@o>\n"
                       "Resent-To: new@n.example\n\nbody\n");
    CHECK(p.envelope.recipients == std::vector<std::string>{"new@n.example", "hid@n.example"});
    auto q = prep("Resent-From: me@m.example\nSubject: x\n");
    CHECK(q.message.find("Resent-Cc: recipient list not shown: ;\n") != std::string::npos);
    CHECK(q.message.find("\nCc: recipient") == std::string::npos);
    CHECK(q.message.find("\nDate:") == std::string::npos);
    CHECK(q.message.rfind("Resent-Date:", 0) == 0);
}

TEST_CASE("Mail-Followup-To when To/Cc names a list from QMAILMFTFILE", "[inject][prepare]") {
    Settings s = settings();
    s.mft = std::vector<std::string>{"list@lists.example"};
    auto p = prep("To: ann@a.example, List@Lists.Example\nCc: bob@b.example\n\nb\n", {}, s);
    CHECK(p.message.find("Mail-Followup-To: ann@a.example,\n  List@Lists.Example,\n"
                         "  bob@b.example\nTo: ") != std::string::npos);
    CHECK(prep("To: ann@a.example\n", {}, s).message.find("Mail-Followup-To") == std::string::npos);
    auto kept = prep("To: list@lists.example\nMail-Followup-To: x@y.example\n", {}, s);
    CHECK(kept.message.find("Mail-Followup-To: x@y.example\n") != std::string::npos);
    CHECK(kept.message.find("Mail-Followup-To:", kept.message.find("Mail-Followup-To:") + 1) ==
          std::string::npos);
}

TEST_CASE("bytes pass through: NUL in the body, long lines, no final newline",
          "[inject][prepare]") {
    std::string body = std::string("a\0b", 3) + std::string(200000, 'x');
    auto p = prep("To: a@b.example\nX-Long: " + std::string(5000, 'y') + "\n\n" + body);
    CHECK(p.message.size() > body.size());
    CHECK(p.message.substr(p.message.size() - body.size() - 1) == body + "\n");
    CHECK(p.message.find("X-Long: " + std::string(5000, 'y') + "\n") != std::string::npos);
    auto nul = qm::inject::prepare(std::string("To: a\0b@x\n", 10), {}, settings());
    REQUIRE_FALSE(nul);
    CHECK(nul.error().permanent());
}

TEST_CASE("parse_args", "[inject][args]") {
    auto o = args({"-nH", "-fme@x", "--", "-a", "b"});
    CHECK_FALSE(o.queue);
    CHECK(o.source == RecipientSource::both);
    CHECK(o.sender == "me@x");
    CHECK(o.recipients == std::vector<std::string>{"-a", "b"});
    CHECK(args({"-n", "-N"}).queue);
    CHECK(args({"a", "-h"}).recipients == std::vector<std::string>{"a", "-h"});
    for (std::vector<std::string> bad : {std::vector<std::string>{"-x"}, {"-f"}, {"-nq"}}) {
        auto r = qm::inject::parse_args(bad);
        REQUIRE_FALSE(r);
        CHECK(r.error().permanent());
    }
}

TEST_CASE("a bare CR in the header is a space: it cannot add a header field", "[inject][prepare]") {
    auto p = prep("To: a@x.example\nSubject: a\rBcc: hidden@x.example\n\nbody\rline\n");
    CHECK(p.message.find("\nSubject: a Bcc: hidden@x.example\n\nbody\rline\n") !=
          std::string::npos);
    CHECK(p.envelope.recipients == std::vector<std::string>{"a@x.example"});
}
