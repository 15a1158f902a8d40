// The header block of a message (qmail-header(5) "MESSAGE STRUCTURE"): fields with their
// continuation lines, the field names qmail-inject knows, and unfolding. Splitting follows
// qmail's headerbody: the header ends at an empty line or at the first line that cannot
// start a field (a blank line is then inserted); an mbox "From " line in the header becomes
// an "MBOX-Line:" field; a last line without a newline gets one. Lines end in LF; any
// other byte, NUL included, passes through. Pure functions, no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace qm::inject {

enum class FieldKind : std::uint8_t {
    unknown,
    sender,
    from,
    reply_to,
    to,
    cc,
    bcc,
    date,
    message_id,
    subject,
    resent_sender,
    resent_from,
    resent_reply_to,
    resent_to,
    resent_cc,
    resent_bcc,
    resent_date,
    resent_message_id,
    return_receipt_to,
    errors_to,
    apparently_to,
    received,
    return_path,
    delivered_to,
    content_length,
    content_type,
    content_transfer_encoding,
    notice_requested_upon_delivery_to,
    mail_followup_to,
    count_ // number of kinds
};

struct SplitMessage {
    std::vector<std::string> fields; // each with its continuation lines and final "\n"
    std::string body;                // from the separating empty line on; "" if none
};

[[nodiscard]] SplitMessage split_message(std::string_view message);

// A known field name, matched without regard to case, optionally followed by spaces or
// tabs before the colon.
[[nodiscard]] FieldKind field_kind(std::string_view field);
// Whether a line can start a header field: a non-empty name of printable non-space
// bytes, then optional blanks, then ':'.
[[nodiscard]] bool valid_field_start(std::string_view line);
// The name as written (without trailing blanks) and the value after the colon with
// leading whitespace skipped (continuation lines kept).
[[nodiscard]] std::string_view field_name(std::string_view field);
[[nodiscard]] std::string_view field_value(std::string_view field);
// RFC 5322 unfolding: every line break followed by a space or tab is removed; a final
// line break is dropped.
[[nodiscard]] std::string unfold(std::string_view text);

} // namespace qm::inject
