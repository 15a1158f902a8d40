// ezmlm-idx 7's switches (share/lists/MIGRATING.md, "Options"): each one we implement is
// run on our real program and its effect checked; then every switch of every program is
// checked to be taken or refused as the table says. Mail the programs queue goes to a
// capturing QMAILQUEUE, one file per message.
#include "support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <map>

namespace fs = std::filesystem;

namespace {

struct OptList {
    qmtest::TempDir tmp;
    std::string dir = tmp / "l";
    std::string queued_dir = tmp / "queued";

    explicit OptList(const std::vector<std::string>& switches = {}) {
        std::vector<std::string> argv{qmtest::bin("ezmlm-make")};
        argv.insert(argv.end(), switches.begin(), switches.end());
        argv.insert(argv.end(), {dir, tmp / ".qmail-l", "l", "lists.example"});
        auto r = qmtest::run(argv);
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
        fs::create_directory(queued_dir);
        // qmail-queue's interface: the message on fd 0, the envelope on fd 1.
        qmtest::spit(tmp / "capture",
                     "#!/bin/sh\nn=$(ls \"$CAPTURE\" | grep -c '^m')\n"
                     "cat > \"$CAPTURE/m$n\"\ncat <&1 > \"$CAPTURE/e$n\"\n",
                     0755);
    }
    qmtest::RunResult run(const std::string& program, const std::vector<std::string>& args,
                          const std::map<std::string, std::string>& env = {},
                          const std::string& in = "") const {
        std::vector<std::string> argv{qmtest::bin(program)};
        argv.insert(argv.end(), args.begin(), args.end());
        qmtest::RunOptions o;
        o.stdin_data = in;
        o.env = env;
        o.env["QMAILQUEUE"] = tmp / "capture";
        o.env["CAPTURE"] = queued_dir;
        return qmtest::run(argv, o);
    }
    void sub(const std::string& address, const std::string& db = "") const {
        auto r = run("ezmlm-sub", db.empty() ? std::vector<std::string>{dir, address}
                                             : std::vector<std::string>{dir, db, address});
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
    }
    // The messages queued so far, in order.
    [[nodiscard]] std::vector<std::string> queued() const {
        std::vector<std::string> out;
        for (size_t n = 0; fs::exists(queued_dir + "/m" + std::to_string(n)); ++n)
            out.push_back(qmtest::slurp(queued_dir + "/m" + std::to_string(n)));
        return out;
    }
    [[nodiscard]] bool is_sub(const std::string& address, const std::string& db = "") const {
        auto r = run("ezmlm-issubn", {db.empty() ? dir : dir + "/" + db}, {{"SENDER", address}});
        return r.exit_code == 0;
    }
    [[nodiscard]] size_t files_in(const std::string& sub) const {
        return fs::exists(dir + "/" + sub) ? qmtest::list_dir(dir + "/" + sub).size() : 0;
    }
};

bool contains(const std::string& text, const std::string& what) {
    return text.find(what) != std::string::npos;
}

const std::string post = "From: Dave <dave@far.example>\nTo: l@lists.example\n"
                         "Subject: hello\n\nplease distribute this\n";

// LOCAL and DEFAULT for an answer to a command address such as l-accept-T.P.COOKIE@host.
std::map<std::string, std::string> answering(const std::string& address,
                                             const std::string& sender) {
    const std::string local = address.substr(0, address.find('@'));
    // l-VERB-T.P.COOKIE: DEFAULT is what follows l-VERB-.
    return {
        {"SENDER", sender}, {"LOCAL", local}, {"DEFAULT", local.substr(local.find('-', 2) + 1)}};
}

} // namespace

