#include "qm/envelope.hpp"

namespace qm {

std::string encode_envelope(const Envelope& env) {
    std::string out;
    out.reserve(env.sender.size() + 4 + env.recipients.size() * 32);
    out += 'F';
    out += env.sender;
    out += '\0';
    for (const auto& r : env.recipients) {
        out += 'T';
        out += r;
        out += '\0';
    }
    out += '\0';
    return out;
}

std::expected<Envelope, EnvelopeError> decode_envelope(std::string_view bytes) {
    Envelope env;
    size_t pos = 0;
    auto field = [&](std::string& out) -> std::expected<void, EnvelopeError> {
        auto nul = bytes.find('\0', pos);
        size_t end = nul == std::string_view::npos ? bytes.size() : nul;
        if (end - pos > max_envelope_address)
            return std::unexpected(
                EnvelopeError{QueueExit::address_too_long, "envelope address too long"});
        if (nul == std::string_view::npos)
            return std::unexpected(EnvelopeError{QueueExit::read_error, "truncated envelope"});
        out.assign(bytes.substr(pos, end - pos));
        pos = end + 1;
        return {};
    };
    if (bytes.empty())
        return std::unexpected(EnvelopeError{QueueExit::read_error, "empty envelope"});
    if (bytes[0] != 'F')
        return std::unexpected(
            EnvelopeError{QueueExit::envelope_format, "envelope does not start with F"});
    ++pos;
    if (auto r = field(env.sender); !r)
        return std::unexpected(r.error());
    for (;;) {
        if (pos >= bytes.size())
            return std::unexpected(EnvelopeError{QueueExit::read_error, "truncated envelope"});
        if (bytes[pos] == '\0') {
            if (pos + 1 != bytes.size())
                return std::unexpected(
                    EnvelopeError{QueueExit::envelope_format, "bytes after end of envelope"});
            return env;
        }
        if (bytes[pos] != 'T')
            return std::unexpected(
                EnvelopeError{QueueExit::envelope_format, "envelope record does not start with T"});
        ++pos;
        std::string rcpt;
        if (auto r = field(rcpt); !r)
            return std::unexpected(r.error());
        env.recipients.push_back(std::move(rcpt));
    }
}

Failure queue_exit_failure(int code) {
    switch (code) {
    case 11:
    case 115:
        return perm("5.1.3", "envelope address too long for qq");
    case 31:
        return perm("5.3.0", "mail server permanently rejected message");
    case 51:
        return temp("4.3.0", "qq out of memory");
    case 52:
        return temp("4.3.0", "qq timeout");
    case 53:
        return temp("4.3.0", "qq write error or disk full");
    case 54:
        return temp("4.3.0", "qq read error");
    case 55:
        return temp("4.3.0", "qq unable to read configuration");
    case 56:
        return temp("4.3.0", "qq trouble making network connection");
    case 61:
        return temp("4.3.0", "qq trouble in home directory");
    case 62:
    case 63:
    case 64:
    case 65:
    case 66:
        return temp("4.3.0", "qq trouble creating files in queue");
    case 71:
        return temp("4.3.0", "mail server temporarily rejected message");
    case 72:
        return temp("4.4.1", "connection to mail server timed out");
    case 73:
        return temp("4.4.1", "connection to mail server rejected");
    case 74:
        return temp("4.4.2", "communication with mail server failed");
    case 81:
    case 91:
        return temp("4.3.0", "qq internal bug");
    case 120:
        return temp("4.3.0", "unable to exec qq");
    default:
        if (code >= 11 && code <= 40)
            return perm("5.3.0", "qq permanent problem");
        return temp("4.3.0", "qq temporary problem");
    }
}

} // namespace qm
