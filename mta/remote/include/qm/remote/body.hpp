// A stored message (LF line ends, qmail's queue format) as SMTP DATA bytes: LF becomes
// CRLF and a leading '.' is doubled. A stored CR not followed by LF (qmail-smtpd keeps a
// client's bare CR in the body, and queues written before it made them spaces in the
// header may hold one there) never goes out raw: RFC 5321 section 2.3.8 forbids it, and
// a receiver that ends DATA at <CR>.<CR><LF> would be open to smuggling.
//  - In the header it is sent as a space (qm/header_cr.hpp): as a line break it would
//    split "Subject: a<CR>X-Injected: yes" into two fields, and the relayed message
//    would gain a header it did not have.
//  - In the body it is sent as a line break, CRLF, and the line after it is dot-stuffed
//    like any other: so no stored byte sequence can become an end-of-data at the next
//    hop (the a<CR>.<CR><LF> vector of mta.md section 5.3 goes out as "a\r\n..\r\n").
//    A line break in the body adds no header.
// A stored CR LF goes out as one CRLF, never CR CR LF.
//
// A message without a final newline gets one instead of qmail's "partial final line"
// refusal (#5.6.2): the bytes are the same but for the line end, and refusing would bounce
// mail that every other MTA delivers.
#pragma once

#include "qm/header_cr.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace qm::remote {

class BodyEncoder {
public:
    // Appends the wire form of the next stored bytes to out; any split of the input gives
    // the same output as feeding it whole.
    void feed(std::string_view in, std::string& out);
    // The final line end if one is missing, then ".\r\n".
    void finish(std::string& out);

private:
    void encode(std::string_view in, std::string& out);

    HeaderCrFilter header_;
    std::string checked_; // the input with the header's bare CRs made spaces
    bool line_start_ = true;
    bool pending_cr_ = false; // a CR whose successor has not been seen yet
};

// What MAIL FROM's parameters say about a stored message, gathered over its bytes in
// pieces: SIZE= (RFC 1870) is an estimate of the message with CRLF line ends, and
// BODY=8BITMIME (RFC 6152) is declared only when some byte has the high bit set.
struct BodyFacts {
    std::uint64_t stored_bytes = 0;
    std::uint64_t line_feeds = 0;
    bool eight_bit = false;

    void feed(std::string_view stored);
    [[nodiscard]] std::uint64_t smtp_size() const { return stored_bytes + line_feeds; }
};

// The whole wire form of a stored message, terminator included.
[[nodiscard]] std::string encode_body(std::string_view stored);

} // namespace qm::remote