TEST_CASE("ezmlm-issubn and ezmlm-gate take ezmlm-idx 7 sub-database names",
          "[scenario][lists][options]") {
    OptList l;
    l.sub("reader@far.example");
    l.sub("digester@far.example", "digest");
    l.sub("allowed@far.example", "allow");
    auto issubn = [&](const std::vector<std::string>& args, const std::string& sender) {
        return l.run("ezmlm-issubn", args, {{"SENDER", sender}}).exit_code;
    };
    // 7.x's editor line: the list itself (.), then digest, allow and mod by name.
    for (const char* who : {"reader@far.example", "digester@far.example", "allowed@far.example"})
        CHECK(issubn({l.dir, ".", "digest", "allow", "mod"}, who) == 0);
    CHECK(issubn({l.dir, ".", "digest", "allow", "mod"}, "stranger@far.example") == 99);
    // Only the subdirs named are looked at.
    CHECK(issubn({l.dir, "digest"}, "reader@far.example") == 99);
    CHECK(issubn({l.dir, "digest"}, "digester@far.example") == 0);
    CHECK(issubn({"-n", l.dir, "allow"}, "allowed@far.example") == 99);
    // ezmlm 0.53's absolute databases still work, and 7.x refuses a deeper name.
    CHECK(issubn({l.dir, l.dir + "/allow"}, "allowed@far.example") == 0);
    auto deep = l.run("ezmlm-issubn", {l.dir, "a/b"}, {{"SENDER", "reader@far.example"}});
    CHECK(deep.exit_code == 100);
    CHECK(contains(deep.err, "without a slash: a/b"));

    // ezmlm-gate -0 says where a post would go, and does nothing.
    auto where = [&](const std::string& sender) {
        auto r = l.run("ezmlm-gate", {"-0", l.dir, ".", "digest", "allow", "mod"},
                       {{"SENDER", sender}}, post);
        INFO(r.err);
        CHECK(r.exit_code == 0);
        return r.out;
    };
    CHECK(where("digester@far.example") == "ezmlm-send " + l.dir + "\n");
    CHECK(where("stranger@far.example") == "ezmlm-store " + l.dir + "\n");
    CHECK(l.queued().empty());
    // And for real: a member of allow posts directly.
    auto sent =
        l.run("ezmlm-gate", {l.dir, ".", "allow"}, {{"SENDER", "allowed@far.example"}}, post);
    INFO(sent.err);
    CHECK(sent.exit_code == 0);
    CHECK(contains(sent.err, "from a member: sent as message 1"));
}

TEST_CASE("ezmlm-gate -q runs ezmlm-idx 7 arbitration programs first",
          "[scenario][lists][options]") {
    OptList l({"-m"});
    l.sub("mona@far.example", "mod");
    l.sub("reader@far.example");
    auto gate = [&](const std::string& programs, const std::string& sender,
                    const std::vector<std::string>& subdirs = {".", "allow"}) {
        qmtest::spit(l.dir + "/arbiters", programs);
        std::vector<std::string> args{"-q", "arbiters", l.dir};
        args.insert(args.end(), subdirs.begin(), subdirs.end());
        return l.run("ezmlm-gate", args, {{"SENDER", sender}}, post);
    };
    // Every line reads the post; exit 0 hands on, 99 posts whoever sent it.
    auto posted = gate("# first a check\n|grep -q 'please distribute' || exit 100\nexit 99\n",
                       "stranger@far.example");
    INFO(posted.err);
    CHECK(posted.exit_code == 0);
    CHECK(contains(posted.err, "sent as message 1"));
    // 100 moderates even a subscriber.
    CHECK(gate("exit 100\n", "reader@far.example").exit_code == 0);
    CHECK(l.files_in("mod/pending") == 1);
    // All 0: the databases decide.
    auto member = gate("true\n", "reader@far.example");
    CHECK(contains(member.err, "from a member: sent as message 2"));
    CHECK(gate("true\n", "stranger@far.example").exit_code == 0);
    CHECK(l.files_in("mod/pending") == 2);
    // 111 is temporary, anything else refuses.
    CHECK(gate("exit 111\n", "reader@far.example").exit_code == 111);
    auto refused = gate("exit 3\n", "reader@far.example");
    CHECK(refused.exit_code == 100);
    CHECK(contains(refused.err, "refused by exit 3"));
    CHECK(l.files_in("mod/pending") == 2);
}

TEST_CASE("ezmlm-reject -h is its headerreject switch while --help stays help",
          "[scenario][lists][options]") {
    OptList l;
    qmtest::spit(l.dir + "/headerreject", "X-Other-List\n");
    const std::string foreign = "From: a@far.example\nTo: l@lists.example\nSubject: s\n"
                                "X-Other-List: yes\n\nbody\n";
    auto with_h = l.run("ezmlm-reject", {"-h", l.dir}, {{"SENDER", "a@far.example"}}, foreign);
    CHECK(with_h.exit_code == 100);
    CHECK(with_h.out.empty());
    CHECK(contains(with_h.err, "x-other-list"));
    CHECK(l.run("ezmlm-reject", {"-H", l.dir}, {{"SENDER", "a@far.example"}}, foreign).exit_code ==
          0);
    auto help = l.run("ezmlm-reject", {"--help"});
    CHECK(help.exit_code == 0);
    CHECK(help.out.starts_with("usage: ezmlm-reject "));
}

