// What a dynasub agent knows about the list managers it talks to on a local sublist's
// behalf (reference forward_archive.md §4.2-4.5): where each one takes a join or leave
// request, what its confirmation requests, welcomes and goodbyes look like, the return
// paths its posts and its bounce probes come from, and the one answer that completes a
// confirmation. Pure functions over a message already read; no I/O.
//
// The agent answers only what it recognises for certain: a confirmation whose answer
// address is on the remote list's own host, names the list, and (where the manager puts
// it there) names the sublist's own address. Anything else from the list's host that is
// neither a post nor a bounce probe is "unknown", for the postmaster to read; it never
// follows a link and never guesses.
#pragma once

#include "qm/lists/core/parsed_post.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qm::dynasub {

enum class Manager {
    ezmlm,     // ezmlm 0.53 / ezmlm-idx, and this platform's own lists
    mlmmj,     // mlmmj (delimiter '+' by default, '-' when its control/delimiter says so)
    mailman3,  // Mailman 3: L-join@, L-leave@, L-confirm+TOKEN@
    mailman2,  // Mailman 2: L-request@ with a subject command, L-confirm+COOKIE@
    sympa,     // Sympa: SUB/SIG commands to sympa@H, AUTH answers
    majordomo, // Majordomo: subscribe/unsubscribe to majordomo@H, auth answers
};

// "ezmlm", "mlmmj", ... and back; nullopt for a name not in the list above.
[[nodiscard]] std::string_view manager_name(Manager m);
[[nodiscard]] std::optional<Manager> parse_manager(std::string_view name);

// A remote list as the agent addresses it.
struct RemoteList {
    std::string local; // the list's local part as its manager spells it
    std::string host;  // lower case
    Manager manager = Manager::ezmlm;
    char delimiter = '-'; // mlmmj's control/delimiter; '-' for every other manager

    [[nodiscard]] std::string address() const { return local + "@" + host; }
    // local + delimiter + suffix + "@" + host, e.g. command("subscribe").
    [[nodiscard]] std::string command(std::string_view suffix) const;
    friend bool operator==(const RemoteList&, const RemoteList&) = default;
};

// A mail the agent sends: envelope recipient and To:, subject, body (may be empty).
struct Outgoing {
    std::string to;
    std::string subject;
    std::string body;
    friend bool operator==(const Outgoing&, const Outgoing&) = default;
};

// The request that asks the list to add (or remove) the address the mail comes from.
// sublist is that address, for the managers whose command names its target (Sympa and
// Majordomo take it in the command; ezmlm and mlmmj take the sender).
[[nodiscard]] Outgoing join_request(const RemoteList& list, std::string_view sublist);
[[nodiscard]] Outgoing leave_request(const RemoteList& list, std::string_view sublist);

// What a message from the remote side is, for the sublist address sublist.
enum class Kind {
    confirm_join,  // a confirmation request for our join request: answer it
    confirm_leave, // the same for a leave request
    welcome,       // the subscription is in place
    goodbye,       // the subscription has ended
    post,          // a post of the list, for the sublist's readers
    notice,        // a bounce probe or warning about the sublist's address: accept it
    stranger,      // not from the list's host, or not for us: refuse it
    unknown,       // from the list's host but not understood: to the postmaster
};
[[nodiscard]] std::string_view kind_name(Kind k);

struct Incoming {
    Kind kind = Kind::unknown;
    std::optional<Outgoing> answer; // set for confirm_join and confirm_leave
    std::string why;                // one line for the log (what was recognised, or why not)
};

// Reads one message delivered to the sublist address. envelope_sender is the return path
// (empty for a bounce). A bounce (empty sender, or MAILER-DAEMON) is never a post.
[[nodiscard]] Incoming classify(const RemoteList& list, std::string_view sublist,
                                std::string_view envelope_sender, const lists::ParsedPost& message);

// From a message of the list (a post someone forwards, or one in hand): the manager its
// headers show (ezmlm's Mailing-List "run by ezmlm", List-Id and List-Subscribe forms of
// Mailman 3 and mlmmj, X-Mailman-Version, Sympa's X-Loop/List-Id), with mlmmj's
// delimiter. nullopt when nothing says.
struct Recognised {
    Manager manager;
    char delimiter = '-';
};
[[nodiscard]] std::optional<Recognised> recognise_manager(std::string_view list_local,
                                                          const lists::ParsedPost& sample);

// A post of a list that a local user passes on, to say which list to join and what runs
// it: redirected as it came (its own header, as mutt's bounce or a .forward leaves it) or
// forwarded as an attachment (the first message/rfc822 part). The list's address comes
// from its List-Post field, else from the return path the list sent it with (ezmlm's
// L-return-N-...@H, mlmmj's L+bounces-N-...@H, Mailman's L-bounces@H), which also names
// the manager when the other header fields do not. nullopt when nothing names a list.
struct SampleList {
    std::string address;               // LIST@HOST
    std::optional<Recognised> manager; // nullopt when nothing says which manager
};
[[nodiscard]] std::optional<SampleList> list_of_sample(std::string_view message);

// The address and subject a mailto: URL (RFC 6068) of a List-Subscribe field names, the
// leftmost mailto: of the field value; nullopt if there is none.
[[nodiscard]] std::optional<Outgoing> mailto_of_list_field(std::string_view field_value);

} // namespace qm::dynasub
