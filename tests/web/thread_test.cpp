// JWZ threading in the web index, message by message as the indexer adds them: replies
// before their parents, missing parents, the subject as a fallback, loops in References.
// And the FTS5 table finds what the messages say.
#include "qm/lists/core/mime.hpp"
#include "qm/web/index/index.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>

using namespace qm::web;

namespace {

struct Fixture {
    qmtest::TempDir tmp;
    Index index = open();
    std::int64_t clock = 1700000000;

    Index open() {
        auto i = Index::open(tmp / "index.sqlite", "[team]");
        REQUIRE(i);
        return std::move(*i);
    }
    // Adds message n in its own batch.
    void add(unsigned long n, const std::string& id, const std::string& subject,
             std::vector<std::string> refs = {}, std::string body = "words") {
        IndexedMessage m;
        m.message_id = id;
        m.subject = subject;
        m.references = std::move(refs);
        m.body_text = std::move(body);
        m.from_address = "someone@elsewhere.org";
        m.date = clock += 60;
        REQUIRE(index.begin());
        REQUIRE(index.add(n, m));
        REQUIRE(index.commit(n));
    }
    MessageRow row(unsigned long n) {
        auto r = index.message(n);
        REQUIRE(r);
        REQUIRE(*r);
        return **r;
    }
    unsigned long thread(unsigned long n) { return row(n).thread; }
    std::optional<unsigned long> parent(unsigned long n) { return row(n).parent; }
    // Every thread's message count adds up to the messages, and each thread row agrees
    // with its messages.
    void check_threads() {
        auto counts = index.counts();
        REQUIRE(counts);
        std::set<unsigned long> seen;
        unsigned long total = 0;
        for (unsigned long n = 1; n <= counts->messages + counts->missing + 10; ++n) {
            auto r = index.message(n);
            REQUIRE(r);
            if (!*r || seen.contains((*r)->thread))
                continue;
            seen.insert((*r)->thread);
            auto t = index.thread((*r)->thread);
            REQUIRE(t);
            REQUIRE(*t);
            auto members = index.thread_messages((*r)->thread);
            REQUIRE(members);
            CHECK((*t)->messages == members->size());
            total += members->size();
            auto root = index.message((*t)->root);
            REQUIRE(root);
            REQUIRE(*root);
            CHECK_FALSE((*root)->parent);
        }
        CHECK(total == counts->messages);
        CHECK(seen.size() == counts->threads);
    }
};

} // namespace

TEST_CASE("replies join their parent's thread in order", "[web][thread]") {
    Fixture f;
    f.add(1, "a@x", "[team] Topic");
    f.add(2, "b@x", "Re: [team] Topic", {"a@x"});
    f.add(3, "c@x", "Re: [team] Topic", {"a@x", "b@x"});
    f.add(4, "d@x", "Other");
    CHECK(f.thread(2) == 1);
    CHECK(f.thread(3) == 1);
    CHECK(f.parent(2) == 1UL);
    CHECK(f.parent(3) == 2UL);
    CHECK(f.thread(4) == 4);
    auto t = f.index.thread(1);
    REQUIRE(t);
    REQUIRE(*t);
    CHECK((*t)->messages == 3);
    CHECK((*t)->root == 1);
    CHECK((*t)->subject == "[team] Topic");
    f.check_threads();
}

TEST_CASE("a reply indexed before its parent ends up under it", "[web][thread]") {
    Fixture f;
    // The grandchild first, then the child, then the root: three threads merge into one.
    f.add(1, "c@x", "Re: Topic", {"a@x", "b@x"});
    f.add(2, "b@x", "Re: Topic", {"a@x"});
    CHECK(f.thread(1) == f.thread(2));
    CHECK(f.parent(1) == 2UL);
    f.add(3, "a@x", "Topic");
    CHECK(f.thread(3) == f.thread(1));
    CHECK(f.parent(2) == 3UL);
    CHECK(f.parent(1) == 2UL);
    CHECK_FALSE(f.parent(3));
    auto t = f.index.thread(f.thread(3));
    REQUIRE(t);
    REQUIRE(*t);
    CHECK((*t)->root == 3);
    CHECK((*t)->messages == 3);
    auto counts = f.index.counts();
    REQUIRE(counts);
    CHECK(counts->threads == 1);
    f.check_threads();
}