TEST_CASE("ezmlm-manage takes the ezmlm-idx 7 switches", "[scenario][lists][options]") {
    OptList l;
    const std::string request = "From: Joe Reader <joe@far.example>\nSubject: x\n\n";
    auto manage = [&](const std::vector<std::string>& switches, const std::string& action,
                      const std::string& sender = "joe@far.example") {
        std::vector<std::string> args = switches;
        args.push_back(l.dir);
        return l.run("ezmlm-manage", args,
                     {{"SENDER", sender}, {"DEFAULT", action}, {"LOCAL", "l-" + action}}, request);
    };

    SECTION("-S subscribes at once and -s asks even with nosubconfirm") {
        auto now = manage({"-S"}, "subscribe");
        INFO(now.err);
        CHECK(now.exit_code == 0);
        CHECK(l.is_sub("joe@far.example"));
        qmtest::spit(l.dir + "/nosubconfirm", "");
        auto asked = manage({"-s"}, "subscribe", "ann@far.example");
        CHECK(asked.exit_code == 0);
        CHECK_FALSE(l.is_sub("ann@far.example"));
        CHECK(contains(qmtest::header_field(l.queued().back(), "Subject"), "confirm subscribe"));
    }
    SECTION("-U unsubscribes at once") {
        l.sub("joe@far.example");
        CHECK(manage({"-U"}, "unsubscribe").exit_code == 0);
        CHECK_FALSE(l.is_sub("joe@far.example"));
    }
    SECTION("-N does not tell the target of a change without handshake and -n does") {
        CHECK(manage({"-S", "-N"}, "subscribe").exit_code == 0);
        CHECK(l.is_sub("joe@far.example"));
        CHECK(l.queued().empty());
        CHECK(manage({"-U", "-n"}, "unsubscribe").exit_code == 0);
        REQUIRE(l.queued().size() == 1);
        CHECK(qmtest::header_field(l.queued()[0], "To") == "joe@far.example");
    }
    SECTION("-f puts the From field in Log and -F does not") {
        CHECK(manage({"-S", "-f"}, "subscribe").exit_code == 0);
        CHECK(contains(qmtest::slurp(l.dir + "/Log"),
                       "+ joe@far.example Joe Reader <joe@far.example>"));
        CHECK(manage({"-S", "-F"}, "subscribe", "ann@far.example").exit_code == 0);
        CHECK_FALSE(contains(qmtest::slurp(l.dir + "/Log"), "ann@far.example Joe"));
    }
    SECTION("-C refuses get requests") {
        auto r = manage({"-C"}, "get.1");
        CHECK(r.exit_code == 100);
        CHECK(contains(r.err, "not available"));
    }
    SECTION("-B leaves text/bottom out and -b puts it back over omitbottom") {
        const std::string probe = "Administrative commands for the l list";
        REQUIRE(contains(qmtest::slurp(l.dir + "/text/bottom"), "Administrative commands"));
        CHECK(manage({}, "help").exit_code == 0);
        CHECK(manage({"-B"}, "help").exit_code == 0);
        qmtest::spit(l.dir + "/omitbottom", "");
        CHECK(manage({"-b"}, "help").exit_code == 0);
        auto q = l.queued();
        REQUIRE(q.size() == 3);
        CHECK(contains(q[0], probe));
        CHECK_FALSE(contains(q[1], probe));
        CHECK(contains(q[2], probe));
    }
    SECTION("-l and -e open list and edit to moderators and -L and -E close them") {
        OptList r({"-r", "-l", "-n"});
        r.sub("mona@far.example", "mod");
        r.sub("joe@far.example");
        auto as_mod = [&](const std::vector<std::string>& switches, const std::string& action) {
            std::vector<std::string> args = switches;
            args.push_back(r.dir);
            return r.run(
                "ezmlm-manage", args,
                {{"SENDER", "mona@far.example"}, {"DEFAULT", action}, {"LOCAL", "l-" + action}},
                "From: mona@far.example\n\n");
        };
        CHECK(as_mod({}, "list").exit_code == 0);
        CHECK(contains(r.queued().back(), "joe@far.example"));
        const size_t listed = r.queued().size();
        CHECK(as_mod({"-L"}, "list").exit_code == 100); // closed: refused
        CHECK(r.queued().size() == listed);
        CHECK(as_mod({"-E"}, "edit").exit_code != 0); // editing closed: refused
        CHECK(as_mod({"-e"}, "edit").exit_code == 0);
        CHECK(as_mod({"-D"}, "edit").exit_code != 0);
        CHECK(as_mod({"-d"}, "edit").exit_code == 0);
    }
    SECTION("-A drops the info line") {
        auto quiet = manage({"-A"}, "help");
        CHECK(quiet.exit_code == 0);
        CHECK_FALSE(contains(quiet.err, "info:"));
        CHECK(contains(manage({"-a"}, "help").err, "ezmlm-manage: info: help sent"));
    }
    SECTION("-Q is taken (manage_test shows what it does)") {
        auto r = manage({"-Q"}, "help");
        CHECK(r.exit_code == 0);
        CHECK(l.queued().size() == 1);
    }
}

