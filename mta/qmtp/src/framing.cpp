#include "qm/qmtp/framing.hpp"

#include <algorithm>
#include <cctype>
#include <utility>

namespace qm::qmtp {

MessageFrame qmtp_package(std::uint64_t message_length, const Envelope& env) {
    std::string list;
    for (const auto& rcpt : env.recipients)
        list += netstring::encode(rcpt);
    return {std::to_string(message_length + 1) + ":\n",
            "," + netstring::encode(env.sender) + netstring::encode(list)};
}

NetstringReader::Event NetstringReader::fail(std::string text) {
    state_ = State::failed;
    error_ = std::move(text);
    return Event::error;
}

NetstringReader::Event NetstringReader::feed(std::string_view in, size_t& used) {
    used = 0;
    data_ = {};
    switch (state_) {
    case State::failed:
        return Event::error;
    case State::done:
        return Event::done;
    case State::digits:
        for (size_t i = 0; i < in.size(); ++i) {
            const char c = in[i];
            if (c == ':') {
                if (digits_ == 0)
                    return fail("netstring without a length");
                used = i + 1;
                remaining_ = length_;
                state_ = length_ == 0 ? State::comma : State::payload;
                return Event::length;
            }
            if (c < '0' || c > '9')
                return fail("netstring length is not a number");
            if (digits_ == 1 && length_ == 0)
                return fail("netstring length has a leading zero");
            const auto digit = static_cast<size_t>(c - '0');
            if (length_ > (max_length_ - digit) / 10)
                return fail("netstring too long");
            length_ = length_ * 10 + digit;
            ++digits_;
        }
        used = in.size();
        return Event::more;
    case State::payload: {
        if (in.empty())
            return Event::more;
        const size_t n = std::min(remaining_, in.size());
        data_ = in.substr(0, n);
        remaining_ -= n;
        used = n;
        if (remaining_ == 0)
            state_ = State::comma;
        return Event::data;
    }
    case State::comma:
        if (in.empty())
            return Event::more;
        if (in[0] != ',')
            return fail("netstring does not end with a comma");
        used = 1;
        state_ = State::done;
        return Event::done;
    }
    return Event::error;
}

void AddressField::reset() {
    value_.clear();
    length_ = 0;
}

void AddressField::append(std::string_view piece) {
    length_ += piece.size();
    if (value_.size() < max_address)
        value_.append(piece.substr(0, max_address - value_.size()));
}

// Both parsers

Event FramingParser::fail(std::string text) {
    failed_ = true;
    error_ = std::move(text);
    return Event::error;
}

template <class Step>
Event FramingParser::drive(std::string_view in, size_t& used, Step step) {
    size_t pos = 0;
    data_ = {};
    while (!failed_) {
        if (const std::optional<Event> e = step(in.substr(pos), pos)) {
            used = pos;
            return *e;
        }
    }
    used = pos;
    return Event::error;
}

std::optional<Event> FramingParser::read_length(NetstringReader& reader, std::string_view in,
                                                size_t& pos, std::string_view what) {
    size_t u = 0;
    const auto e = reader.feed(in, u);
    pos += u;
    if (e == NetstringReader::Event::more)
        return Event::more;
    if (e != NetstringReader::Event::length)
        return fail(std::string(what) + ": " + reader.error());
    return std::nullopt;
}

std::optional<Event> FramingParser::read_comma(std::string_view in, size_t& pos,
                                               std::string_view what) {
    if (in.empty())
        return Event::more;
    if (in[0] != ',')
        return fail(std::string(what) + " does not end with a comma");
    pos += 1;
    return std::nullopt;
}

bool FramingParser::take_address(NetstringReader::Event e, const NetstringReader& reader) {
    if (e == NetstringReader::Event::length)
        address_.reset();
    else if (e == NetstringReader::Event::data)
        address_.append(reader.data());
    else
        return false;
    return true;
}

// QMTP

QmtpParser::QmtpParser(size_t max_message)
    : message_(max_message) {}

bool QmtpParser::between_packages() const {
    return !failed_ && state_ == State::message && message_.fresh();
}

Event QmtpParser::body(std::string_view piece) {
    if (!crlf_) {
        data_ = piece;
        return Event::message_data;
    }
    decoded_.clear();
    for (const char c : piece) {
        if (pending_cr_) {
            pending_cr_ = false;
            if (c == '\n') {
                decoded_ += '\n';
                continue;
            }
            decoded_ += '\r'; // a CR without LF is kept
        }
        if (c == '\r')
            pending_cr_ = true;
        else
            decoded_ += c;
    }
    if (message_.remaining() == 0 && pending_cr_) {
        decoded_ += '\r';
        pending_cr_ = false;
    }
    data_ = decoded_;
    return Event::message_data;
}

Event QmtpParser::feed(std::string_view in, size_t& used) {
    return drive(in, used, [this](std::string_view rest, size_t& pos) { return step(rest, pos); });
}

std::optional<Event> QmtpParser::step(std::string_view rest, size_t& pos) {
    size_t u = 0;
    switch (state_) {
    case State::message:
        if (auto e = read_length(message_, rest, pos, "message"))
            return e;
        if (message_.length() == 0)
            return fail("message without its encoding byte");
        message_length_ = message_.length();
        state_ = State::encoding;
        return Event::message_begin;
    case State::encoding:
        if (rest.empty())
            return Event::more;
        if (rest[0] != '\n' && rest[0] != '\r')
            return fail("message encoding byte is neither LF nor CR");
        crlf_ = rest[0] == '\r';
        pending_cr_ = false;
        (void)message_.feed(rest.substr(0, 1), u);
        pos += u;
        state_ = State::message_body;
        return std::nullopt;
    case State::message_body: {
        const auto e = message_.feed(rest, u);
        pos += u;
        switch (e) {
        case NetstringReader::Event::more:
            return Event::more;
        case NetstringReader::Event::data:
            if (body(message_.data()) == Event::message_data && !data_.empty())
                return Event::message_data;
            return std::nullopt;
        case NetstringReader::Event::done:
            state_ = State::sender;
            field_.reset();
            return Event::message_end;
        default:
            return fail("message: " + message_.error());
        }
    }
    case State::sender: {
        const auto e = field_.feed(rest, u);
        pos += u;
        if (take_address(e, field_))
            return std::nullopt;
        switch (e) {
        case NetstringReader::Event::more:
            return Event::more;
        case NetstringReader::Event::done:
            state_ = State::recipients_length;
            list_.reset();
            return Event::sender;
        default:
            return fail("sender: " + field_.error());
        }
    }
    case State::recipients_length:
        if (auto e = read_length(list_, rest, pos, "recipient list"))
            return e;
        list_left_ = list_.length();
        state_ = list_left_ == 0 ? State::recipients_comma : State::recipient;
        field_.reset();
        return std::nullopt;
    case State::recipient: {
        const auto e = field_.feed(rest.substr(0, list_left_), u);
        pos += u;
        list_left_ -= u;
        if (take_address(e, field_))
            return std::nullopt;
        switch (e) {
        case NetstringReader::Event::more:
            if (list_left_ == 0)
                return fail("a recipient crosses the end of the recipient list");
            return Event::more;
        case NetstringReader::Event::done:
            field_.reset();
            state_ = list_left_ == 0 ? State::recipients_comma : State::recipient;
            return Event::recipient;
        default:
            return fail("recipient: " + field_.error());
        }
    }
    case State::recipients_comma:
        if (auto e = read_comma(rest, pos, "recipient list"))
            return e;
        state_ = State::message;
        message_.reset();
        return Event::end;
    }
    return fail("unknown state");
}

// QMQP

QmqpParser::QmqpParser(size_t max_request)
    : request_(max_request)
    , inner_(max_request) {}

NetstringReader::Event QmqpParser::inner(std::string_view in, size_t& used) {
    const auto e = inner_.feed(in.substr(0, request_left_), used);
    request_left_ -= used;
    return e;
}

Event QmqpParser::feed(std::string_view in, size_t& used) {
    return drive(in, used, [this](std::string_view rest, size_t& pos) { return step(rest, pos); });
}

std::optional<Event> QmqpParser::step(std::string_view rest, size_t& pos) {
    size_t u = 0;
    switch (state_) {
    case State::ended:
        if (!rest.empty())
            return fail("bytes after the request");
        return Event::more;
    case State::request_length:
        if (auto e = read_length(request_, rest, pos, "request"))
            return e;
        request_left_ = request_.length();
        inner_.reset();
        state_ = State::message;
        return std::nullopt;
    case State::message:
    case State::sender:
    case State::recipient: {
        const auto e = inner(rest, u);
        pos += u;
        if (state_ != State::message && take_address(e, inner_))
            return std::nullopt;
        switch (e) {
        case NetstringReader::Event::more:
            if (request_left_ == 0)
                return fail(state_ == State::message
                                ? "request ends before its message"
                                : "a netstring crosses the end of the request");
            return Event::more;
        case NetstringReader::Event::length:
            message_length_ = inner_.length();
            return Event::message_begin;
        case NetstringReader::Event::data:
            data_ = inner_.data();
            return Event::message_data;
        case NetstringReader::Event::done: {
            inner_.reset();
            const State was = state_;
            if (was == State::message) {
                state_ = State::sender;
                if (request_left_ == 0)
                    return fail("request ends before its sender");
                return Event::message_end;
            }
            state_ = request_left_ == 0 ? State::request_comma : State::recipient;
            return was == State::sender ? Event::sender : Event::recipient;
        }
        default:
            return fail(inner_.error());
        }
    }
    case State::request_comma:
        if (auto e = read_comma(rest, pos, "request"))
            return e;
        state_ = State::ended;
        return Event::end;
    }
    return fail("unknown state");
}

// Hops

void HopCounter::feed(std::string_view stored) {
    static constexpr std::string_view received = "received";
    static constexpr std::string_view delivered = "delivered-to";
    for (const char c : stored) {
        if (!in_header_)
            return;
        if (line_start_) {
            if (c == '\n') {
                in_header_ = false; // the empty line ends the header
                return;
            }
            line_start_ = false;
            prefix_.clear();
            prefix_done_ = false;
        }
        if (c == '\n') {
            line_start_ = true;
            continue;
        }
        if (prefix_done_)
            continue;
        prefix_ += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (prefix_ == received || prefix_ == delivered) {
            ++hops_;
            prefix_done_ = true;
        } else if (!received.starts_with(prefix_) && !delivered.starts_with(prefix_)) {
            prefix_done_ = true;
        }
    }
}

} // namespace qm::qmtp
