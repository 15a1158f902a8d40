#include "qm/send/bounce.hpp"

#include "qm/address.hpp"
#include "qm/date.hpp"

namespace qm::send {

std::string bounce_record(std::string_view recipient, std::string_view report) {
    std::string t = "<";
    for (char c : recipient)
        t += c == '\n' ? '_' : c;
    t += ">:\n";
    t += report;
    if (!report.empty() && report.back() != '\n')
        t += '\n';
    // A blank line would end the QSBMF paragraph early; qmail turns the second newline of
    // every pair into '/' (scanning backwards, so runs of blank lines all go).
    for (size_t pos = t.size() - 2; pos > 0; --pos)
        if (t[pos] == '\n' && t[pos - 1] == '\n')
            t[pos] = '/';
    t += '\n';
    return t;
}

std::string verp_expand(std::string_view sender, std::string_view recipient) {
    if (!sender.ends_with("-@[]"))
        return std::string(sender);
    const std::string_view base = sender.substr(0, sender.size() - 4); // "P-@H"
    const auto j = base.rfind('@');
    if (j == std::string_view::npos)
        return std::string(sender);
    const auto k = recipient.rfind('@');
    std::string out(base.substr(0, j));
    out += recipient.substr(0, k);
    if (k != std::string_view::npos) {
        out += '=';
        out += recipient.substr(k + 1);
    }
    out += base.substr(j);
    return out;
}

std::string strip_verp(std::string_view sender) {
    if (sender.ends_with("-@[]"))
        sender.remove_suffix(4);
    return std::string(sender);
}

std::optional<Bounce> make_bounce(const BounceSettings& s, std::string_view original_sender,
                                  std::string_view bounce_records, std::time_t now) {
    if (original_sender == "#@[]")
        return std::nullopt;
    const std::string sender = strip_verp(original_sender);
    const bool is_double = sender.empty();
    Bounce b;
    b.sender = is_double ? "#@[]" : "";
    b.recipient = is_double ? s.doublebounceto + "@" + s.doublebouncehost : sender;
    std::string& h = b.head;
    h.reserve(bounce_records.size() + 1024);
    h += "Date: " + date822(now) + "\n";
    h += "From: " + address::quote(s.bouncefrom) + "@" + s.bouncehost + "\n";
    h += "To: " + address::quote_for_header(b.recipient) + "\n";
    h += "Subject: failure notice\n\n";
    h += "Hi. This is the qmail-send program at " + s.bouncehost + ".\n";
    if (!is_double)
        h += "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
             "This is a permanent error; I've given up. Sorry it didn't work out.\n\n";
    else
        h += "I tried to deliver a bounce message to this address, but the bounce bounced!\n\n";
    h += bounce_records;
    h += is_double ? "--- Below this line is the original bounce.\n\n"
                   : "--- Below this line is a copy of the message.\n\n";
    h += "Return-Path: <" + address::quote_for_header(sender) + ">\n";
    return b;
}

} // namespace qm::send