TEST_CASE("ezmlm-get takes the ezmlm-idx 7 switches", "[scenario][lists][options]") {
    OptList l;
    auto sent = l.run("ezmlm-send", {l.dir}, {{"SENDER", "dave@far.example"}}, post);
    INFO(sent.err);
    REQUIRE(sent.exit_code == 0);
    const size_t before = l.queued().size();
    auto get = [&](const std::vector<std::string>& switches,
                   const std::string& sender = "x@far.example") {
        std::vector<std::string> args = switches;
        args.push_back(l.dir);
        return l.run("ezmlm-get", args,
                     {{"SENDER", sender}, {"DEFAULT", "get.1"}, {"LOCAL", "l-get.1"}},
                     "From: " + sender + "\nSubject: get\n\n");
    };
    auto last = [&] { return l.queued().back(); };

    SECTION("-f sets the format of a collection") {
        REQUIRE(get({}).exit_code == 99);
        CHECK(contains(qmtest::header_field(last(), "Content-Type"), "multipart/digest"));
        REQUIRE(get({"-f", "r"}).exit_code == 99);
        CHECK(contains(qmtest::header_field(last(), "Content-Type"), "text/plain"));
        CHECK(contains(last(), "please distribute this"));
        auto bad = get({"-f", "q"});
        CHECK(bad.exit_code == 100);
        CHECK(contains(bad.err, "usage:"));
    }
    SECTION("-C leaves everything but digests to ezmlm-manage") {
        CHECK(get({"-C"}).exit_code == 0);
        CHECK(l.queued().size() == before);
        CHECK(get({"-c"}).exit_code == 99);
    }
    SECTION("-P closes a public archive to non-moderators and -p opens a closed one") {
        auto closed = get({"-P"});
        CHECK(closed.exit_code == 100);
        CHECK(contains(closed.err, "moderators"));
        fs::remove(l.dir + "/public");
        CHECK(get({}).exit_code == 100);
        CHECK(get({"-p"}).exit_code == 99);
    }
    SECTION("-s limits retrieval to subscribers and -S lifts subgetonly") {
        CHECK(get({"-s"}).exit_code == 100);
        l.sub("x@far.example", "digest");
        CHECK(get({"-s"}).exit_code == 99);
        qmtest::spit(l.dir + "/subgetonly", "");
        CHECK(get({}, "y@far.example").exit_code == 100);
        CHECK(get({"-S"}, "y@far.example").exit_code == 99);
    }
    SECTION("-B leaves text/bottom out") {
        const std::string probe = "Administrative commands for the l list";
        REQUIRE(get({}).exit_code == 99);
        CHECK(contains(last(), probe));
        REQUIRE(get({"-B"}).exit_code == 99);
        CHECK_FALSE(contains(last(), probe));
        qmtest::spit(l.dir + "/omitbottom", "");
        REQUIRE(get({"-b"}).exit_code == 99);
        CHECK(contains(last(), probe));
    }
}

TEST_CASE("ezmlm-store -P -y -s and -B act as in ezmlm-idx 7", "[scenario][lists][options]") {
    OptList l({"-m"});
    l.sub("mona@far.example", "mod");
    auto store = [&](const std::vector<std::string>& switches,
                     const std::string& sender = "dave@far.example") {
        std::vector<std::string> args = switches;
        args.push_back(l.dir);
        return l.run("ezmlm-store", args, {{"SENDER", sender}}, post);
    };

    SECTION("-P lets only moderators post and -p overrides modpostonly") {
        auto refused = store({"-P"});
        CHECK(refused.exit_code == 100);
        CHECK(contains(refused.err, "not allowed to post"));
        CHECK(l.files_in("mod/pending") == 0);
        CHECK(store({"-P"}, "mona@far.example").exit_code == 0);
        CHECK(l.files_in("mod/pending") == 1);
        qmtest::spit(l.dir + "/modpostonly", "");
        CHECK(store({}).exit_code == 100);
        CHECK(store({"-p"}).exit_code == 0);
        CHECK(l.files_in("mod/pending") == 2);
    }
    SECTION("-y asks the poster and -Y does not even with confirmpost") {
        CHECK(store({"-y"}).exit_code == 0);
        CHECK(l.files_in("mod/unconfirmed") == 1);
        CHECK(qmtest::header_field(l.queued().back(), "To") == "dave@far.example");
        qmtest::spit(l.dir + "/confirmpost", "");
        CHECK(store({"-Y"}).exit_code == 0);
        CHECK(l.files_in("mod/unconfirmed") == 1);
        CHECK(l.files_in("mod/pending") == 1);
        CHECK(contains(l.queued().back(), "MODERATE"));
    }
    SECTION("-B encloses the header only") {
        CHECK(store({"-B"}).exit_code == 0);
        CHECK(contains(l.queued().back(), "Subject: hello"));
        CHECK_FALSE(contains(l.queued().back(), "please distribute this"));
        CHECK(store({"-b"}).exit_code == 0);
        CHECK(contains(l.queued().back(), "please distribute this"));
    }
    SECTION("-s sends others' posts to dir/mod and not to the modpost database") {
        qmtest::spit(l.dir + "/modpost", "allow\n");
        l.sub("self@far.example", "allow");
        CHECK(store({}).exit_code == 0);
        CHECK(qmtest::header_field(l.queued().back(), "To") == "l-moderators@lists.example");
        CHECK(contains(qmtest::slurp(l.queued_dir + "/e0"), "Tself@far.example"));
        CHECK(store({"-s"}).exit_code == 0);
        CHECK(contains(qmtest::slurp(l.queued_dir + "/e1"), "Tmona@far.example"));
        CHECK_FALSE(contains(qmtest::slurp(l.queued_dir + "/e1"), "Tself@far.example"));
    }
}

