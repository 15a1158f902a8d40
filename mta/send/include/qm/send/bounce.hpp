// Bounce messages in qmail's QSBMF format (qmail-send.c addbounce/injectbounce,
// cr.yp.to/proto/qsbmf.txt) and the VERP sender protocol (-@[] suffix, senderadd).
// Pure text functions; qmail-send appends the records to bounce/N and queues the result.
#pragma once

#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace qm::send {

// One recipient paragraph of bounce/N: "<addr>:\n" + report (forced final newline, every
// blank line inside turned into "/") + "\n".
[[nodiscard]] std::string bounce_record(std::string_view recipient, std::string_view report);

// Sender "P-@H-@[]" with recipient "box@host" gives "P-box=host@H"; other senders unchanged.
[[nodiscard]] std::string verp_expand(std::string_view sender, std::string_view recipient);
// "owner-@host-@[]" → "owner-@host" (a bounce goes to the plain owner address).
[[nodiscard]] std::string strip_verp(std::string_view sender);

struct BounceSettings {
    std::string bouncefrom = "MAILER-DAEMON";
    std::string bouncehost; // default control/me
    std::string doublebounceto = "postmaster";
    std::string doublebouncehost; // default control/me
};

struct Bounce {
    std::string sender;    // "" for a bounce, "#@[]" for a double bounce
    std::string recipient; // the original sender (VERP stripped) or doublebounceto@host
    std::string head;      // everything before the original message bytes
};

// nullopt for a triple bounce (original sender "#@[]"): qmail discards those.
[[nodiscard]] std::optional<Bounce> make_bounce(const BounceSettings& s,
                                                std::string_view original_sender,
                                                std::string_view bounce_records, std::time_t now);

} // namespace qm::send
