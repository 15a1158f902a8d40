#include "qm/lists/core/subscription_log.hpp"
#include "qm/lists/manage/manage.hpp"

#include <catch2/catch.hpp>

using namespace qm::lists;

namespace {

ManageFacts facts_for(const std::string& target = "joe@far.example") {
    ManageFacts f;
    f.sender = "joe@far.example";
    f.target = target;
    f.key = "list secret";
    f.now = 1'700'000'000;
    return f;
}

ManageRequest confirm(CookieAction action, const ManageFacts& f, std::time_t when,
                      CookieScope scope = CookieScope::main, std::string_view subject = {}) {
    ManageRequest r;
    r.verb = ManageVerb::confirm;
    r.scope = scope;
    r.confirm_action = action;
    r.confirmation = Confirmation{
        when, make_cookie(f.key, scope, when, subject.empty() ? f.target : subject, action)};
    r.target = f.target;
    return r;
}

} // namespace

TEST_CASE("DEFAULT is read into a verb, a scope and a target", "[lists][manage]") {
    auto r = parse_manage_request("subscribe");
    CHECK(r.verb == ManageVerb::subscribe);
    CHECK(r.scope == CookieScope::main);
    CHECK_FALSE(r.target);
    CHECK_FALSE(r.bad_target);

    r = parse_manage_request("UnSubscribe-Joe.Smith=Far.Example");
    CHECK(r.verb == ManageVerb::unsubscribe);
    CHECK(r.target == "Joe.Smith@Far.Example");

    r = parse_manage_request("digest-sc.1700000000.kpjgaoohbkefgcnmdjlb-a-b=x.example");
    CHECK(r.verb == ManageVerb::confirm);
    CHECK(r.scope == CookieScope::digest);
    CHECK(r.confirm_action == CookieAction::subscribe_confirm);
    REQUIRE(r.confirmation);
    CHECK(r.confirmation->when == 1'700'000'000);
    CHECK(r.confirmation->cookie == "kpjgaoohbkefgcnmdjlb");
    CHECK(r.target == "a-b@x.example");

    for (auto [text, action] :
         {std::pair<const char*, CookieAction>{"tc", CookieAction::subscribe_moderate},
          {"rc", CookieAction::subscribe_remote},
          {"uc", CookieAction::unsubscribe_confirm},
          {"vc", CookieAction::unsubscribe_moderate},
          {"wc", CookieAction::unsubscribe_remote}}) {
        r = parse_manage_request(std::string(text) + ".1.kpjgaoohbkefgcnmdjlb-a=x.example");
        CHECK(r.verb == ManageVerb::confirm);
        CHECK(r.confirm_action == action);
    }
    // A mangled cookie part is still a confirmation, with no cookie: a bad one.
    r = parse_manage_request("sc.junk-a=x.example");
    CHECK(r.verb == ManageVerb::confirm);
    CHECK_FALSE(r.confirmation);

    CHECK(parse_manage_request("allow-subscribe").scope == CookieScope::allow);
    CHECK(parse_manage_request("deny-unsubscribe-a=x.example").scope == CookieScope::deny);
    CHECK(parse_manage_request("help").verb == ManageVerb::help);
    CHECK(parse_manage_request("info").verb == ManageVerb::info);
    CHECK(parse_manage_request("faq").verb == ManageVerb::faq);
    CHECK(parse_manage_request("query").verb == ManageVerb::query);
    CHECK(parse_manage_request("list").verb == ManageVerb::list);
    CHECK(parse_manage_request("listn").verb == ManageVerb::listn);
    r = parse_manage_request("log.Joe");
    CHECK(r.verb == ManageVerb::log);
    CHECK(r.log_filter == "Joe");
    CHECK(parse_manage_request("log").log_filter.empty());
    for (const char* unknown : {"", "get.12", "subscribex", "xc.1.kpjgaoohbkefgcnmdjlb", "digest"})
        CHECK(parse_manage_request(unknown).verb == ManageVerb::unknown);
}

TEST_CASE("targets with tricks in them are marked bad, never guessed at", "[lists][manage]") {
    for (const char* bad : {"subscribe-evil@x=example.org", "subscribe-\"a b\"=example.org",
                            "subscribe-joe=far.example\nBcc: x", "subscribe-", "subscribe-joe",
                            "subscribe-joe=far.example,eve=evil.example"}) {
        INFO(bad);
        auto r = parse_manage_request(bad);
        CHECK(r.bad_target);
        CHECK_FALSE(r.target);
        CHECK(decide_manage(r, {}, facts_for()).step == ManageStep::refuse);
    }
}

TEST_CASE("subscribe asks the target, never the sender, to confirm", "[lists][manage]") {
    ManagePolicy p;
    auto d = decide_manage(parse_manage_request("subscribe"), p, facts_for());
    CHECK(d.step == ManageStep::request);
    CHECK(d.request_action == CookieAction::subscribe_confirm);
    CHECK(d.audience == Audience::target);
    // For someone else: the request still goes to that someone, even with nosubconfirm.
    p.nosubconfirm = true;
    d = decide_manage(parse_manage_request("subscribe-ann=x.example"), p,
                      facts_for("ann@x.example"));
    CHECK(d.step == ManageStep::request);
    CHECK(d.audience == Audience::target);
    // nosubconfirm for the sender itself: at once.
    d = decide_manage(parse_manage_request("subscribe"), p, facts_for());
    CHECK(d.step == ManageStep::subscribe_now);
    CHECK_FALSE(d.by_moderator);
    // ... or, with modsub, to the moderators.
    p.modsub = true;
    d = decide_manage(parse_manage_request("subscribe"), p, facts_for());
    CHECK(d.step == ManageStep::request);
    CHECK(d.request_action == CookieAction::subscribe_moderate);
    CHECK(d.audience == Audience::moderators);
}

TEST_CASE("unsubscribe confirmations go to the address being removed", "[lists][manage]") {
    ManagePolicy p;
    p.nounsubconfirm = true;
    auto d = decide_manage(parse_manage_request("unsubscribe-ann=x.example"), p,
                           facts_for("ann@x.example"));
    CHECK(d.step == ManageStep::request);
    CHECK(d.request_action == CookieAction::unsubscribe_confirm);
    CHECK(d.audience == Audience::target);
    d = decide_manage(parse_manage_request("unsubscribe"), p, facts_for());
    CHECK(d.step == ManageStep::unsubscribe_now);
}

TEST_CASE("a confirmation works only with a valid, fresh cookie for that very address",
          "[lists][manage]") {
    ManagePolicy p;
    auto f = facts_for();
    auto d = decide_manage(confirm(CookieAction::subscribe_confirm, f, f.now - 60), p, f);
    CHECK(d.step == ManageStep::subscribe_now);

    // Expired (older than 1,000,000 s), from the future, forged, for another address, of
    // another scope, of another action: a fresh request to the target instead.
    std::vector<ManageRequest> bad = {
        confirm(CookieAction::subscribe_confirm, f, f.now - 1'000'001),
        confirm(CookieAction::subscribe_confirm, f, f.now + 10),
        confirm(CookieAction::subscribe_confirm, f, f.now - 60, CookieScope::main, "ann@x.example"),
    };
    auto other_scope = confirm(CookieAction::subscribe_confirm, f, f.now - 60, CookieScope::digest);
    other_scope.scope = CookieScope::main;
    bad.push_back(other_scope);
    auto forged = confirm(CookieAction::subscribe_confirm, f, f.now - 60);
    forged.confirmation->cookie = "aaaaaaaaaaaaaaaaaaaa";
    bad.push_back(forged);
    auto other_action = confirm(CookieAction::unsubscribe_confirm, f, f.now - 60);
    other_action.confirm_action = CookieAction::subscribe_confirm;
    bad.push_back(other_action);
    auto no_cookie = confirm(CookieAction::subscribe_confirm, f, f.now - 60);
    no_cookie.confirmation.reset();
    bad.push_back(no_cookie);
    for (const auto& r : bad) {
        d = decide_manage(r, p, f);
        CHECK(d.step == ManageStep::bad_cookie);
        CHECK(d.request_action == CookieAction::subscribe_confirm);
        CHECK(d.audience == Audience::target);
    }
    // The digest scope's own cookie works there.
    d = decide_manage(confirm(CookieAction::subscribe_confirm, f, f.now - 60, CookieScope::digest),
                      p, f);
    CHECK(d.step == ManageStep::subscribe_now);
    // A list without a key never accepts a cookie.
    auto keyless = f;
    keyless.key.clear();
    CHECK(decide_manage(confirm(CookieAction::subscribe_confirm, f, f.now - 60), p, keyless).step ==
          ManageStep::bad_cookie);
}

TEST_CASE("modsub: a confirmed subscription waits for a moderator's tc", "[lists][manage]") {
    ManagePolicy p;
    p.modsub = true;
    auto f = facts_for();
    auto d = decide_manage(confirm(CookieAction::subscribe_confirm, f, f.now), p, f);
    CHECK(d.step == ManageStep::request);
    CHECK(d.request_action == CookieAction::subscribe_moderate);
    CHECK(d.audience == Audience::moderators);

    auto mod = facts_for("joe@far.example");
    mod.sender = "mod@lists.example";
    d = decide_manage(confirm(CookieAction::subscribe_moderate, mod, mod.now), p, mod);
    CHECK(d.step == ManageStep::subscribe_now);
    CHECK(d.by_moderator);
    // A bad tc from a stranger is refused; from a moderator it is renewed to him.
    auto bad = confirm(CookieAction::subscribe_moderate, mod, mod.now - 2'000'000);
    CHECK(decide_manage(bad, p, mod).step == ManageStep::refuse);
    mod.sender_is_moderator = true;
    d = decide_manage(bad, p, mod);
    CHECK(d.step == ManageStep::bad_cookie);
    CHECK(d.audience == Audience::sender);
    // -m: unsubscriptions are moderated too.
    p.unsubscribe_moderated = true;
    d = decide_manage(confirm(CookieAction::unsubscribe_confirm, f, f.now), p, f);
    CHECK(d.request_action == CookieAction::unsubscribe_moderate);
    CHECK(d.audience == Audience::moderators);
}

TEST_CASE("remote admins get rc / wc confirmations themselves", "[lists][manage]") {
    ManagePolicy p;
    p.remote = true;
    auto f = facts_for("ann@x.example");
    f.sender = "mod@lists.example";
    // Not a moderator: the request goes to ann, as anyone's would.
    auto d = decide_manage(parse_manage_request("subscribe-ann=x.example"), p, f);
    CHECK(d.request_action == CookieAction::subscribe_confirm);
    CHECK(d.audience == Audience::target);
    f.sender_is_moderator = true;
    d = decide_manage(parse_manage_request("subscribe-ann=x.example"), p, f);
    CHECK(d.request_action == CookieAction::subscribe_remote);
    CHECK(d.audience == Audience::sender);
    d = decide_manage(parse_manage_request("unsubscribe-ann=x.example"), p, f);
    CHECK(d.request_action == CookieAction::unsubscribe_remote);
    d = decide_manage(confirm(CookieAction::subscribe_remote, f, f.now), p, f);
    CHECK(d.step == ManageStep::subscribe_now);
    CHECK(d.by_moderator);
    d = decide_manage(confirm(CookieAction::unsubscribe_remote, f, f.now), p, f);
    CHECK(d.step == ManageStep::unsubscribe_now);
    // Only remote admins touch deny/, and a closed list answers only them.
    auto stranger = facts_for();
    CHECK(
        decide_manage(parse_manage_request("deny-subscribe-eve=evil.example"), p, stranger).step ==
        ManageStep::refuse);
    CHECK(decide_manage(parse_manage_request("deny-subscribe-eve=evil.example"), p, f).step ==
          ManageStep::request);
    p.is_public = false;
    CHECK(decide_manage(parse_manage_request("subscribe"), p, stranger).step == ManageStep::refuse);
    CHECK(decide_manage(parse_manage_request("help"), p, stranger).step == ManageStep::help);
    CHECK(decide_manage(parse_manage_request("subscribe-ann=x.example"), p, f).step ==
          ManageStep::request);
}

TEST_CASE("list, listn and log are for moderators of lists that offer them", "[lists][manage]") {
    ManagePolicy p;
    auto f = facts_for();
    CHECK(decide_manage(parse_manage_request("list"), p, f).step == ManageStep::refuse);
    p.modcanlist = true;
    p.modsub = true;
    CHECK(decide_manage(parse_manage_request("list"), p, f).step == ManageStep::refuse);
    f.target_is_moderator = true;
    CHECK(decide_manage(parse_manage_request("list"), p, f).step == ManageStep::list);
    CHECK(decide_manage(parse_manage_request("listn"), p, f).step == ManageStep::listn);
    // log needs remote as well (ezmlm).
    CHECK(decide_manage(parse_manage_request("log"), p, f).step == ManageStep::refuse);
    p.remote = true;
    CHECK(decide_manage(parse_manage_request("log"), p, f).step == ManageStep::log);
}

TEST_CASE("unknown commands get help, and info, faq and query their own replies",
          "[lists][manage]") {
    ManagePolicy p;
    CHECK(decide_manage(parse_manage_request("frobnicate"), p, facts_for()).step ==
          ManageStep::help);
    CHECK(decide_manage(parse_manage_request("info"), p, facts_for()).step == ManageStep::info);
    CHECK(decide_manage(parse_manage_request("faq"), p, facts_for()).step == ManageStep::faq);
    CHECK(decide_manage(parse_manage_request("query"), p, facts_for()).step == ManageStep::query);
}

TEST_CASE("scopes have their own database, addresses and verbs", "[lists][manage]") {
    CHECK(scope_database("/l", CookieScope::main) == "/l");
    CHECK(scope_database("/l", CookieScope::digest) == "/l/digest");
    CHECK(scope_database("/l", CookieScope::allow) == "/l/allow");
    CHECK(scope_database("/l", CookieScope::deny) == "/l/deny");
    CHECK(scope_outlocal("team", CookieScope::digest) == "team-digest");
    CHECK(confirm_verb(CookieAction::subscribe_confirm) == "sc");
    CHECK(confirm_verb(CookieAction::unsubscribe_remote) == "wc");
}

TEST_CASE("Log lines have ezmlm's shape", "[lists][manage]") {
    CHECK(format_log_line(1'700'000'000, "+", "joe@far.example") ==
          "1700000000 + joe@far.example\n");
    CHECK(format_log_line(1'700'000'000, "-", "jo e\n@x", "by\tmod@x\n") ==
          "1700000000 - jo?e?@x by mod@x?\n");
}
