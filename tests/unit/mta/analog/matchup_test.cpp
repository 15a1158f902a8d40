// matchup's lines from qmail-send's log lines, the timestamps it reads, its pending state,
// and the summaries' reports over its output.
#include "qm/analog/matchup.hpp"
#include "qm/analog/stamp.hpp"
#include "qm/analog/summary.hpp"

#include <catch2/catch.hpp>

namespace {

std::string run(qm::analog::Matchup& m, std::string_view log) {
    std::string out;
    size_t start = 0;
    for (size_t nl; (nl = log.find('\n', start)) != std::string_view::npos; start = nl + 1)
        m.line(log.substr(start, nl - start), out);
    return out;
}

std::string report(qm::analog::Report r, std::string_view matchup_output) {
    qm::analog::Summary s(r);
    size_t start = 0;
    for (size_t nl; (nl = matchup_output.find('\n', start)) != std::string_view::npos;
         start = nl + 1)
        s.line(matchup_output.substr(start, nl - start));
    return s.report();
}

// The figures of a report: what follows its explanation (the first line that is not prose).
std::string figures(const std::string& text, const std::string& first) {
    const auto at = text.find("\n" + first);
    REQUIRE(at != std::string::npos);
    return text.substr(at + 1);
}

} // namespace

TEST_CASE("matchup reads multilog's TAI64N labels, accustamp's seconds, journalctl and splogger "
          "lines",
          "[analog]") {
    using qm::analog::split_stamp;
    using qm::analog::tai64n_seconds;
    // 2^62 + 10 + 1000000000 seconds, 5 ns.
    CHECK(tai64n_seconds("@400000003b9aca0a00000005") == "1000000000.000000005");
    CHECK(tai64n_seconds("@400000000000000a00000000") == "0.000000000");
    CHECK_FALSE(tai64n_seconds("@4000000000000009000000000")); // 25 digits
    CHECK_FALSE(tai64n_seconds("@400000000000000900000000"));  // before 1970
    CHECK_FALSE(tai64n_seconds("@40000000000000zz00000000"));
    CHECK_FALSE(tai64n_seconds("@400000003b9aca0a3b9aca00")); // 10^9 ns
    auto s = split_stamp("@400000003b9aca0a00000005 new msg 5");
    REQUIRE(s);
    CHECK(s->when == "1000000000.000000005");
    CHECK(s->text == "new msg 5");
    s = split_stamp("1733499012.123456 end msg 7");
    REQUIRE(s);
    CHECK(s->when == "1733499012.123456");
    CHECK(s->text == "end msg 7");
    // journalctl -o short-unix: host and tag[pid] go.
    s = split_stamp("1733499012.123456 mx qmail-send[812]: delivery 5: success: ok/");
    REQUIRE(s);
    CHECK(s->text == "delivery 5: success: ok/");
    // An event whose second word ends in a colon is not taken for a host and a tag.
    s = split_stamp("1733499012 delivery 5: success: ok/");
    REQUIRE(s);
    CHECK(s->text == "delivery 5: success: ok/");
    // syslog holding splogger's line, with splogger's own stamp.
    s = split_stamp("Dec  6 15:00:00 mx qmail: 1733499012.5 new msg 9");
    REQUIRE(s);
    CHECK(s->when == "1733499012.5");
    CHECK(s->text == "new msg 9");
    CHECK_FALSE(split_stamp("new msg 9"));
    CHECK_FALSE(split_stamp("12x new msg 9"));
    CHECK_FALSE(split_stamp("1733499012. new msg 9"));
    CHECK_FALSE(split_stamp(""));
}

TEST_CASE("matchup writes a message line and a line per delivery attempt as qmail's does",
          "[analog]") {
    qm::analog::Matchup m;
    const std::string out =
        run(m, "100 new msg 11\n"
               "100 info msg 11: bytes 300 from <Joe@X.Example> qp 77 uid 1000\n"
               "101 starting delivery 1: msg 11 to remote Ann@Y.Example\n"
               "102 starting delivery 2: msg 11 to local bob@x.example\n"
               "102.5 delivery 2: success: did_1+0+0/\n"
               "103 status: local 0/10 remote 1/20\n"
               "160 delivery 1: deferral: Connection_refused/\n"
               "200 starting delivery 3: msg 11 to remote ann@y.example\n"
               "201 delivery 3: failure: 550_no/\n"
               "202 bounce msg 11 qp 78\n"
               "203 end msg 11\n"
               "204 warning: trouble opening local/1/11\n"
               "205 starting delivery 9: msg 12 to local c@x.example\n"
               "206 delivery 9: success: ok/\n"
               "207 delivery 10: success: never_started/\n"
               "208 alert: oh\n");
    // K D Z in that order (qmail's matchup writes and its zoverall reads them so), sender
    // and recipient lowercased, the reason's first word.
    CHECK(out == "d k 100 102 102.5 300 <joe@x.example> local.bob@x.example 77 1000 did_1+0+0/\n"
                 "d z 100 101 160 300 <joe@x.example> remote.ann@y.example 77 1000 "
                 "Connection_refused/\n"
                 "d d 100 200 201 300 <joe@x.example> remote.ann@y.example 77 1000 550_no/\n"
                 "? 202 bounce msg 11 qp 78\n"
                 "m 100 203 300 1 1 1 <joe@x.example> 77 1000\n"
                 "204 warning: trouble opening local/1/11\n"
                 // A delivery of a message matchup never saw the information of.
                 "d k 205 205 206 0 ? local.c@x.example ? ? ok/\n"
                 "208 alert: oh\n");
    CHECK(m.pending().empty());
    CHECK(m.pending_messages() == 0);
}

