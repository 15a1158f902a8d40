// DMARC mitigation for ezmlm-send (ezmlm-idx's rewritefrom, Mailman 3's munge_from): a
// post whose From domain publishes p=reject or p=quarantine would fail DMARC at the
// subscribers' receivers once the list has changed its Subject or body, so its From
// becomes "Poster via list" <list@host> and the poster moves to Reply-To (or Cc).
//
// The policy is the TXT record at _dmarc.<domain>, else at _dmarc.<organizational
// domain> (its sp= tag when present), looked up with c-ares through qm::dns's resolver
// (control/dnsservers, QMAIL_DNS_SERVER) and cached in dir/dmarccache so that a busy list
// asks DNS once an hour per domain, not once per post.
#pragma once

#include "qm/lists/core/listdir.hpp"
#include "qm/lists/core/parsed_post.hpp"
#include "qm/result.hpp"

#include <ctime>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qm::lists {

enum class DmarcPolicy { none, quarantine, reject };

struct DmarcRecord {
    DmarcPolicy policy = DmarcPolicy::none;      // p=
    std::optional<DmarcPolicy> subdomain_policy; // sp=
    friend bool operator==(const DmarcRecord&, const DmarcRecord&) = default;
};

// One TXT record (RFC 7489 6.3, 6.6.3): "v=DMARC1" first, then tag=value pairs separated
// by ';'. nullopt when it is no DMARC record. An unknown or missing p= is p=none (what
// RFC 7489 asks when rua= is present; without rua= such a record is no record, which
// comes to the same for us). Tag names and values are matched ignoring case.
[[nodiscard]] std::optional<DmarcRecord> parse_dmarc_record(std::string_view txt);
// From all TXT records of one _dmarc name: exactly one DMARC record counts; none or
// several (RFC 7489 6.6.3) mean no policy.
[[nodiscard]] std::optional<DmarcRecord> select_dmarc_record(const std::vector<std::string>& txt);

// The organizational domain (RFC 7489 3.2) by the Public Suffix List (libpsl, the same
// answer as the inbound DMARC check's): mail.example.co.uk -> example.co.uk,
// lists.example.com -> example.com, user.github.io -> user.github.io. Lower-cased,
// without a trailing dot.
[[nodiscard]] std::string organizational_domain(std::string_view domain);

// TXT records of a name; a failure is temporary (the resolver's answer, not "none").
using TxtLookup = std::function<Result<std::vector<std::string>>(const std::string& name)>;
// The resolver of remote delivery (control/dnsservers, QMAIL_DNS_SERVER, else
// /etc/resolv.conf) with short timeouts: 2 s per try, 2 tries. The configuration is read
// at the first lookup, so a post that needs none costs nothing.
[[nodiscard]] TxtLookup dns_txt_lookup();

// The policy that applies to mail From domain: _dmarc.domain, else the organizational
// domain's sp= (or p=). A temporary DNS failure is a temporary failure.
[[nodiscard]] Result<DmarcPolicy> lookup_dmarc_policy(std::string_view domain,
                                                      const TxtLookup& lookup);

// dir/dmarccache: one line per domain, "domain policy expires" with policy one of none,
// quarantine, reject, unknown (the lookup failed) and expires a decimal Unix time.
// Replaced atomically; expired lines are dropped when it is written.
class DmarcCache {
public:
    enum class Entry { none, quarantine, reject, unknown };
    [[nodiscard]] static Result<DmarcCache> load(const std::string& dir);
    [[nodiscard]] std::optional<Entry> get(const std::string& domain, std::time_t now) const;
    void put(const std::string& domain, Entry e, std::time_t expires);
    [[nodiscard]] bool changed() const { return changed_; }
    [[nodiscard]] Status save(std::time_t now) const;

private:
    std::string path_;
    std::map<std::string, std::pair<Entry, std::time_t>> entries_;
    bool changed_ = false;
};
inline constexpr std::time_t dmarc_cache_ttl = 3600;        // an answer, record or none
inline constexpr std::time_t dmarc_failure_cache_ttl = 300; // a failed lookup

// dir/dmarc: "auto" (the default: rewrite when the policy says so), "always" (also when
// dir/rewritefrom exists, as in ezmlm-idx) or "never". Anything else is a temporary
// failure naming the file (the post waits for the owner's fix instead of bouncing).
enum class DmarcMode { automatic, always, never };
[[nodiscard]] Result<DmarcMode> read_dmarc_mode(const std::string& dir);

// The domains of the addresses in the first From field (every mailbox of a group too),
// lower-cased, without duplicates; empty when there is no From or it cannot be parsed.
[[nodiscard]] std::vector<std::string> from_domains(const ParsedPost& post);

// The post with its From rewritten to "<poster> via <outlocal>" <list address>, where
// <poster> is the display name of the first From address (or the group name, or else the
// address itself). The original From value goes to a new Reply-To; if the post has a
// Reply-To already, it is kept and the original From addresses are added to Cc (a new Cc
// field, or the first one extended) unless Reply-To or Cc has them already. Every other
// header field and the body are left as they are. nullopt when there is no From with an
// address to rewrite. With reply_to_list (dir/replytolist: ezmlm-send sets Reply-To to
// the list) the original From goes to Cc as when the post has a Reply-To.
[[nodiscard]] std::optional<ParsedPost> munge_from(const ParsedPost& post, const ListInfo& list,
                                                   bool reply_to_list = false);

// What ezmlm-send does: the post as it is, or munged when dir/dmarc (or rewritefrom) and
// the From domains' policies ask for it. In "auto" mode a lookup that fails (timeout,
// SERVFAIL) counts as p=reject: a rewritten From never gets a post rejected, an
// untouched one might, and waiting for DNS would hold the list's mail. The failure is
// cached for dmarc_failure_cache_ttl. Fails only when the list's files cannot be read or
// written.
[[nodiscard]] Result<ParsedPost> apply_dmarc(const std::string& dir, const ListInfo& list,
                                             const ParsedPost& post, const TxtLookup& lookup);

} // namespace qm::lists
