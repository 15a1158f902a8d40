// The DATA stream of an SMTP transaction, decoded as qmail-smtpd stores it: CRLF becomes
// LF, a line's leading dot is removed, CRLF.CRLF ends the message. Any LF that does not
// follow a CR ends the session with an error instead of being guessed at: "bare LF"
// terminators are how SMTP smuggling makes two servers disagree on where a message ends.
// A CR that is not followed by LF is stored as it is in the body (qmail does the same;
// whoever relays the message later must send it as a line break and dot-stuff what
// follows) and as a space in the header, where a line break would split one field into
// two at the next hop (qm/header_cr.hpp says why a space).
//
// While decoding it counts the stored bytes (databytes) and the header lines starting
// with "Received" or "Delivered" (hop counting).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace qm::smtp {

class DataDecoder {
public:
    enum class Outcome : std::uint8_t { more, end, bare_lf };

    // Decodes bytes from the client, appending stored bytes to out. Stops right after the
    // terminating CRLF.CRLF or at the first bare LF; *used says how many input bytes it
    // took (the rest belongs to the next commands, under PIPELINING).
    Outcome feed(std::string_view in, std::string& out, size_t* used);

    [[nodiscard]] std::uint64_t stored_bytes() const { return stored_; }
    [[nodiscard]] unsigned hops() const { return hops_; }

private:
    enum class State : std::uint8_t { line_start, mid_line, cr, dot, dot_cr };
    void store(char c, std::string& out);
    void store_line_byte(char c);
    // A CR that turned out not to end a line.
    void store_bare_cr(std::string& out);
    // A byte inside a line (after its first, or after a leading dot): a CR waits for its
    // LF in state on_cr, anything else but LF is stored. False for a bare LF.
    [[nodiscard]] bool line_byte(char c, std::string& out, State on_cr);

    State state_ = State::line_start;
    std::uint64_t stored_ = 0;
    unsigned hops_ = 0;
    // Header tracking: still in the header, and the first bytes of the current line.
    bool in_header_ = true;
    bool line_empty_ = true;
    std::string line_prefix_;
};

} // namespace qm::smtp
