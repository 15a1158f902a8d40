// QMTP and QMQP framing (cr.yp.to/proto/qmtp.txt, cr.yp.to/proto/qmqp.html) as push
// parsers without I/O: bytes from the client go in, events come out one at a time. A
// message is never held whole: its bytes come out in pieces as they arrive, so a server
// can stream them into qmail-queue. Addresses are kept up to max_address bytes; a longer
// one is skipped and only its length reported.
//
//   QMTP package: netstring(encoding byte + message) netstring(sender)
//                 netstring(netstring(recipient)...), any number per connection. The
//                 encoding byte is LF (lines end in LF) or CR (lines end in CRLF, which
//                 becomes LF; a CR not followed by LF is kept).
//   QMQP request: netstring(netstring(message) netstring(sender) netstring(recipient)...),
//                 one per connection; the message has LF line ends and no encoding byte.
//
// Anything else (a length that is not a number, a missing comma, an inner netstring that
// crosses the end of the one holding it, an unknown encoding byte) is an error after which
// the connection must be dropped: nothing of that message may be queued.
#pragma once

#include "qm/envelope.hpp"
#include "qm/netstring.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace qm::qmtp {

// What a client sends around a message so that the message itself is never copied:
// before, the message's bytes as they are, after.
struct MessageFrame {
    std::string before;
    std::string after;
};

// A QMTP package for a message of message_length stored bytes (LF line ends, sent as they
// are after the LF encoding byte): "<message_length + 1>:\n" before the message and
// "," netstring(sender) netstring(netstring(recipient)...) after it.
[[nodiscard]] MessageFrame qmtp_package(std::uint64_t message_length, const Envelope& env);

// Longest address a server takes; qmail-qmtpd and qmail-qmqpd refuse 1000 bytes or more.
inline constexpr size_t max_address = 1000;

// One netstring read incrementally: the length first, then the payload in pieces as
// they arrive, then the comma. Never copies the payload.
class NetstringReader {
public:
    enum class Event : std::uint8_t {
        more,   // all of the input was used; nothing to report
        length, // the length is known (length())
        data,   // data() is the next piece of the payload, pointing into the input
        done,   // the comma was read
        error,  // error() says why; the reader stays in error
    };
    explicit NetstringReader(size_t max_length = netstring::default_max_length)
        : max_length_(max_length) {}

    // Consumes a prefix of in (*used bytes) and reports at most one event.
    Event feed(std::string_view in, size_t& used);
    void reset() { *this = NetstringReader(max_length_); }

    [[nodiscard]] size_t length() const { return length_; }
    [[nodiscard]] size_t remaining() const { return remaining_; }
    [[nodiscard]] std::string_view data() const { return data_; }
    [[nodiscard]] const std::string& error() const { return error_; }
    // True before any byte was consumed (a netstring boundary).
    [[nodiscard]] bool fresh() const { return state_ == State::digits && digits_ == 0; }

private:
    enum class State : std::uint8_t { digits, payload, comma, done, failed };
    Event fail(std::string text);

    size_t max_length_;
    State state_ = State::digits;
    size_t digits_ = 0;
    size_t length_ = 0;
    size_t remaining_ = 0;
    std::string_view data_;
    std::string error_;
};

enum class Event : std::uint8_t {
    more,          // all of the input was used; feed more
    message_begin, // message_length() is the declared length of the message netstring
    message_data,  // data(): the next bytes of the message as stored (LF line ends)
    message_end,
    sender,    // address(), address_length()
    recipient, // address(), address_length()
    end,       // the QMTP package or the QMQP request is complete
    error,     // error(): broken framing; drop the connection
};

// Shared by both parsers: an address netstring, kept up to max_address bytes.
class AddressField {
public:
    void reset();
    void append(std::string_view piece);
    [[nodiscard]] std::string_view value() const { return value_; }
    [[nodiscard]] size_t length() const { return length_; }

private:
    std::string value_;
    size_t length_ = 0;
};

