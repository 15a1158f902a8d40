// The archive collection (ezmlm-get(1), ezmlm-idx's formats): the archived messages of a
// number range, each with its index entry, made into one message. ezmlm-get's answers
// (get.hpp) and the digests (digest.hpp) are both made this way. The formats are
// ezmlm-idx's: m (multipart/digest with the main header fields of each message), x (the
// same as multipart/mixed), v (virgin: whole messages), n (native: v without threading
// and without table of contents) and r (the plain-text digest of RFC 1153, rfc1153.hpp).
#pragma once

#include "qm/lists/archive/archive_index.hpp"
#include "qm/lists/core/listdir.hpp"
#include "qm/result.hpp"

#include <optional>
#include <string>
#include <vector>

namespace qm::lists {

enum class CollectionFormat : char {
    mime = 'm',
    mixed = 'x',
    virgin = 'v',
    native = 'n',
    rfc1153 = 'r'
};

// The format a letter names (lower case), nullopt for a letter that names none.
[[nodiscard]] std::optional<CollectionFormat> collection_format(char letter);

// Message numbers from..to, both included.
struct MessageRange {
    unsigned long from = 0, to = 0;
};

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

} // namespace qm::lists
