#include "qm/address.hpp"
#include "qm/fd.hpp"
#include "qm/send/bounce.hpp"
#include "qm/send/pass_plan.hpp"
#include "qm/send/records.hpp"

#include <catch2/catch.hpp>

#include <sys/mman.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

using namespace qm::send;

namespace {

struct Rcpt {
    off_t offset;
    std::string address;
    bool operator==(const Rcpt&) const = default;
};
using Groups = std::vector<std::vector<Rcpt>>;

// A list's channel file: n recipients over `domains` domains (every third one's domain in
// capitals, which must not split its attempts), every seventh record done already, a
// repeated address now and then, and a torn final record.
std::string list_file(size_t n, size_t domains) {
    std::string bytes;
    std::vector<std::string> written;
    for (size_t i = 0; i < n; ++i) {
        const size_t d = i % domains;
        std::string address =
            "subscriber" + std::to_string(i) + "@member-" + std::to_string(d) + ".example";
        if (i / domains % 3 == 0)
            address =
                "subscriber" + std::to_string(i) + "@MEMBER-" + std::to_string(d) + ".Example";
        if (i % 97 == 0 && i >= domains)
            address = written[i - domains]; // the same domain's, so the same attempts
        written.push_back(address);
        bytes += channel_record(address);
        if (i % 7 == 0)
            bytes[bytes.rfind('T')] = 'D';
    }
    return bytes + "Ttorn@member-0.exam";
}

// The attempts as qmail-send cut them before it held a pass compactly: a string per
// record, a map from (lowercased domain, VERP-expanded sender) to its open attempt, a new
// attempt when that one is full; attempts in the order they were opened.
Groups reference_groups(const std::string& bytes, const std::string& sender, size_t max) {
    Groups groups;
    std::map<std::string, size_t> open;
    for (const auto& r : parse_channel(bytes)) {
        if (r.done)
            continue;
        std::string key;
        if (max > 1)
            key = qm::address::lowercase(qm::address::split(r.address).domain) + '\0' +
                  verp_expand(sender, r.address);
        auto g = open.find(key);
        if (g == open.end() || groups[g->second].size() >= max) {
            open[key] = groups.size();
            groups.emplace_back();
        }
        groups[open[key]].push_back({r.offset, r.address});
    }
    return groups;
}

// A channel file as qmail-send opens it (read-write), holding bytes.
qm::UniqueFd file_of(const std::string& bytes) {
    qm::UniqueFd fd(::memfd_create("channel", MFD_CLOEXEC));
    REQUIRE(fd);
    REQUIRE(qm::write_all(fd.get(), bytes));
    return fd;
}

PassPlan plan_of(const std::string& bytes, const std::string& sender, size_t max) {
    auto plan = PassPlan::make(file_of(bytes), sender, max);
    REQUIRE(plan);
    return std::move(*plan);
}

// Every attempt the plan hands out, checking on the way that each recipient comes once.
Groups drain(PassPlan& plan) {
    Groups groups;
    std::set<std::uint32_t> seen;
    size_t handed = 0;
    for (auto g = plan.next_group(); !g.empty(); g = plan.next_group()) {
        handed += g.size();
        CHECK(plan.untried() == plan.size() - handed);
        groups.emplace_back();
        for (auto i : g) {
            CHECK(i < plan.size());
            CHECK(seen.insert(i).second);
            auto address = plan.address(i);
            REQUIRE(address);
            groups.back().push_back({plan.offset(i), *address});
        }
    }
    CHECK(seen.size() == plan.size());
    CHECK(plan.exhausted());
    CHECK(plan.next_group().empty());
    return groups;
}

} // namespace

TEST_CASE("a pass over 20,000 recipients hands out each once, in qmail-send's attempts",
          "[send][pass]") {
    const std::string bytes = list_file(20000, 150);
    const size_t undone = 20000 - (20000 + 6) / 7;
    struct Case {
        const char* what;
        std::string sender;
        size_t max;
        size_t widest; // the largest attempt
    };
    for (const auto& c :
         {Case{"plain sender: by domain, 100 each", "list@lists.example", 100, 100},
          Case{"VERP: one each, a repeated address together", "list-@lists.example-@[]", 100, 2},
          Case{"plain sender, 7 each", "list@lists.example", 7, 7},
          Case{"local: one each", "list@lists.example", 1, 1}}) {
        SECTION(c.what) {
            PassPlan plan = plan_of(bytes, c.sender, c.max);
            CHECK(plan.size() == undone);
            CHECK(plan.untried() == undone);
            const Groups expected = reference_groups(bytes, c.sender, c.max);
            const Groups got = drain(plan);
            CHECK(got.size() == expected.size());
            CHECK(got == expected);
            size_t widest = 0;
            for (const auto& g : got)
                widest = std::max(widest, g.size());
            CHECK(widest == c.widest);
        }
    }
}

TEST_CASE("a pass costs at most 16 bytes per recipient, not the channel file's bytes",
          "[send][pass]") {
    for (size_t n : {1000, 20000}) {
        const std::string bytes = list_file(n, 150);
        for (const char* sender : {"list-@lists.example-@[]", "list@lists.example"}) {
            PassPlan plan = plan_of(bytes, sender, 100);
            drain(plan); // reads addresses: the window is there too
            INFO(n << " recipients, " << bytes.size() << " bytes of file, " << plan.memory_bytes()
                   << " bytes held");
            CHECK(plan.memory_bytes() <=
                  sizeof(PassPlan) + PassPlan::window_size + 16 * plan.size());
        }
    }
}

TEST_CASE("a pass reads back addresses longer than its window, and ones it skipped to",
          "[send][pass]") {
    const std::string long_local(PassPlan::window_size + 100, 'x');
    const std::string bytes = channel_record("a@one.example") +
                              channel_record(long_local + "@two.example") +
                              channel_record("b@one.example") + channel_record("c@three.example");
    PassPlan plan = plan_of(bytes, "list@lists.example", 100);
    const Groups got = drain(plan);
    CHECK(got ==
          Groups{{{0, "a@one.example"}, {static_cast<off_t>(bytes.find("Tb@")), "b@one.example"}},
                 {{15, long_local + "@two.example"}},
                 {{static_cast<off_t>(bytes.find("Tc@")), "c@three.example"}}});
    // Out of order, as a later pass after deferrals might not be, still right.
    CHECK(plan.address(3) == "c@three.example");
    CHECK(plan.address(0) == "a@one.example");
    CHECK(plan.address(1) == long_local + "@two.example");
}

TEST_CASE("a pass without recipients to deliver", "[send][pass]") {
    using namespace std::string_literals;
    for (const std::string& bytes : {""s, "Da@b\0Dc@d\0"s, "Ta@b"s}) {
        PassPlan plan = plan_of(bytes, "x@y", 100);
        CHECK(plan.size() == 0);
        CHECK(plan.exhausted());
        CHECK(plan.next_group().empty());
    }
}