// What both parsers share: the reports that go with their events, the reading of the
// netstrings around the addresses and the end of a package or request, and staying in
// error once the framing broke.
class FramingParser {
public:
    [[nodiscard]] std::uint64_t message_length() const { return message_length_; }
    [[nodiscard]] std::string_view data() const { return data_; }
    // The address as received, or its first max_address bytes when longer.
    [[nodiscard]] std::string_view address() const { return address_.value(); }
    // Its length as declared; >= max_address means it was not kept whole.
    [[nodiscard]] size_t address_length() const { return address_.length(); }
    [[nodiscard]] const std::string& error() const { return error_; }

protected:
    Event fail(std::string text);
    // Runs step(rest of in, position) until it reports an event (nullopt: go on) and
    // sets used to how far it got; after an error it reports only errors.
    template <class Step>
    Event drive(std::string_view in, size_t& used, Step step);
    // The length of an outer netstring: nullopt once it is known, else more or the error,
    // prefixed with what the netstring holds.
    std::optional<Event> read_length(NetstringReader& reader, std::string_view in, size_t& pos,
                                     std::string_view what);
    // The comma that ends the package or the request named by what.
    std::optional<Event> read_comma(std::string_view in, size_t& pos, std::string_view what);
    // An address netstring's length or a piece of it goes into address(); false for
    // any other event.
    bool take_address(NetstringReader::Event e, const NetstringReader& reader);

    bool failed_ = false;
    std::uint64_t message_length_ = 0;
    std::string_view data_;
    AddressField address_;
    std::string error_;
};

class QmtpParser : public FramingParser {
public:
    explicit QmtpParser(size_t max_message = netstring::default_max_length);
    // Consumes a prefix of in (*used bytes) and reports at most one event. After end the
    // next package starts; after error it keeps reporting error.
    Event feed(std::string_view in, size_t& used);
    // True between packages (nothing of the next one received yet).
    [[nodiscard]] bool between_packages() const;

private:
    enum class State : std::uint8_t {
        message,
        encoding,
        message_body,
        sender,
        recipients_length,
        recipient,
        recipients_comma,
    };
    std::optional<Event> step(std::string_view rest, size_t& pos);
    Event body(std::string_view piece);

    State state_ = State::message;
    NetstringReader message_;
    NetstringReader field_{max_address * 1000};
    NetstringReader list_;
    size_t list_left_ = 0;
    bool crlf_ = false;
    bool pending_cr_ = false;
    std::string decoded_;
};

class QmqpParser : public FramingParser {
public:
    explicit QmqpParser(size_t max_request = netstring::default_max_length);
    // Consumes a prefix of in (*used bytes) and reports at most one event. After end it
    // reports error for any further byte (one request per connection).
    Event feed(std::string_view in, size_t& used);

private:
    enum class State : std::uint8_t {
        request_length,
        message,
        sender,
        recipient,
        request_comma,
        ended
    };
    std::optional<Event> step(std::string_view rest, size_t& pos);
    // Feeds the inner reader with what is left of the request.
    NetstringReader::Event inner(std::string_view in, size_t& used);

    State state_ = State::request_length;
    NetstringReader request_;
    NetstringReader inner_;
    size_t request_left_ = 0;
};

// Counts the header lines that say the message passed a hop ("Received:" and
// "Delivered-To:", case-insensitive), as qmail-smtpd does for its MAXHOPS check, over the
// stored message bytes given in pieces.
class HopCounter {
public:
    void feed(std::string_view stored);
    [[nodiscard]] unsigned hops() const { return hops_; }

private:
    bool in_header_ = true;
    bool line_start_ = true;
    std::string prefix_; // the current line's first bytes, lowercased
    bool prefix_done_ = false;
    unsigned hops_ = 0;
};

// qmail's MAXHOPS.
inline constexpr unsigned max_hops = 100;

} // namespace qm::qmtp