TEST_CASE("ezmlm-store ezmlm-moderate and ezmlm-clean -M append the post as in ezmlm-idx 7",
          "[scenario][lists][options]") {
    OptList l({"-m"});
    l.sub("mona@far.example", "mod");
    auto store = [&](const std::vector<std::string>& switches) {
        std::vector<std::string> args = switches;
        args.push_back(l.dir);
        auto r = l.run("ezmlm-store", args, {{"SENDER", "dave@far.example"}}, post);
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
        return l.queued().back();
    };
    const std::string enclosed = store({"-m"});
    CHECK(contains(enclosed, "message/rfc822"));
    const std::string appended = store({"-M"});
    CHECK_FALSE(contains(appended, "message/rfc822"));
    CHECK(contains(appended, "\nReturn-Path: <dave@far.example>\n"));
    CHECK(contains(appended, "please distribute this"));

    // ezmlm-moderate -M: the rejection notice.
    const std::string reject = qmtest::header_field(appended, "From");
    auto r = l.run("ezmlm-moderate", {"-M", l.dir}, answering(reject, "mona@far.example"), "no\n");
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(qmtest::header_field(l.queued().back(), "To") == "dave@far.example");
    CHECK_FALSE(contains(l.queued().back(), "message/rfc822"));
    CHECK(contains(l.queued().back(), "please distribute this"));

    // ezmlm-clean -M: the timed-out post (the other one, still held) goes back appended.
    auto cleaned = l.run("ezmlm-clean", {"-M", l.dir},
                         {{"QM_LISTS_NOW", std::to_string(std::time(nullptr) + 300 * 3600)}});
    INFO(cleaned.err);
    CHECK(cleaned.exit_code == 0);
    CHECK(contains(cleaned.err, "returned 1"));
    CHECK(qmtest::header_field(l.queued().back(), "To") == "dave@far.example");
    CHECK_FALSE(contains(l.queued().back(), "message/rfc822"));
    CHECK(contains(l.queued().back(), "please distribute this"));
}

TEST_CASE("ezmlm-split -D sorts addresses into sublists", "[scenario][lists][options]") {
    OptList l;
    qmtest::spit(l.dir + "/split", "far.example:far@lists.example\n");
    auto r =
        l.run("ezmlm-split", {"-D", l.dir}, {}, "a@far.example\n# comment\n\nb@near.example\n");
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.out == "far@lists.example: a@far.example\nl@lists.example: b@near.example\n");
    // splitfile: another file of rules, relative to dir.
    qmtest::spit(l.dir + "/rules", "near.example:near@lists.example\n");
    auto other = l.run("ezmlm-split", {"-D", l.dir, "rules"}, {}, "b@near.example\n");
    CHECK(other.out == "near@lists.example: b@near.example\n");
    CHECK(l.queued().empty());
}