TEST_CASE("a missing parent still holds its replies together", "[web][thread]") {
    Fixture f;
    f.add(1, "root@x", "Topic");
    // m@x was never archived (sent to one person only); two replies to it and one to one
    // of them.
    f.add(2, "r1@x", "Re: Topic", {"root@x", "m@x"});
    f.add(3, "r2@x", "Re: Topic", {"root@x", "m@x"});
    f.add(4, "r3@x", "Re: Topic", {"m@x", "r1@x"});
    // Siblings under a missing parent with no known ancestor: one thread all the same.
    f.add(5, "s1@x", "Re: Elsewhere", {"gone@x"});
    f.add(6, "s2@x", "Re: Elsewhere", {"gone@x"});
    CHECK(f.thread(2) == 1);
    CHECK(f.thread(3) == 1);
    CHECK(f.thread(4) == 1);
    // The nearest message present is the parent (JWZ's empty container pruned).
    CHECK(f.parent(2) == 1UL);
    CHECK(f.parent(4) == 2UL);
    CHECK(f.thread(5) == f.thread(6));
    CHECK_FALSE(f.parent(5));
    CHECK_FALSE(f.parent(6));
    f.check_threads();
}

TEST_CASE("the subject threads replies that carry no references", "[web][thread]") {
    Fixture f;
    f.add(1, "a@x", "[team] Meeting on Friday");
    // A mailer that keeps no References, and the list's prefix in another place.
    f.add(2, "b@x", "RE: [team] meeting on  friday");
    f.add(3, "c@x", "Aw: Meeting on Friday");
    CHECK(f.thread(2) == 1);
    CHECK(f.thread(3) == 1);
    CHECK(f.parent(2) == 1UL);
    // Two posts that are not replies stay apart even with the same subject.
    f.add(4, "d@x", "Meeting on Friday");
    CHECK(f.thread(4) == 4);
    // A reply without references that arrived before the post it answers is gathered
    // when that post comes.
    f.add(5, "e@x", "Re: Lunch");
    f.add(6, "f@x", "Lunch");
    CHECK(f.thread(5) == f.thread(6));
    CHECK(f.parent(5) == 6UL);
    // Subjects reduced to nothing never match.
    f.add(7, "g@x", "Re: [team]");
    f.add(8, "h@x", "Re: [team] ");
    CHECK(f.thread(7) != f.thread(8));
    f.check_threads();
}

TEST_CASE("references that loop do not make a loop of parents", "[web][thread]") {
    Fixture f;
    // Each names the other as its parent; and one names itself.
    f.add(1, "a@x", "Re: loop", {"b@x"});
    f.add(2, "b@x", "Re: loop", {"a@x"});
    CHECK(f.thread(1) == f.thread(2));
    const auto p1 = f.parent(1), p2 = f.parent(2);
    CHECK_FALSE((p1 == 2UL && p2 == 1UL));
    CHECK((!p1 || !p2));
    f.add(3, "c@x", "self", {"c@x", "c@x"});
    CHECK_FALSE(f.parent(3));
    // A longer cycle: x -> y -> z -> x.
    f.add(4, "x@x", "Re: ring", {"z@x"});
    f.add(5, "y@x", "Re: ring", {"x@x"});
    f.add(6, "z@x", "Re: ring", {"y@x"});
    for (unsigned long n : {4UL, 5UL, 6UL}) {
        // Walking up from any of them ends.
        std::optional<unsigned long> p = n;
        int steps = 0;
        while (p && steps < 10) {
            p = f.parent(*p);
            ++steps;
        }
        CHECK(steps < 10);
    }
    f.check_threads();
}

TEST_CASE("adding a message twice changes nothing", "[web][thread]") {
    Fixture f;
    f.add(1, "a@x", "Topic");
    f.add(2, "b@x", "Re: Topic", {"a@x"});
    f.add(2, "other@x", "Different", {});
    CHECK(f.row(2).message_id == "b@x");
    auto counts = f.index.counts();
    REQUIRE(counts);
    CHECK(counts->messages == 2);
    CHECK(counts->searchable == 2);
}

