// Moving a list from the real ezmlm-idx 7.2.2 (support/ezmlm_idx.hpp) with things in
// flight: confirmations its ezmlm-manage sent, posts its ezmlm-store holds and bounce
// warnings its ezmlm-warn sent carry 7.x's cookies (SURF-PCS), ours are HMAC-SHA256. After
// our `ezmlm-make -e` takes the list over, its migration window (dir/ezmlm7cookies,
// share/lists/MIGRATING.md) lets our programs honour those cookies, so nothing in flight
// is lost; a forged one, an expired one, or any once the admin has closed the window is
// refused as one of ours would be. Bounce histories (bounce/h/) carry over both ways:
// one name for an address, 7.x's.
#include "bounce_samples.hpp"
#include "ezmlm_idx.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <map>

namespace fs = std::filesystem;

namespace {

bool contains(const std::string& text, const std::string& what) {
    return text.find(what) != std::string::npos;
}

// One list made by the real ezmlm-make, both sets of programs, and every message either
// queues captured (qmail-queue's interface: message on fd 0, envelope on fd 1).
struct Move {
    const qmtest::EzmlmIdx& ez = qmtest::ezmlm_idx();
    qmtest::TempDir tmp;
    std::string dir = tmp / "l";
    std::string queued_dir = tmp / "queued";

    explicit Move(const std::vector<std::string>& switches) {
        std::vector<std::string> argv{ez.bin("ezmlm-make")};
        argv.insert(argv.end(), switches.begin(), switches.end());
        argv.insert(argv.end(), {dir, tmp / ".qmail-l", "l", "lists.example"});
        auto r = qmtest::run(argv);
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
        fs::create_directory(queued_dir);
        qmtest::spit(tmp / "capture",
                     "#!/bin/sh\nn=$(ls \"$CAPTURE\" | grep -c '^m')\n"
                     "cat > \"$CAPTURE/m$n\"\ncat <&1 > \"$CAPTURE/e$n\"\n",
                     0755);
    }
    // The real programs chdir to QMAILHOME before they run QMAILQUEUE.
    qmtest::RunResult run(const std::string& program, const std::vector<std::string>& args,
                          const std::map<std::string, std::string>& env = {},
                          const std::string& in = "") const {
        std::vector<std::string> argv{program};
        argv.insert(argv.end(), args.begin(), args.end());
        qmtest::RunOptions o;
        o.stdin_data = in;
        o.env = env;
        o.env["QMAILHOME"] = tmp.path();
        o.env["QMAILQUEUE"] = tmp / "capture";
        o.env["CAPTURE"] = queued_dir;
        return qmtest::run(argv, o);
    }
    // The real ones seek their input (ezmlm-manage copies the request into its reply):
    // a file on stdin, as qmail-local gives it.
    qmtest::RunResult real(const std::string& name, const std::vector<std::string>& args,
                           std::map<std::string, std::string> env = {},
                           const std::string& in = "") const {
        qmtest::spit(tmp / "input", in);
        env["QM_TEST_INPUT"] = tmp / "input";
        std::vector<std::string> sh{"-c", "exec \"$0\" \"$@\" < \"$QM_TEST_INPUT\"", ez.bin(name)};
        sh.insert(sh.end(), args.begin(), args.end());
        return run("/bin/sh", sh, env);
    }
    qmtest::RunResult ours(const std::string& name, const std::vector<std::string>& args,
                           const std::map<std::string, std::string>& env = {},
                           const std::string& in = "") const {
        return run(qmtest::bin(name), args, env, in);
    }
    [[nodiscard]] size_t count() const {
        size_t n = 0;
        while (fs::exists(queued_dir + "/m" + std::to_string(n)))
            ++n;
        return n;
    }
    [[nodiscard]] std::string message(size_t n) const {
        return qmtest::slurp(queued_dir + "/m" + std::to_string(n));
    }
    [[nodiscard]] std::string envelope(size_t n) const {
        return qmtest::slurp(queued_dir + "/e" + std::to_string(n));
    }
    [[nodiscard]] std::string last() const { return message(count() - 1); }
    [[nodiscard]] bool subscribed(const std::string& address, const std::string& db = "") const {
        return qmtest::run({ez.bin("ezmlm-issubn"), db.empty() ? dir : dir + "/" + db},
                           {.env = {{"SENDER", address}}})
                   .exit_code == 0;
    }
    [[nodiscard]] size_t held(const std::string& sub) const {
        return fs::exists(dir + "/mod/" + sub) ? qmtest::list_dir(dir + "/mod/" + sub).size() : 0;
    }
};

// The environment of a reply to list-ACTION@lists.example: LOCAL, and DEFAULT after
// skip (the list's "l-" for ezmlm-manage, "l-accept-" and so on for the others).
std::map<std::string, std::string> replying(const std::string& address, const std::string& sender,
                                            size_t skip) {
    const std::string local = address.substr(0, address.find('@'));
    return {{"SENDER", sender}, {"LOCAL", local}, {"DEFAULT", local.substr(skip)}};
}
std::map<std::string, std::string> to_manager(const std::string& address,
                                              const std::string& sender) {
    return replying(address, sender, 2);
}
std::map<std::string, std::string> to_moderator(const std::string& address,
                                                const std::string& sender) {
    return replying(address, sender, address.find('-', 2) + 1);
}

// A command address with the last letter of its cookie (the 20 letters a-p after a '.'
// that end at '-' or '@') changed.
std::string forged(std::string address) {
    for (size_t dot = address.find('.'); dot != std::string::npos;
         dot = address.find('.', dot + 1)) {
        const size_t end = dot + 21;
        if (end >= address.size() || (address[end] != '-' && address[end] != '@'))
            continue;
        if (!std::all_of(address.begin() + static_cast<std::ptrdiff_t>(dot + 1),
                         address.begin() + static_cast<std::ptrdiff_t>(end),
                         [](char c) { return c >= 'a' && c <= 'p'; }))
            continue;
        address[end - 1] = address[end - 1] == 'a' ? 'b' : 'a';
        return address;
    }
    FAIL("no cookie in " << address);
    return address;
}

std::string post(const std::string& subject) {
    return "From: Dave <dave@far.example>\nTo: l@lists.example\nSubject: " + subject +
           "\n\nplease distribute this\n";
}

} // namespace