TEST_CASE("matchup's pending state carries a message and a delivery into the next log",
          "[analog]") {
    qm::analog::Matchup first;
    const std::string before =
        run(first, "@400000003b9aca0a00000005 info msg 5: bytes 10 from <a@b> qp 1 uid 2\n"
                   "1000000001 starting delivery 1: msg 5 to remote x@y\n"
                   "1000000002 delivery 1: deferral: later/\n"
                   "1000000003 starting delivery 2: msg 5 to remote x@y\n");
    CHECK(before == "d z 1000000000.000000005 1000000001 1000000002 10 <a@b> remote.x@y 1 2 "
                    "later/\n");
    first.unfinished("1000000004 delivery 2: succ");
    const std::string state = first.pending();
    CHECK(state == "1000000000.000000005 info msg 5: bytes 10 from <a@b> qp 1 uid 2\n"
                   "1000000000.000000005 extra 5 0 1 0\n"
                   "1000000003 starting delivery 2: msg 5 to remote x@y\n"
                   "1000000004 delivery 2: succ");
    // The next log continues the unfinished line, as a log being written does.
    qm::analog::Matchup next;
    const std::string after = run(next, state + "ess: ok/\n1000000005 end msg 5\n");
    CHECK(after == "d k 1000000000.000000005 1000000003 1000000004 10 <a@b> remote.x@y 1 2 ok/\n"
                   "m 1000000000.000000005 1000000005 10 1 0 1 <a@b> 1 2\n");
    CHECK(next.pending().empty());
}

TEST_CASE("matchup forgets a message whose inode is reused and the deliveries of a restarted "
          "qmail-send",
          "[analog]") {
    qm::analog::Matchup m;
    CHECK(run(m, "1 info msg 5: bytes 10 from <a@b> qp 1 uid 2\n"
                 "2 starting delivery 1: msg 5 to local x@y\n"
                 "3 new msg 5\n"
                 "4 running\n"
                 "5 end msg 5\n"
                 "6 delivery 1: success: ok/\n"
                 // Too short to be an info line: kept as unknown, not half-read.
                 "7 info msg 6: bytes 1\n") == "? 7 info msg 6: bytes 1\n");
    CHECK(m.pending().empty());
}

TEST_CASE("zoverall, zfailures, zdeferrals, zrecipients and zsenders report matchup's lines",
          "[analog]") {
    const std::string lines = "m 100 110 1000 2 1 1 <a@x> 7 500\n"
                              "d k 100 101 103 1000 <a@x> local.b@x 7 500 ok/\n"
                              "d k 100 102 104 1000 <a@x> remote.c@y 7 500 250_ok/\n"
                              "d z 100 101 105 1000 <a@x> remote.d@z 7 500 Connection_refused/\n"
                              "d d 100 106 110 1000 <a@x> remote.d@z 7 500 550_no_such_user/\n"
                              "m 200 201 50 1 0 0 <> 8 0\n"
                              "d k 200 200.5 201 50 <> local.a@x 8 0 ok/\n"
                              "? 202 bounce msg 1 qp 2\n";
    CHECK(figures(report(qm::analog::Report::overall, lines), "Completed") ==
          "Completed messages: 2\n"
          "Recipients for completed messages: 4\n"
          "Total delivery attempts for completed messages: 5\n"
          "Average delivery attempts per completed message: 2.5\n"
          "Bytes in completed messages: 1050\n"
          "Bytes weighted by success: 2050\n"
          "Average message qtime (s): 5.5\n"
          "\n"
          "Total delivery attempts: 5\n"
          "  success: 3\n"
          "  failure: 1\n"
          "  deferral: 1\n"
          "Total ddelay (s): 8.000000\n"
          "Average ddelay per success (s): 2.666667\n"
          "Total xdelay (s): 12.500000\n"
          "Average xdelay per delivery attempt (s): 2.500000\n"
          "Time span (days): 0.00116898\n"
          "Average concurrency: 0.123762\n");
    CHECK(figures(report(qm::analog::Report::failures, lines), "del ") ==
          "del xdelay reason\n"
          "  1   4.00 550 no such user/\n");
    CHECK(figures(report(qm::analog::Report::deferrals, lines), "del ") ==
          "del xdelay reason\n"
          "  1   4.00 Connection refused/\n");
    // Least time first; columns right-aligned but the name.
    CHECK(figures(report(qm::analog::Report::recipients, lines), "sbytes ") ==
          "sbytes mess tries xdelay recipient\n"
          "    50    1     1   0.50 local.a@x\n"
          "  1000    1     1   2.00 local.b@x\n"
          "  1000    1     1   2.00 remote.c@y\n"
          "     0    1     2   8.00 remote.d@z\n");
    CHECK(figures(report(qm::analog::Report::senders, lines), "mess ") ==
          "mess bytes sbytes rbytes recips tries    xdelay sender\n"
          "   1    50     50     50      1     1  0.500000 0/<>\n"
          "   1  1000   2000   3000      3     4 12.000000 500/<a@x>\n");
    // Nothing to report: the headers alone.
    CHECK(figures(report(qm::analog::Report::overall, ""), "Completed") ==
          "Completed messages: 0\n\nTotal delivery attempts: 0\n");
}
