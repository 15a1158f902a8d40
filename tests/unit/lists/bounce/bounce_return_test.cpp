#include "../make_request.hpp"
#include "bounce_samples.hpp"
#include "qm/lists/bounce/bounce_return.hpp"
#include "qm/lists/bounce/bounce_store.hpp"
#include "qm/lists/bounce/bounce_warn.hpp"
#include "qm/lists/core/cookie.hpp"
#include "qm/lists/core/subscribers.hpp"
#include "qm/lists/manage/make.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <filesystem>

namespace fs = std::filesystem;
namespace b = qmtest::bounces;

namespace {

constexpr std::time_t t0 = 1'700'000'000;

struct List {
    qmtest::TempDir tmp;
    std::string dir = tmp / "team";
    List() {
        REQUIRE(qm::lists::make_list(liststest::new_list(tmp, "/nonexistent", "team")));
        REQUIRE(*qm::lists::subscribe(dir, "reader@far.example"));
    }
    qm::Result<qm::lists::ReturnOutcome>
    bounce(const std::string& action, const std::string& message, std::time_t now = t0) const {
        return qm::lists::handle_return({dir, false, action, "", message, now});
    }
    [[nodiscard]] std::vector<std::string> kept(char kind) const {
        return qmtest::bounces::kept_bounces(dir, kind);
    }
    [[nodiscard]] std::string history() const {
        auto h = qm::lists::bounce_history_path(dir, "reader@far.example");
        return fs::exists(h) ? qmtest::slurp(h) : std::string{};
    }
    [[nodiscard]] std::string cookie_address(const std::string& kind, std::time_t when,
                                             qm::lists::CookieAction action) const {
        auto key = qm::lists::read_list_key(dir);
        REQUIRE(key);
        return kind + "-" + std::to_string(when) + "." +
               qm::lists::make_cookie(*key, qm::lists::CookieScope::main, when,
                                      "reader@far.example", action) +
               "-reader=far.example";
    }
};

const std::string verp = "team-return-3-reader=far.example@lists.example";

} // namespace

TEST_CASE("ezmlm-return keeps the first counting bounce and the history of numbers",
          "[lists][bounce]") {
    List l;
    auto r = l.bounce("3-reader=far.example", b::postfix_user_unknown("reader@far.example", verp));
    REQUIRE(r);
    REQUIRE(l.kept('d').size() == 1);
    const std::string d = l.kept('d')[0];
    CHECK(d.find("/bounce/d/170000/d0.") != std::string::npos);
    CHECK(qmtest::slurp(d).starts_with(std::string("reader@far.example") + '\0' +
                                       "Return-Path: <>\nReturn-Path: <>\nDate:"));
    struct stat st {};
    REQUIRE(::stat(d.c_str(), &st) == 0);
    CHECK(st.st_mtime == t0); // the list clock, not the wall clock
    CHECK(l.history() == "   3\n");
    // A later bounce only adds its number.
    REQUIRE(l.bounce("4-reader=far.example", b::postfix_user_unknown("reader@far.example", verp),
                     t0 + 100));
    CHECK(l.kept('d').size() == 1);
    CHECK(l.history() == "   3\n   4\n");
    CHECK(r->events.at(0).find("message 3 bounced for reader@far.example: address 5.1.1") !=
          std::string::npos);
}

TEST_CASE("ezmlm-return records nothing for non-subscribers or uncounted failures",
          "[lists][bounce]") {
    List l;
    REQUIRE(l.bounce("3-other=far.example", b::postfix_user_unknown("other@far.example", verp)));
    REQUIRE(l.bounce("3-reader=far.example", b::gmail_dmarc_reject("reader@far.example", verp)));
    REQUIRE(l.bounce("3-reader=far.example", b::exim_mailbox_full("reader@far.example", verp)));
    CHECK(l.kept('d').empty());
    CHECK(l.history().empty());
    auto u = qmtest::slurp(l.dir + "/bounce/uncounted");
    CHECK(u.find("1700000000 policy 3 reader@far.example 5.7.26 550-5.7.26 Unauthenticated") !=
          std::string::npos);
    CHECK(u.find("1700000000 transient 3 reader@far.example 4.2.2 452 4.2.2 Mailbox full\n") !=
          std::string::npos);
    CHECK(u.find("other@") == std::string::npos);
}

TEST_CASE("ezmlm-return reads the recipients of a bounce without VERP", "[lists][bounce]") {
    List l;
    REQUIRE(*qm::lists::subscribe(l.dir, "two@far.example"));
    std::string m = b::qsbmf("reader@far.example", "team-return-3-@lists.example",
                             "Sorry, no mailbox here by that name. (#5.1.1)");
    m.insert(m.find("--- Below this line"), "<two@far.example>:\nNo such user (#5.1.1)\n\n"
                                            "<stranger@far.example>:\nNo such user (#5.1.1)\n\n");
    REQUIRE(l.bounce("3-", m));
    auto d = l.kept('d');
    REQUIRE(d.size() == 2);
    std::string both = qmtest::slurp(d[0]) + qmtest::slurp(d[1]);
    // Each keeps the intro and its own paragraph only.
    CHECK(both.find("Hi. This is the qmail-send program") != std::string::npos);
    CHECK(both.find("<reader@far.example>:\nSorry") != std::string::npos);
    CHECK(both.find("<two@far.example>:\nNo such user") != std::string::npos);
    CHECK(both.find("stranger") == std::string::npos);
    CHECK(l.history() == "   3\n");
}