TEST_CASE("ezmlm-moderate and ezmlm-confirm hand a post to their trailing program",
          "[scenario][lists][options]") {
    SECTION("ezmlm-moderate") {
        OptList l({"-m"});
        l.sub("mona@far.example", "mod");
        l.sub("reader@far.example");
        REQUIRE(l.run("ezmlm-store", {l.dir}, {{"SENDER", "dave@far.example"}}, post).exit_code ==
                0);
        const std::string accept = qmtest::header_field(l.queued().back(), "Reply-To");
        REQUIRE(accept.starts_with("l-accept-"));
        const size_t before = l.queued().size();
        auto r = l.run("ezmlm-moderate",
                       {l.dir, "cat > " + (l.tmp / "got") + "; echo $SENDER > " + (l.tmp / "who")},
                       answering(accept, "mona@far.example"), "ok\n");
        INFO(r.err);
        CHECK(r.exit_code == 0);
        CHECK(qmtest::slurp(l.tmp / "got").starts_with("Return-Path: <dave@far.example>\n"));
        CHECK(contains(qmtest::slurp(l.tmp / "got"), "please distribute this"));
        CHECK(qmtest::slurp(l.tmp / "who") == "dave@far.example\n");
        CHECK(l.files_in("mod/accepted") == 1);
        CHECK(l.queued().size() == before); // not sent by us
    }
    SECTION("ezmlm-moderate -t on the notice of a rejected post") {
        OptList l({"-m"});
        l.sub("mona@far.example", "mod");
        REQUIRE(l.run("ezmlm-store", {l.dir}, {{"SENDER", "dave@far.example"}}, post).exit_code ==
                0);
        const std::string reject = qmtest::header_field(l.queued().back(), "From");
        REQUIRE(reject.starts_with("l-reject-"));
        auto r = l.run("ezmlm-moderate", {"-t", "owner@far.example", l.dir},
                       answering(reject, "mona@far.example"), "no\n");
        INFO(r.err);
        CHECK(r.exit_code == 0);
        CHECK(qmtest::header_field(l.queued().back(), "Reply-To") == "owner@far.example");
        CHECK(qmtest::header_field(l.queued().back(), "To") == "dave@far.example");
    }
    SECTION("ezmlm-confirm with a program and its arguments") {
        OptList l({"-y"});
        REQUIRE(l.run("ezmlm-store", {l.dir}, {{"SENDER", "dave@far.example"}}, post).exit_code ==
                0);
        const std::string confirm = qmtest::header_field(l.queued().back(), "Reply-To");
        REQUIRE(confirm.starts_with("l-confirm-"));
        auto r = l.run("ezmlm-confirm", {l.dir, "/bin/sh", "-c", "cat > " + (l.tmp / "got")},
                       answering(confirm, "dave@far.example"), "yes\n");
        INFO(r.err);
        CHECK(r.exit_code == 0);
        CHECK(contains(qmtest::slurp(l.tmp / "got"), "please distribute this"));
        CHECK(l.files_in("mod/unconfirmed") == 0);
        CHECK_FALSE(fs::exists(l.dir + "/archive/0/01"));
    }
    SECTION("a program's failure leaves the post held") {
        OptList l({"-m"});
        l.sub("mona@far.example", "mod");
        REQUIRE(l.run("ezmlm-store", {l.dir}, {{"SENDER", "dave@far.example"}}, post).exit_code ==
                0);
        const std::string accept = qmtest::header_field(l.queued().back(), "Reply-To");
        auto r = l.run("ezmlm-moderate", {l.dir, "exit 100"}, answering(accept, "mona@far.example"),
                       "ok\n");
        CHECK(r.exit_code == 100);
        CHECK(l.files_in("mod/pending") == 1);
        CHECK(l.files_in("mod/accepted") == 0);
    }
}

TEST_CASE("ezmlm-send -R and -h act as in ezmlm-idx 7", "[scenario][lists][options]") {
    OptList l;
    l.sub("reader@far.example");
    const std::string hops = "Received: from last.example\nReceived: from middle.example\n"
                             "Received: from first.example\n" +
                             post;
    REQUIRE(l.run("ezmlm-send", {"-R", l.dir}, {{"SENDER", "dave@far.example"}}, hops).exit_code ==
            0);
    CHECK(contains(l.queued().back(), "Received: from last.example\n"));
    CHECK_FALSE(contains(l.queued().back(), "middle.example"));
    CHECK_FALSE(contains(qmtest::slurp(l.dir + "/archive/0/01"), "middle.example"));
    REQUIRE(l.run("ezmlm-send", {"-r", l.dir}, {{"SENDER", "dave@far.example"}}, hops).exit_code ==
            0);
    CHECK(contains(l.queued().back(), "middle.example"));

    OptList sub({"-0", "main@lists.example"});
    sub.sub("reader@far.example");
    const std::map<std::string, std::string> from_parent{
        {"SENDER", "main-return-7-reader=far.example@lists.example"}};
    auto without = sub.run("ezmlm-send", {"-h", "X-Main:", sub.dir}, from_parent, post);
    CHECK(without.exit_code == 100);
    CHECK(contains(without.err, "x-main"));
    auto with = sub.run("ezmlm-send", {"-h", "X-Main", sub.dir}, from_parent, "X-Main: 1\n" + post);
    INFO(with.err);
    CHECK(with.exit_code == 0);
}

