// One archived message as the web archive indexes it: the header fields a reader browses
// by (decoded to UTF-8), the references that thread it, the words that find it (its text
// parts, decoded) and what its attachments are. The message itself stays in the list's
// archive/; the index keeps only this. Pure functions, no I/O.
//
// Hostile mail costs bounded time and memory: at most Limits::message_bytes of a message
// are read, MIME nesting stops at qm::lists::max_mime_depth (and at Limits::enclosed_depth
// for message/rfc822 parts), at most Limits::parts parts are looked at, at most
// Limits::text_bytes of text are kept for search; a message cut short by any of them is
// marked truncated. Broken MIME never fails: the body is then read as one text part.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace qm::web {

struct Limits {
    size_t message_bytes = 32u << 20; // what is read of a message
    size_t parts = 500;               // MIME parts looked at
    size_t enclosed_depth = 3;        // message/rfc822 within message/rfc822
    size_t text_bytes = 1u << 20;     // body text kept for search
    size_t references = 64;           // the last ones of References are kept
    size_t attachments = 100;         // attachments listed
    size_t field_bytes = 2048;        // a subject, name or address
};

struct Attachment {
    unsigned part = 0;        // the leaf's number, 1 for the first, in document order
    std::string filename;     // decoded UTF-8 (RFC 2231 or 2047), "" for none
    std::string content_type; // "type/subtype", lower case
    std::uint64_t size = 0;   // decoded bytes
};

struct IndexedMessage {
    std::string message_id;              // without the angle brackets; "" for none
    std::int64_t date = 0;               // the Date field in UTC seconds; 0 unknown
    std::string from_name;               // decoded display name ("" for none)
    std::string from_address;            // addr-spec, ASCII lower-cased
    std::string subject;                 // decoded, one line
    std::string in_reply_to;             // its first message ID
    std::vector<std::string> references; // oldest first; In-Reply-To's last if not in
    std::string body_text;               // text/plain parts (else text/html as text)
    std::vector<Attachment> attachments;
    std::uint64_t size = 0;   // of the whole message, bytes
    bool truncated = false;   // a limit cut something off
    bool broken_mime = false; // its MIME structure could not be read as declared
};

// The record of message (the bytes of an archive file). Every string in it is valid
// UTF-8, whatever the input.
[[nodiscard]] IndexedMessage index_message(std::string_view message, const Limits& limits = {});

// The message IDs in a Message-ID, In-Reply-To or References value ("<a@b> <c@d>"),
// without angle brackets, in order. A value without any "<...>" gives its first word.
[[nodiscard]] std::vector<std::string> message_ids(std::string_view value);

// An RFC 5322 date (obsolete forms too: two-digit years, zone names such as "EST" or
// "GMT", no day of week, no seconds) in UTC seconds; nullopt-like 0 when it is not one.
[[nodiscard]] std::int64_t parse_date(std::string_view value);

// How a MIME part is shown: its file name (Content-Disposition's filename, else
// Content-Type's name; RFC 2231 and RFC 2047 forms decoded to UTF-8; "" for none) and
// whether it is an attachment (disposition "attachment", or any file name). The index
// and the pages decide alike, so a part the page links is one the index lists.
struct PartDisposition {
    std::string filename;
    bool attached = false;
};
[[nodiscard]] PartDisposition part_disposition(const std::vector<std::string>& fields);

// The display name and address of a From value, name decoded.
struct Mailbox {
    std::string name, address;
};
[[nodiscard]] Mailbox parse_mailbox(std::string_view value);

// The value of parameter name (lower case) in a Content-Type or Content-Disposition
// value, RFC 2231's forms included, decoded to UTF-8; "" when it is not there.
[[nodiscard]] std::string header_parameter(std::string_view value, std::string_view name);

} // namespace qm::web