TEST_CASE("ezmlm-return refuses addresses that are not the list's return addresses",
          "[lists][bounce]") {
    List l;
    auto bad = l.bounce("x-reader=far.example", "x");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().permanent());
    CHECK_FALSE(l.bounce("3-reader@far.example", "x"));
    // The list's own return address and a report naming nobody are trash, not errors.
    CHECK(l.bounce("", "anything"));
    CHECK(l.bounce("3-", "Subject: hi\n\nnot a report\n"));
}

TEST_CASE("warning and probe bounces need a fresh, genuine cookie", "[lists][bounce]") {
    List l;
    const auto dead = b::postfix_user_unknown("reader@far.example", verp);
    using qm::lists::CookieAction;
    // Forged: the probe's cookie in a warning address, a cookie of another address.
    auto forged = l.cookie_address("warn", t0, CookieAction::bounce_probe);
    REQUIRE(l.bounce(forged, dead, t0 + 10));
    CHECK(l.kept('w').empty());
    // From the future, and too old (3,000,000 s).
    REQUIRE(l.bounce(l.cookie_address("warn", t0, CookieAction::bounce_warning), dead, t0 - 1));
    REQUIRE(l.bounce(l.cookie_address("warn", t0, CookieAction::bounce_warning), dead,
                     t0 + qm::lists::bounce_cookie_lifetime + 1));
    CHECK(l.kept('w').empty());
    // Genuine: the w file.
    auto ok = l.bounce(l.cookie_address("warn", t0, CookieAction::bounce_warning), dead, t0 + 10);
    REQUIRE(ok);
    CHECK(l.kept('w').size() == 1);

    // A probe refused for policy removes nobody; a dead address is removed and logged.
    auto probe = l.cookie_address("probe", t0, CookieAction::bounce_probe);
    REQUIRE(l.bounce(probe, b::gmail_dmarc_reject("reader@far.example", verp), t0 + 20));
    CHECK(*qm::lists::is_subscriber(l.dir, "reader@far.example"));
    REQUIRE(l.bounce(probe, dead, t0 + 30));
    CHECK_FALSE(*qm::lists::is_subscriber(l.dir, "reader@far.example"));
    CHECK(qmtest::slurp(l.dir + "/Log") == "1700000030 -probe reader@far.example\n");
}

TEST_CASE("ezmlm-warn respects nowarn and its lockout", "[lists][bounce]") {
    List l;
    REQUIRE(l.bounce("3-reader=far.example", b::postfix_user_unknown("reader@far.example", verp)));
    qm::lists::WarnRequest w{l.dir, false, qm::lists::default_bounce_timeout, {}, t0 + 100};
    auto first = qm::lists::run_warn(w);
    REQUIRE(first);
    CHECK_FALSE(first->locked_out);
    CHECK(first->warnings == 0); // too young
    CHECK(qmtest::slurp(l.dir + "/bounce/lastd") == "1700000100\n");
    w.now += 60;
    auto again = qm::lists::run_warn(w);
    REQUIRE(again);
    CHECK(again->locked_out);
    qmtest::spit(l.dir + "/nowarn", "");
    w.now += 30 * 24 * 3600;
    auto off = qm::lists::run_warn(w);
    REQUIRE(off);
    CHECK(off->warnings == 0);
    CHECK(l.kept('d').size() == 1);
}

TEST_CASE("ezmlm-make runs ezmlm-warn from editor and manager unless -w", "[lists][bounce]") {
    qmtest::TempDir tmp;
    auto r = liststest::new_list(tmp, "/bin dir", "team");
    REQUIRE(qm::lists::make_list(r));
    const std::string warn = "|'/bin dir/ezmlm-warn' '" + r.dir + "' || exit 0\n";
    CHECK(qmtest::slurp(r.dir + "/editor").ends_with(warn));
    CHECK(qmtest::slurp(r.dir + "/manager").ends_with(warn));
    CHECK(qmtest::slurp(r.dir + "/bouncer") ==
          "|'/bin dir/ezmlm-weed'\n|'/bin dir/ezmlm-return' '" + r.dir + "'\n");
    r.edit = true;
    r.set['w'] = true;
    REQUIRE(qm::lists::make_list(r));
    CHECK(fs::exists(r.dir + "/nowarn"));
    CHECK(qmtest::slurp(r.dir + "/editor").find("ezmlm-warn") == std::string::npos);
    CHECK(qmtest::slurp(r.dir + "/manager").find("ezmlm-warn") == std::string::npos);
}
