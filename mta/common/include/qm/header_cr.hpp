// A carriage return in a message's header that is not followed by a line feed ("bare
// CR") becomes a space.
//
// Why: RFC 5322 section 2.2 and RFC 5321 section 2.3.8 allow CR only as half of CRLF, and
// hops disagree about a bare one. qmail stores it as it is; an SMTP client must not send
// it raw (RFC 5321), so it goes out as a line break, and some receivers break the line
// there themselves. Either way "Subject: a<CR>X-Injected: yes" became two header fields
// at the next hop: a relayed message gained a header it did not have. As a space it stays
// inside the field it was in, which is what the sender's own MTA showed its user.
// Refusing such mail instead would bounce sloppy but honest software and gain nothing.
//
// Works on stored messages (qmail's queue format: LF line ends) given in pieces. A CR
// followed by LF is kept (one line end at the next hop, never two). The header ends at
// the first empty line, that is LF or CR LF at the start of a line; the body is left
// alone. The output has exactly as many bytes as the input, so a length announced before
// the message (a QMTP netstring) stays right; a CR at the end of a piece is held until
// the next byte decides what it is.
#pragma once

#include <string>
#include <string_view>

namespace qm {

class HeaderCrFilter {
public:
    // Appends the filtered form of the next stored bytes to out.
    void feed(std::string_view in, std::string& out);
    // The end of the message: a held CR goes out (as a space).
    void finish(std::string& out);
    [[nodiscard]] bool in_header() const { return in_header_; }

private:
    bool in_header_ = true;
    bool line_empty_ = true;
    bool pending_cr_ = false;
};

// The whole message at once.
[[nodiscard]] std::string header_cr_to_space(std::string_view message);

} // namespace qm