TEST_CASE("ezmlm-sub -n and -t put names and tags in Log", "[scenario][lists][options]") {
    OptList l;
    auto r = l.run("ezmlm-sub", {"-n", l.dir, "a@far.example", "Ann Example", "b@far.example"});
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(l.is_sub("a@far.example"));
    CHECK(l.is_sub("b@far.example"));
    CHECK_FALSE(l.is_sub("Ann Example"));
    auto log = qmtest::slurp(l.dir + "/Log");
    CHECK(contains(log, " +manual a@far.example Ann Example\n"));
    CHECK(contains(log, " +manual b@far.example\n"));
    CHECK(l.run("ezmlm-unsub", {"-t", "cleanup", l.dir, "a@far.example"}).exit_code == 0);
    CHECK(contains(qmtest::slurp(l.dir + "/Log"), " -cleanup a@far.example\n"));
    CHECK(l.run("ezmlm-sub", {"-h", "7", "-H", "-M", "-S", "std", l.dir, "c@far.example"})
              .exit_code == 0);
    CHECK(l.is_sub("c@far.example"));
    auto sql = l.run("ezmlm-sub", {"-S", "mysql:localhost", l.dir, "d@far.example"});
    CHECK(sql.exit_code == 100);
    CHECK(contains(sql.err, "mysql:localhost"));
    CHECK_FALSE(l.is_sub("d@far.example"));
    // ezmlm-list -N lists, -n counts.
    CHECK(l.run("ezmlm-list", {"-n", "-M", l.dir}).out == "2\n");
    CHECK(contains(l.run("ezmlm-list", {"-N", "-S", "std", l.dir}).out, "c@far.example\n"));
    CHECK(l.run("ezmlm-list", {"-S", "pgsql:x", l.dir}).exit_code == 100);
}