TEST_CASE("FTS finds words of a base64 Latin-1 body and of headers", "[web][search]") {
    Fixture f;
    const std::string body = qm::lists::encode_base64("Die Stra\xdf"
                                                      "enbahn f\xe4hrt nach K\xf6ln.\n");
    const auto m = index_message("From: =?iso-8859-1?q?J=FCrgen?= <j@example.de>\n"
                                 "Subject: =?iso-8859-1?q?Gr=FC=DFe?=\n"
                                 "Message-ID: <k@x>\n"
                                 "Content-Type: text/plain; charset=iso-8859-1\n"
                                 "Content-Transfer-Encoding: base64\n\n" +
                                 body);
    REQUIRE(f.index.begin());
    REQUIRE(f.index.add(1, m));
    REQUIRE(f.index.commit(1));
    f.add(2, "other@x", "unrelated", {}, "nothing here about trams");
    auto find = [&](const std::string& q) {
        INFO(q);
        auto r = f.index.search(q);
        REQUIRE(r);
        return *r;
    };
    using V = std::vector<unsigned long>;
    CHECK(find("Straßenbahn") == V{1});
    CHECK(find("strassenbahn").empty()); // no German folding, but:
    CHECK(find("koln") == V{1});         // diacritics fold away
    CHECK(find("Köln") == V{1});
    CHECK(find("\"fährt nach\"") == V{1});
    CHECK(find("subject:grüße") == V{1});
    CHECK(find("author:jürgen") == V{1});
    CHECK(find("author:example") == V{1});
    CHECK(find("trams") == V{2});
    CHECK(find("body:grüße").empty());
}

namespace {

// A forest of threads as mailers make them: each reply references the path from its
// thread's root to its parent (sometimes only its parent, as mailers that cut References
// short), and some messages never reach the archive.
struct Mail {
    std::string id;
    std::vector<std::string> refs;
    bool archived = true;
};

struct Dice {
    unsigned long state;
    size_t next(size_t n) {
        state = state * 6364136223846793005UL + 1442695040888963407UL;
        return (state >> 33) % n;
    }
};

std::vector<Mail> forest(unsigned long seed) {
    Dice dice{seed};
    std::vector<Mail> out;
    for (int tree = 0; tree < 15; ++tree) {
        const size_t n = 3 + dice.next(12);
        std::vector<std::vector<std::string>> paths; // root..node
        for (size_t i = 0; i < n; ++i) {
            Mail m;
            m.id = "t" + std::to_string(tree) + "n" + std::to_string(i) + "@x";
            std::vector<std::string> path;
            if (i > 0) {
                path = paths[dice.next(i)];
                m.refs = path;
                if (dice.next(4) == 0)
                    m.refs.erase(m.refs.begin(), m.refs.end() - 1);
            }
            path.push_back(m.id);
            paths.push_back(path);
            m.archived = dice.next(6) != 0;
            out.push_back(std::move(m));
        }
    }
    return out;
}

struct Outcome {
    std::map<std::string, std::string> parent; // id -> parent's id ("" for none)
    std::set<std::set<std::string>> threads;
};

// The archived mails indexed in the order given, each with a subject of its own (so that
// only references count).
Outcome index_in_order(const std::vector<Mail>& mails, const std::vector<size_t>& order) {
    qmtest::TempDir tmp;
    auto index = Index::open(tmp / "index.sqlite");
    REQUIRE(index);
    std::map<unsigned long, std::string> id_of;
    unsigned long n = 0;
    REQUIRE(index->begin());
    for (size_t i : order) {
        if (!mails[i].archived)
            continue;
        IndexedMessage m;
        m.message_id = mails[i].id;
        m.references = mails[i].refs;
        m.subject = "subject " + mails[i].id;
        m.date = 1700000000 + static_cast<std::int64_t>(i);
        id_of[++n] = m.message_id;
        REQUIRE(index->add(n, m));
    }
    REQUIRE(index->commit(n));
    Outcome o;
    std::map<unsigned long, std::set<std::string>> threads;
    for (const auto& [num, id] : id_of) {
        auto r = index->message(num);
        REQUIRE(r);
        REQUIRE(*r);
        o.parent[id] = (*r)->parent ? id_of.at(*(*r)->parent) : "";
        threads[(*r)->thread].insert(id);
    }
    for (auto& [t, ids] : threads)
        o.threads.insert(ids);
    return o;
}

} // namespace