TEST_CASE("a move with confirmations and moderation in flight loses nothing",
          "[scenario][lists][ezmlm-idx]") {
    if (qmtest::skip_without_ezmlm_idx())
        return;
    // Moderated posts and subscriptions (-m -s), as many moved lists are.
    Move m({"-m", "-s"});
    REQUIRE(m.real("ezmlm-sub", {m.dir, "mod", "mona@far.example"}).exit_code == 0);
    REQUIRE(m.real("ezmlm-sub", {m.dir, "reader@far.example", "leaver@far.example"}).exit_code ==
            0);

    // What the real ezmlm-idx has out when the list moves: a subscription and an
    // unsubscription waiting for their targets, one waiting for a moderator, and three
    // held posts.
    auto ask = [&](const std::string& verb, const std::string& who) {
        const std::string box = who.substr(0, who.find('@'));
        auto r = m.real("ezmlm-manage", {m.dir},
                        to_manager("l-" + verb + "-" + box + "=far.example@lists.example", who),
                        "Subject: please\n\n");
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
        const std::string reply_to = qmtest::header_field(m.last(), "Reply-To");
        INFO(m.last());
        REQUIRE(reply_to.starts_with("l-" + verb.substr(0, 1) + "c."));
        return reply_to;
    };
    const std::string joiner_sc = ask("subscribe", "joiner@far.example");
    const std::string late_sc = ask("subscribe", "late@far.example");
    const std::string slow_sc = ask("subscribe", "slow@far.example");
    const std::string leaver_uc = ask("unsubscribe", "leaver@far.example");
    // modded confirms to the real ezmlm-manage, which asks the moderators.
    {
        const std::string sc = ask("subscribe", "modded@far.example");
        auto r = m.real("ezmlm-manage", {m.dir}, to_manager(sc, "modded@far.example"),
                        "Subject: yes\n\n");
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
    }
    const std::string modded_tc = qmtest::header_field(m.last(), "Reply-To");
    REQUIRE(modded_tc.starts_with("l-tc."));
    REQUIRE(contains(m.envelope(m.count() - 1), "Tmona@far.example"));

    struct Held {
        std::string accept, reject;
    };
    auto store = [&](const std::string& subject) {
        auto r = m.real("ezmlm-store", {m.dir}, {{"SENDER", "dave@far.example"}}, post(subject));
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
        Held h{qmtest::header_field(m.last(), "Reply-To"), qmtest::header_field(m.last(), "From")};
        REQUIRE(h.accept.starts_with("l-accept-"));
        REQUIRE(h.reject.starts_with("l-reject-"));
        return h;
    };
    const Held first = store("first held post");
    const Held second = store("second held post");
    const Held third = store("third held post");
    REQUIRE(m.held("pending") == 3);

    // Our ezmlm-make -e takes the list over and opens the window for 3,000,000 s.
    const std::time_t moved = std::time(nullptr);
    {
        auto r = m.ours("ezmlm-make", {"-e", m.dir});
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
        const long long until = std::stoll(qmtest::slurp(m.dir + "/ezmlm7cookies"));
        CHECK(until >= moved + 3'000'000);
        CHECK(until <= std::time(nullptr) + 3'000'000);
    }

    // The target's confirmation: the list is moderated, so our moderator request follows
    // (an HMAC cookie: we never issue 7.x's), and the moderator's approval subscribes.
    auto r = m.ours("ezmlm-manage", {m.dir}, to_manager(joiner_sc, "joiner@far.example"),
                    "Subject: yes\n\n");
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    const std::string our_tc = qmtest::header_field(m.last(), "Reply-To");
    REQUIRE(our_tc.starts_with("l-tc."));
    CHECK(contains(m.envelope(m.count() - 1), "Tmona@far.example"));
    CHECK_FALSE(m.subscribed("joiner@far.example"));
    r = m.ours("ezmlm-manage", {m.dir}, to_manager(our_tc, "mona@far.example"), "Subject: ok\n\n");
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(m.subscribed("joiner@far.example"));

    // The moderator's approval the real ezmlm-manage asked for.
    r = m.ours("ezmlm-manage", {m.dir}, to_manager(modded_tc, "mona@far.example"),
               "Subject: ok\n\n");
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(m.subscribed("modded@far.example"));

    // The unsubscription.
    r = m.ours("ezmlm-manage", {m.dir}, to_manager(leaver_uc, "leaver@far.example"),
               "Subject: yes\n\n");
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK_FALSE(m.subscribed("leaver@far.example"));

    // A forged 7.x cookie: a new confirmation request (ours), nobody subscribed.
    const size_t before_forged = m.count();
    r = m.ours("ezmlm-manage", {m.dir}, to_manager(forged(slow_sc), "slow@far.example"),
               "Subject: yes\n\n");
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK_FALSE(m.subscribed("slow@far.example"));
    REQUIRE(m.count() == before_forged + 1);
    CHECK(qmtest::header_field(m.last(), "Reply-To").starts_with("l-sc."));
    CHECK(qmtest::header_field(m.last(), "Reply-To") != slow_sc);
    // An expired one (1,000,000 s, as ours) gets the same answer.
    {
        auto env = to_manager(slow_sc, "slow@far.example");
        env["QM_LISTS_NOW"] = std::to_string(moved + 1'000'100);
        const size_t before = m.count();
        auto late = m.ours("ezmlm-manage", {m.dir}, env, "Subject: yes\n\n");
        INFO(late.err);
        REQUIRE(late.exit_code == 0);
        REQUIRE(m.count() == before + 1);
        CHECK(qmtest::header_field(m.last(), "Reply-To").starts_with("l-sc."));
    }

    // The held posts: the first accepted goes to the subscribers, the second is rejected
    // and its poster told.
    const size_t before_accept = m.count();
    r = m.ours("ezmlm-moderate", {m.dir}, to_moderator(first.accept, "mona@far.example"),
               "Subject: ok\n\n");
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(m.held("pending") == 2);
    CHECK(m.held("accepted") == 1);
    bool delivered = false;
    for (size_t n = before_accept; n < m.count(); ++n)
        delivered = delivered || (contains(m.message(n), "first held post") &&
                                  contains(m.envelope(n), "Treader@far.example"));
    CHECK(delivered);

    // A forged accept for the second: refused, still held.
    r = m.ours("ezmlm-moderate", {m.dir}, to_moderator(forged(second.accept), "mona@far.example"),
               "Subject: ok\n\n");
    CHECK(r.exit_code == 100);
    CHECK(m.held("pending") == 2);
    r = m.ours("ezmlm-moderate", {m.dir}, to_moderator(second.reject, "mona@far.example"),
               "Subject: no\n\n");
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(m.held("rejected") == 1);
    CHECK(qmtest::header_field(m.last(), "To") == "dave@far.example");

    // The admin closes the window: a 7.x cookie still fresh is refused like a forged one.
    REQUIRE(m.ours("ezmlm-make", {"-e", "--ezmlm7-cookies=off", m.dir}).exit_code == 0);
    REQUIRE(m.ours("ezmlm-make", {"-e", m.dir}).exit_code == 0); // a later edit keeps it shut
    r = m.ours("ezmlm-manage", {m.dir}, to_manager(late_sc, "late@far.example"),
               "Subject: yes\n\n");
    REQUIRE(r.exit_code == 0);
    CHECK(qmtest::header_field(m.last(), "Reply-To").starts_with("l-sc."));
    CHECK(qmtest::header_field(m.last(), "Reply-To") != late_sc);
    CHECK_FALSE(contains(m.envelope(m.count() - 1), "Tmona@far.example"));
    r = m.ours("ezmlm-moderate", {m.dir}, to_moderator(third.accept, "mona@far.example"),
               "Subject: ok\n\n");
    CHECK(r.exit_code == 100);
    CHECK(m.held("pending") == 1);

    // Opened again, the same cookies work: the window alone made the difference.
    REQUIRE(m.ours("ezmlm-make", {"-e", "--ezmlm7-cookies=+2000000", m.dir}).exit_code == 0);
    r = m.ours("ezmlm-manage", {m.dir}, to_manager(late_sc, "late@far.example"),
               "Subject: yes\n\n");
    REQUIRE(r.exit_code == 0);
    CHECK(qmtest::header_field(m.last(), "Reply-To").starts_with("l-tc."));
    // Expired (held longer than any cookie lives): the answer ours get.
    {
        auto env = to_moderator(third.accept, "mona@far.example");
        env["QM_LISTS_NOW"] = std::to_string(moved + 1'000'100);
        auto expired = m.ours("ezmlm-moderate", {m.dir}, env, "Subject: ok\n\n");
        CHECK(expired.exit_code == 100);
        CHECK(contains(expired.err, "expired"));
    }
    r = m.ours("ezmlm-moderate", {m.dir}, to_moderator(third.accept, "mona@far.example"),
               "Subject: ok\n\n");
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(m.held("pending") == 0);
}

