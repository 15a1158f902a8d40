// Sublists (ezmlm-idx's ezmlm-split and the sublist file, reference lists.md 1.3): a main
// list can hand the subscribers of given domains, or of hash ranges, to sublists on other
// hosts, and a sublist takes its posts only from its parent.
//
// dir/split, one rule a line ('#' comments and blank lines skipped), in ezmlm-idx 7's
// format and with its meaning (ezmlm-split(1), tested against the real one):
//   dom:lo:hi:sublist[@host]    lo defaults to 0, hi to 52; without @host the sublist is
//                               on this list's host; without sublist, "this list"
//   dom:lo:hi                   the same, this list
// An address's "domain key" is the two top labels of its domain in reverse order
// ("c.b" for d@a.b.c, "a" for d@a); a rule matches when dom is empty or a prefix of the
// key (ignoring case; "com" and "com.aol" match user@aol.com, "aol.com" does not) and the
// address's split hash (djb's hash of the lower-cased address in unsigned long, mod 53,
// as ezmlm-idx 7's subhash; no "T", unlike subscriber filing) is within lo..hi. The first
// matching rule wins; a rule for this list keeps the address here.
// Our older short form, domain:sublist@host, which ezmlm-idx refuses, keeps the meaning it
// had: the address's domain is domain or ends in ".domain", every hash.
// ezmlm-send sends one copy to each rule's sublist instead of to the list's own
// subscribers that a rule gives to a sublist; ezmlm-split forwards (un)subscribe requests
// for such addresses to the sublist.
//
// dir/sublist holds the parent's address (ezmlm-make -0 parent@host): posts must come
// from the parent's return path parent-return-...@parenthost, and they keep the parent's
// Mailing-List instead of being refused as a loop.
#pragma once

#include "qm/result.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qm::lists {

struct SplitRule {
    // How domain is matched: ezmlm-idx's domain-key prefix, or our older short form's
    // domain suffix.
    enum class Match : std::uint8_t { key_prefix, domain_suffix };
    std::string domain; // lower-case; empty matches every domain
    unsigned lo = 0, hi = 52;
    std::string sublist; // the sublist's posting address; empty: this list
    Match match = Match::key_prefix;
    friend bool operator==(const SplitRule&, const SplitRule&) = default;
};

// One line of dir/split; a malformed one is a permanent failure saying why. host
// completes a sublist named without @host (ezmlm-idx's local sublist); without host such
// a line is malformed.
[[nodiscard]] Result<SplitRule> parse_split_rule(std::string_view line, std::string_view host = {});
// ezmlm-idx 7's split hash (0..52) and domain key of an address (see above).
[[nodiscard]] unsigned split_hash(std::string_view address);
[[nodiscard]] std::string split_domain_key(std::string_view address);
// Every rule of dir/split (none without the file). A bad line is a temporary failure
// naming the file and line: the post or request waits for the owner's fix. file: another
// split file (ezmlm-split's splitfile), relative to dir unless absolute.
[[nodiscard]] Result<std::vector<SplitRule>> read_split(const std::string& dir,
                                                        const std::string& file = "split");
// The sublist serving an address, or nullopt when this list does (no rule, or a rule
// for this list, matches).
[[nodiscard]] std::optional<std::string> split_target(const std::vector<SplitRule>& rules,
                                                      std::string_view address);

// Who gets a post of the list in dir: its subscribers that no split rule matches, in
// ezmlm's order, then each rule's sublist once.
[[nodiscard]] Result<std::vector<std::string>> post_recipients(const std::string& dir);

// dir/sublist: the parent list's address, nullopt for a main list.
[[nodiscard]] Result<std::optional<std::string>> read_parent(const std::string& dir);
// dir/sublistreturn (our addition, for parents that are not ezmlm lists, which dynasub
// makes): the local-part prefix of the parent's return paths, e.g. "list-bounces" for
// Mailman or mlmmj; nullopt (the file is absent) means ezmlm's "parentlocal-return-".
[[nodiscard]] Result<std::optional<std::string>> read_parent_return(const std::string& dir);
// True if sender is the parent's return path: parentlocal-return-...@parenthost (or
// return_prefix...@parenthost when given), the host ignoring case.
[[nodiscard]] bool from_parent(std::string_view parent, std::string_view sender,
                               const std::optional<std::string>& return_prefix = std::nullopt);

// ezmlm-split: for a request in $DEFAULT (the part after "outlocal-"), the sublist's
// command address it goes to, e.g. "subscribe-joe=far.example" with a rule for
// far.example gives "sub-subscribe-joe=far.example@subhost". Only subscribe and
// unsubscribe (with or without -box=domain; without, the target is sender) are split;
// anything else, or no matching rule, gives nullopt.
[[nodiscard]] std::optional<std::string> split_request(const std::vector<SplitRule>& rules,
                                                       std::string_view request,
                                                       std::string_view sender);

} // namespace qm::lists
