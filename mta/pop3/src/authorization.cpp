#include "qm/pop3/authorization.hpp"

#include "qm/pop3/command.hpp"
#include "qm/process.hpp"

namespace qm::pop3 {

std::optional<std::string> Login::checkpassword_input(std::string_view timestamp) const {
    return checkpassword_request(user, password, timestamp);
}

Authorization::Step Authorization::handle(std::string_view line) {
    // A line ends at its first NUL, as qmail's C strings end there. Kept whole, a NUL in
    // a name would pass for the field separator on descriptor 3: "APOP joe\0digest\0<old
    // timestamp> x" would hand checkpassword a timestamp of the client's choosing, and
    // an APOP digest sniffed once could be replayed.
    line = line.substr(0, line.find('\0'));
    const auto [verb, argument] = split_command(line);
    const std::string_view arg = argument;
    Step s;
    if (verb == "user") {
        if (arg.empty()) {
            s.reply = "-ERR syntax error\r\n";
        } else {
            user_ = std::string(arg);
            s.reply = "+OK \r\n";
        }
    } else if (verb == "pass") {
        if (!user_)
            s.reply = "-ERR USER first\r\n";
        else if (arg.empty())
            s.reply = "-ERR syntax error\r\n";
        else
            s.login = Login{*user_, std::string(arg)};
    } else if (verb == "apop") {
        const size_t sp = arg.find(' ');
        if (sp == std::string_view::npos)
            s.reply = "-ERR syntax error\r\n";
        else
            s.login = Login{std::string(arg.substr(0, sp)), std::string(arg.substr(sp + 1))};
    } else if (verb == "capa") {
        s.reply = "+OK capability list follows\r\nTOP\r\nUIDL\r\nUSER\r\n";
        if (tls_offered_ && !tls_active_)
            s.reply += "STLS\r\n";
        s.reply += ".\r\n";
    } else if (verb == "stls" && tls_offered_) {
        if (tls_active_) {
            s.reply = "-ERR TLS is already active\r\n";
        } else {
            s.reply = "+OK begin TLS negotiation\r\n";
            s.start_tls = true;
        }
    } else if (verb == "quit") {
        s.reply = "+OK \r\n";
        s.quit = true;
    } else if (verb == "noop") {
        s.reply = "+OK \r\n";
    } else {
        s.reply = "-ERR authorization first\r\n";
    }
    return s;
}

} // namespace qm::pop3