TEST_CASE("bounce histories carry over between the real ezmlm-idx and ours",
          "[scenario][lists][ezmlm-idx]") {
    if (qmtest::skip_without_ezmlm_idx())
        return;
    Move m({});
    REQUIRE(m.real("ezmlm-sub", {m.dir, "Reader.One@far.example", "reader.two@far.example"})
                .exit_code == 0);
    // The list moves; the real programs keep working on it beside ours.
    REQUIRE(m.ours("ezmlm-make", {"-e", m.dir}).exit_code == 0);
    auto bounce = [&](bool real, unsigned long number, const std::string& who) {
        const std::string box = who.substr(0, who.find('@'));
        const std::string verp =
            "l-return-" + std::to_string(number) + "-" + box + "=far.example@lists.example";
        auto env = replying(verp, "", verp.find('-', 2) + 1);
        auto r = real ? m.real("ezmlm-return", {m.dir}, env,
                               qmtest::bounces::postfix_user_unknown(who, verp))
                      : m.ours("ezmlm-return", {m.dir}, env,
                               qmtest::bounces::postfix_user_unknown(who, verp));
        INFO(r.err);
        // 99: the bounce is handled, the .qmail file stops there.
        REQUIRE(r.exit_code == 99);
    };
    auto histories = [&] {
        std::vector<std::string> out;
        std::error_code ec;
        for (const auto& e : fs::recursive_directory_iterator(m.dir + "/bounce/h", ec))
            if (e.is_regular_file())
                out.push_back(e.path().string());
        std::sort(out.begin(), out.end());
        return out;
    };

    // The real ezmlm-return starts the first reader's history, ours adds to the same file.
    bounce(true, 1, "Reader.One@far.example");
    REQUIRE(histories().size() == 1);
    const std::string history = histories().front();
    bounce(false, 2, "Reader.One@far.example");
    CHECK(histories() == std::vector<std::string>{history});
    CHECK(qmtest::slurp(history) == "   1\n   2\n");
    // Our ezmlm-warn reads it: the warning lists both numbers.
    {
        const size_t before = m.count();
        auto r = m.ours("ezmlm-warn", {"-t", "0", m.dir});
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
        REQUIRE(m.count() == before + 1);
        CHECK(contains(m.envelope(before), "TReader.One@far.example"));
        CHECK(contains(m.message(before), "   1\n   2\n"));
        CHECK_FALSE(fs::exists(history));
    }

    // The real ezmlm-warn reads what our ezmlm-return wrote.
    bounce(false, 3, "reader.two@far.example");
    bounce(false, 4, "reader.two@far.example");
    const size_t before = m.count();
    auto r = m.real("ezmlm-warn", {"-t", "0", m.dir});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    REQUIRE(m.count() == before + 1);
    const std::string warning = m.message(before);
    CHECK(contains(m.envelope(before), "Treader.two@far.example"));
    CHECK(contains(warning, "   3\n   4\n"));
    CHECK(histories().empty());

    // That warning's own bounce comes back to our ezmlm-return with 7.x's cookie in its
    // return path: honoured in the window (kept as a bounced warning), refused forged.
    const std::string envelope = m.envelope(before);
    const std::string from = envelope.substr(1, envelope.find('\0') - 1);
    REQUIRE(from.starts_with("l-return-warn-"));
    auto bounced = [&](const std::string& address) {
        auto env = replying(address, "", std::string("l-return-").size());
        return m.ours("ezmlm-return", {m.dir}, env,
                      qmtest::bounces::postfix_user_unknown("reader.two@far.example", address));
    };
    REQUIRE(bounced(forged(from)).exit_code == 99);
    CHECK(qmtest::bounces::kept_bounces(m.dir, 'w').empty());
    REQUIRE(bounced(from).exit_code == 99);
    CHECK(qmtest::bounces::kept_bounces(m.dir, 'w').size() == 1);
}