TEST_CASE("whatever the order of arrival the threads and parents are the same", "[web][thread]") {
    for (unsigned long seed : {1UL, 2UL, 3UL}) {
        INFO("seed " << seed);
        const auto mails = forest(seed);
        std::vector<size_t> order(mails.size());
        for (size_t i = 0; i < order.size(); ++i)
            order[i] = i;
        const Outcome in_order = index_in_order(mails, order);
        // Every thread of the forest is one thread of the index at least where its root
        // is archived... and never two trees in one.
        for (const auto& ids : in_order.threads) {
            const std::string tree = ids.begin()->substr(0, ids.begin()->find('n'));
            for (const auto& id : ids)
                CHECK(id.substr(0, id.find('n')) == tree);
        }
        Dice dice{seed * 7};
        for (int shuffle = 0; shuffle < 4; ++shuffle) {
            for (size_t i = order.size(); i > 1; --i)
                std::swap(order[i - 1], order[dice.next(i)]);
            const Outcome shuffled = index_in_order(mails, order);
            CHECK(shuffled.parent == in_order.parent);
            CHECK(shuffled.threads == in_order.threads);
        }
        // Reversed: every reply before its parent.
        std::sort(order.rbegin(), order.rend());
        const Outcome reversed = index_in_order(mails, order);
        CHECK(reversed.parent == in_order.parent);
        CHECK(reversed.threads == in_order.threads);
    }
}

TEST_CASE("replies under a missing message go under the post of their subject in any order",
          "[web][thread]") {
    // x@x never reached the list; a and b answer it (their mailer kept only x in
    // References), r is the post x answered. JWZ: x's container goes under r by subject.
    auto run = [](const std::vector<int>& order) {
        Fixture f;
        std::map<int, unsigned long> num;
        unsigned long n = 0;
        for (int which : order) {
            ++n;
            num[which] = n;
            if (which == 0)
                f.add(n, "r@x", "Plans");
            else
                f.add(n, which == 1 ? "a@x" : "b@x", "Re: Plans", {"x@x"});
        }
        CHECK(f.parent(num[1]) == num[0]);
        CHECK(f.parent(num[2]) == num[0]);
        CHECK(f.thread(num[1]) == f.thread(num[0]));
        CHECK(f.thread(num[2]) == f.thread(num[0]));
        f.check_threads();
    };
    run({0, 1, 2});
    run({1, 0, 2});
    run({1, 2, 0});
}

TEST_CASE("deep and wide threads cost time linear in their size", "[web][thread][limits]") {
    // 20,000 replies each to the one before (a walk up for every loop check would be
    // quadratic), then 20,000 replies all to one root (reading every earlier reply's
    // references for each would be too).
    using clock = std::chrono::steady_clock;
    const auto start = clock::now();
    qmtest::TempDir tmp;
    auto index = Index::open(tmp / "index.sqlite");
    REQUIRE(index);
    REQUIRE(index->begin());
    constexpr unsigned long n = 20000;
    for (unsigned long i = 1; i <= 2 * n; ++i) {
        IndexedMessage m;
        m.message_id = std::to_string(i) + "@x";
        m.date = 1700000000 + static_cast<std::int64_t>(i);
        if (i > 1 && i <= n) {
            m.subject = "Re: deep";
            m.references = {"1@x", std::to_string(i - 1) + "@x"};
        } else if (i > n + 1) {
            m.subject = "Re: wide";
            m.references = {std::to_string(n + 1) + "@x"};
        } else {
            m.subject = i == 1 ? "deep" : "wide";
        }
        REQUIRE(index->add(i, m));
    }
    REQUIRE(index->commit(2 * n));
    CHECK(clock::now() - start < std::chrono::seconds(30));
    auto deep = index->thread(1);
    auto wide = index->thread(n + 1);
    REQUIRE(deep);
    REQUIRE(wide);
    REQUIRE(*deep);
    REQUIRE(*wide);
    CHECK((*deep)->messages == n);
    CHECK((*wide)->messages == n);
    auto last = index->message(n);
    REQUIRE(last);
    REQUIRE(*last);
    CHECK((*last)->parent == n - 1);
}
