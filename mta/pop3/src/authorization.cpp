#include "qm/pop3/authorization.hpp"

#include "qm/pop3/command.hpp"

namespace qm::pop3 {

std::string Login::checkpassword_input(std::string_view timestamp) const {
    std::string s = user;
    s += '\0';
    s += password;
    s += '\0';
    s += timestamp;
    s += '\0';
    return s;
}

Authorization::Step Authorization::handle(std::string_view line) {
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
