// ezmlm-request (ezmlm-request(1)): the list-request@ robot. A command written in the
// Subject (or, when the Subject does not start with a letter, in the first body line that
// does) is turned into the command address it stands for, and the message is sent on to
// it, where ezmlm-manage or ezmlm-get answers as if the sender had written there:
//
//   "subscribe"                        -> list-subscribe-joe=far.example@host (the sender)
//   "unsub other@where.example"        -> list-unsubscribe-other=where.example@host
//   "list-get.12_14"                   -> list-get.12_14-joe=far.example@host
//   "l2 help" style "cmd list user"    -> l2-cmd-user=host@host (a list on this host)
//
// as ezmlm-idx 7 does: its aliases (sub; unsub, signoff, remove; ind; recipients,
// showdist, review, rev, who -> list), system, put and set answered with help, and any
// other command made of letters, digits and ".+-_" passed on as it is (the owner's own
// commands). Pure: parsing and the address; the program queues.
#pragma once

#include "qm/lists/core/parsed_post.hpp"
#include "qm/result.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace qm::lists {

struct RequestCommand {
    std::string command = "help";
    std::optional<std::string> list_local;
    std::optional<std::string> user_local, user_host;
};

// The command in one line (the Subject, or a body line), for the list outlocal. Letter
// case of the list name is ignored. A word with other characters than letters, digits and
// ".+-_", or an address where the list name was expected, is a permanent failure saying
// so (ezmlm-idx 7 refuses those too).
[[nodiscard]] Result<RequestCommand> parse_request_line(std::string_view line,
                                                        std::string_view outlocal);

// The command of a message sent to list-request: from the Subject or the body, "help"
// when neither has one. A message with Mailing-List: (from a list) or with our own
// Delivered-To line (a loop) is a permanent failure.
[[nodiscard]] Result<RequestCommand> request_from_message(const ParsedPost& message,
                                                          std::string_view outlocal,
                                                          std::string_view delivered_to);

// The command address the request goes to: listlocal-command-userlocal=userhost@outhost,
// the user being sender when the request names none.
[[nodiscard]] std::string request_target(const RequestCommand& request, std::string_view sender,
                                         std::string_view outlocal, std::string_view outhost);

} // namespace qm::lists
