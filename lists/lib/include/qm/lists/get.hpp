// ezmlm-get: archive retrieval by mail (ezmlm-get(1), reference lists.md 1.5). Run from
// the list's manager file before ezmlm-manage, it answers
//   list-get[f].N[_M]   messages N..M (at most 100; default the last 30 or those since
//                       the last digest) as one MIME digest,
//   list-index[.N[_M]]  the subject/author index in blocks of 100,
//   list-thread[f].N    every message with message N's subject,
//   list-dig.CODE[f]    a digest now (see digest.hpp),
// and passes anything else on to the next program. The formats f are ezmlm-idx's: m (the
// default: multipart/digest with the main header fields of each message), x (the same
// as multipart/mixed), v (virgin: whole messages), n (native: v without threading and
// without table of contents) and r (the plain-text digest of RFC 1153, rfc1153.hpp).
#pragma once

#include "qm/lists/archive_index.hpp"
#include "qm/lists/listdir.hpp"
#include "qm/result.hpp"

#include <sys/types.h>

#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qm::lists {

// ezmlm-idx's limits (idx.h).
inline constexpr unsigned long max_get = 100;
inline constexpr unsigned long history_get = 30;
inline constexpr unsigned long max_index = 2000;
inline constexpr unsigned long thread_before = 2000;
inline constexpr unsigned long thread_after = 2000;

enum class CollectionFormat : char {
    mime = 'm',
    mixed = 'x',
    virgin = 'v',
    native = 'n',
    rfc1153 = 'r'
};

enum class RequestKind { none, get, index, thread, digest };

struct ArchiveRequest {
    RequestKind kind = RequestKind::none;
    std::optional<CollectionFormat> format; // given with the request
    unsigned long first = 0, second = 0;    // 0: not given
};

// Parses the action ($DEFAULT, the local part after "outlocal-"). "get", "index" and
// "thread" may be followed by a format letter, then '.', '-' or nothing, then N, then any
// non-digit and M. "digest" alone is "get" with the default range. "dig.CODE[f]" (or
// "dig-CODE") is a digest request: CODE must match digest_code ignoring case. Anything
// else is RequestKind::none. An unknown format letter, or a wrong or missing digest code,
// is a permanent failure saying so.
[[nodiscard]] Result<ArchiveRequest> parse_request(std::string_view action,
                                                   std::optional<std::string_view> digest_code);

struct MessageRange {
    unsigned long from = 0, to = 0;
};
// ezmlm-get's range for get.N_M given the last message number max and dir/dignum's last
// digested message (0: no digest yet). Never more than max_get messages, never beyond max.
[[nodiscard]] MessageRange get_range(unsigned long first, unsigned long second, unsigned long max,
                                     unsigned long last_digested);
// The index blocks (archive/<block>/index) for index.N_M.
[[nodiscard]] MessageRange index_blocks(unsigned long first, unsigned long second,
                                        unsigned long max);

// One message of a collection, from the archive and its index.
struct CollectedMessage {
    unsigned long number = 0;
    std::optional<std::string> text; // nullopt: not in the archive (or not yet complete)
    IndexEntry entry;                // subject, author and hashes (index or message)
};
// Messages from..to. A message counts as archived only once its owner-exec bit is set.
[[nodiscard]] Result<std::vector<CollectedMessage>>
collect_messages(const std::string& dir, unsigned long from, unsigned long to);

struct CollectionOptions {
    CollectionFormat format = CollectionFormat::mime;
    std::string heading;                // first line of the text part (the subject)
    std::optional<MessageRange> topics; // "Topics (messages N through M):" line
    bool thread_order = true;           // group messages by subject (indexed lists)
    std::string administrivia;          // after the table of contents
    std::string charset = "us-ascii";   // of the heading and administrivia
    std::optional<unsigned long> issue; // a digest's issue number (the r format's trailer)
};
struct CollectionText {
    std::string content_type; // the top-level Content-Type value
    std::string body;
};
// The MIME collection (m, x, v, n): a text/plain part with heading, table of contents and
// administrivia, then one message/rfc822 part per message (text/plain with text/get-bad
// for a missing one). The r format: one text/plain body, the same preamble ending in a
// line of 70 hyphens, each message as rfc1153_message makes it (a missing one as
// "Subject: message N is not in the archive" and text/get-bad) between separator lines,
// then rfc1153_trailer(outlocal, issue); charset us-ascii when the
// body is ASCII, else utf-8, everything having been converted to UTF-8.
[[nodiscard]] Result<CollectionText> format_collection(const ListInfo& list,
                                                       const std::vector<CollectedMessage>& msgs,
                                                       const CollectionOptions& options);

// The list's default format (dir/digformat's first letter, else m).
[[nodiscard]] Result<CollectionFormat> default_format(const std::string& dir);
// dir/charset without its ":Q"/":B" suffix, us-ascii when absent.
[[nodiscard]] Result<std::string> list_charset(const std::string& dir);

// What qmail-local tells the program (environment).
struct GetEnvironment {
    std::optional<std::string> local, default_part, sender;
    std::optional<std::string> digest_code; // the command-line argument
    std::time_t now = 0;
};

struct GetOutcome {
    int exit_code = 0; // 0: not for us (or nothing to do), 99: handled
    pid_t qp = 0;      // the reply's or digest's qmail-queue, 0 if none
    std::string info;  // for the log line
};
// The whole of ezmlm-get for list directory dir and the message on stdin.
[[nodiscard]] Result<GetOutcome> run_get(const std::string& dir, const GetEnvironment& env,
                                         std::string_view message);

} // namespace qm::lists