TEST_CASE("every ezmlm-idx 7 option is taken or refused as MIGRATING.md says",
          "[scenario][lists][options]") {
    OptList l({"-m"});
    qmtest::spit(l.dir + "/arbiters", "exit 0\n");
    struct Program {
        std::vector<std::vector<std::string>> taken;   // each: the switch and its argument
        std::vector<std::vector<std::string>> refused; // not yet: exit 100 naming it
        std::vector<std::string> operands;             // after the switches ({} : dir alone)
    };
    const std::map<std::string, Program> table{
        {"ezmlm-checksub", {{{"-n"}, {"-N"}, {"-m", "Sorry."}}, {}, {}}},
        {"ezmlm-dispatch", {{}, {}, {}}},
        {"ezmlm-idx", {{{"-d"}, {"-D"}, {"-F"}, {"-f", "1"}}, {}, {}}},
        {"ezmlm-import", {{}, {}, {}}},
        {"ezmlm-archive",
         {{{"-c"}, {"-C"}, {"-F"}, {"-s"}, {"-S"}, {"-T"}, {"-f", "1"}, {"-t", "1"}}, {}, {}}},
        {"ezmlm-limit", {{{"-D"}, {"-F"}, {"-f", "hourly"}, {"-n", "100"}, {"-t", "60"}}, {}, {}}},
        {"ezmlm-request", {{}, {{"-f"}}, {}}},
        {"ezmlm-tstdig", {{{"-k", "1"}, {"-m", "1"}, {"-t", "1"}}, {}, {}}},
        {"ezmlm-clean", {{{"-m"}, {"-M"}, {"-r"}, {"-R"}}, {}, {}}},
        {"ezmlm-confirm", {{{"-c"}, {"-C"}, {"-r"}, {"-R"}}, {}, {}}},
        {"ezmlm-gate",
         {{{"-0"},
           {"-q", "arbiters"},
           {"-c"},
           {"-C"},
           {"-m"},
           {"-M"},
           {"-p"},
           {"-P"},
           {"-Q"},
           {"-r"},
           {"-R"},
           {"-s"},
           {"-S"},
           {"-y"},
           {"-Y"}},
          {},
          {}}},
        {"ezmlm-get",
         {{{"-b"}, {"-B"}, {"-c"}, {"-C"}, {"-f", "m"}, {"-p"}, {"-P"}, {"-s"}, {"-S"}}, {}, {}}},
        {"ezmlm-issubn", {{{"-n"}, {"-N"}}, {}, {".", "digest", "allow", "mod"}}},
        {"ezmlm-list", {{{"-m"}, {"-M"}, {"-n"}, {"-N"}, {"-S", "std"}}, {}, {}}},
        {"ezmlm-make",
         {{{"-+"}, {"-+", "-k"}, {"-+", "-Q"}, {"-+", "-z"}},
          {{"-x"},
           {"-X"},
           {"-3", "x"},
           {"-4", "x"},
           {"-6", "x"},
           {"-7", "x"},
           {"-8", "x"},
           {"-9", "x"}},
          {}}},
        {"ezmlm-manage",
         {{{"-a"}, {"-A"}, {"-b"}, {"-B"}, {"-c"}, {"-C"}, {"-d"}, {"-D"},
           {"-e"}, {"-E"}, {"-f"}, {"-F"}, {"-l"}, {"-L"}, {"-m"}, {"-M"},
           {"-n"}, {"-N"}, {"-q"}, {"-Q"}, {"-s"}, {"-S"}, {"-u"}, {"-U"}},
          {},
          {}}},
        {"ezmlm-moderate",
         {{{"-c"},
           {"-C"},
           {"-m"},
           {"-M"},
           {"-r"},
           {"-R"},
           {"-t", "a@far.example"},
           {"-T", "a@far.example"}},
          {},
          {}}},
        {"ezmlm-reject",
         {{{"-b"},
           {"-B"},
           {"-c"},
           {"-C"},
           {"-F"},
           {"-h"},
           {"-H"},
           {"-q"},
           {"-Q"},
           {"-s"},
           {"-S"},
           {"-t"},
           {"-T"},
           {"-f"}},
          {},
          {}}},
        {"ezmlm-return", {{{"-d"}, {"-D"}}, {}, {}}},
        {"ezmlm-send",
         {{{"-c"}, {"-C"}, {"-q"}, {"-Q"}, {"-r"}, {"-R"}, {"-h", "X-Main"}}, {}, {}}},
        {"ezmlm-split", {{{"-d"}, {"-D"}}, {}, {}}},
        {"ezmlm-store",
         {{{"-b"},
           {"-B"},
           {"-c"},
           {"-C"},
           {"-m"},
           {"-M"},
           {"-p"},
           {"-P"},
           {"-r"},
           {"-R"},
           {"-s"},
           {"-S"},
           {"-y"},
           {"-Y"}},
          {},
          {}}},
        {"ezmlm-sub",
         {{{"-H"}, {"-h", "5"}, {"-m"}, {"-M"}, {"-n"}, {"-N"}, {"-S", "std"}, {"-t", "x"}},
          {},
          {"z@far.example"}}},
        {"ezmlm-unsub",
         {{{"-H"}, {"-h", "5"}, {"-m"}, {"-M"}, {"-n"}, {"-N"}, {"-S", "std"}, {"-t", "x"}},
          {},
          {"z@far.example"}}},
        {"ezmlm-warn", {{{"-d"}, {"-D"}, {"-l", "0"}, {"-t", "10"}}, {}, {}}},
    };
    const std::map<std::string, std::string> env{
        {"SENDER", "dave@far.example"}, {"LOCAL", "l-help"}, {"DEFAULT", "help"}};
    auto run = [&](const std::string& program, const std::vector<std::string>& option,
                   const std::vector<std::string>& operands) {
        std::vector<std::string> args = option;
        args.push_back(l.dir);
        args.insert(args.end(), operands.begin(), operands.end());
        return l.run(program, args, env, post);
    };
    for (const auto& [program, p] : table) {
        for (const auto& option : p.taken) {
            INFO(program << " " << option[0]);
            auto r = run(program, option, p.operands);
            INFO(r.err);
            CHECK_FALSE(contains(r.err, "unknown option"));
            CHECK_FALSE(contains(r.err, ": usage: "));
            CHECK_FALSE(contains(r.err, "not supported yet"));
        }
        for (const auto& option : p.refused) {
            INFO(program << " " << option[0]);
            auto r = run(program, option, p.operands);
            CHECK(r.exit_code == 100);
            CHECK(contains(r.err, "option " + option[0] + " of ezmlm-idx 7 is not supported yet"));
        }
        for (const char* v : {"-v", "-V"}) {
            INFO(program << " " << v);
            auto r = run(program, {v}, p.operands);
            CHECK(r.exit_code == 0);
            CHECK(r.err.starts_with("ezmlm version: "));
        }
    }
}

TEST_CASE("ezmlm-make -+ edits a list keeping the switches not given",
          "[scenario][lists][options]") {
    OptList l({"-m"});
    REQUIRE(fs::exists(l.dir + "/modpost"));
    auto r = l.run("ezmlm-make", {"-+", "-g", l.dir});
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(fs::exists(l.dir + "/modpost"));    // -m kept
    CHECK(fs::exists(l.dir + "/subgetonly")); // -g added
    // -C (tests/scenario/lists/ezmlmrc_test.cpp): a missing ezmlmrc changes nothing.
    auto rc = l.run("ezmlm-make", {"-C", l.tmp / "ezmlmrc", "-+", "-M", l.dir});
    CHECK(rc.exit_code == 100);
    CHECK(contains(rc.err, "does not exist"));
    CHECK(fs::exists(l.dir + "/modpost"));
}
