// The dynasub service: an agent home, the requests of local users, the dialogue with the
// remote lists, and the periodic step that resends, gives up and leaves.
//
// An agent home (`dynasub setup`) is a directory holding
//   host        the host of every agent address (e.g. this.host)
//   prefix      the local part they start with (dynasub)
//   dot         the .qmail file prefix of that local part (/home/alias/.qmail-dynasub)
//   bin         the directory of the programs the .qmail lines run
//   grace       seconds a sublist without readers waits before it leaves (86400)
//   postmaster  who hears of what the agents cannot handle (postmaster@host)
//   lock        taken by every change
//   agents/ID/  one per remote list: state (agent.hpp), list/ (the ezmlm sublist)
//   pending/    requests by mail waiting for the user's confirmation
//   Log         one line per event, qmail's activity-log style with a time stamp
// and the .qmail files: DOT (PREFIX@host) and DOT-default (PREFIX-*@host) run
// dynasub-manage; DOT-r-ID and the sublist's other links run the sublist, whose editor
// first runs dynasub-gate.
//
// Addresses (PREFIX@host = dynasub@this.host):
//   PREFIX-subscribe-LIST=HOST@host    a local user asks to join LIST@HOST
//   PREFIX-unsubscribe-LIST=HOST@host  ... to leave it
//   PREFIX@host                        the same with "subscribe LIST@HOST" (or
//                                      "unsubscribe ...", or LIST@HOST alone) in the
//                                      subject or body, or a post of the list itself
//                                      (redirected, or attached)
//   PREFIX-confirm-COOKIE@host         the user's answer to the confirmation request
//   PREFIX-r-ID@host                   the sublist: what the remote list knows
//   PREFIX-r-ID-unsubscribe@host       a reader leaves (from a post's List-Unsubscribe)
#pragma once

#include "qm/dynasub/agent.hpp"
#include "qm/lists/core/parsed_post.hpp"
#include "qm/result.hpp"

#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qm::dynasub {

struct Home {
    std::string dir;
    std::string host;
    std::string prefix;
    std::string dot;
    std::string bin;
    std::time_t grace = 86400;
    std::string postmaster;

    [[nodiscard]] std::string command(std::string_view suffix) const {
        return prefix + "-" + std::string(suffix) + "@" + host;
    }
    [[nodiscard]] std::string sublist_local(std::string_view id) const {
        return prefix + "-r-" + std::string(id);
    }
    [[nodiscard]] std::string sublist_address(std::string_view id) const {
        return sublist_local(id) + "@" + host;
    }
    [[nodiscard]] std::string sublist_dir(std::string_view id) const {
        return agent_dir(dir, id) + "/list";
    }
};

struct SetupRequest {
    std::string dir, host, prefix = "dynasub", dot, bin, postmaster;
    std::optional<std::time_t> grace;
};
// Creates (or updates the settings of) an agent home and its two .qmail files.
[[nodiscard]] Status setup_home(const SetupRequest& r);
[[nodiscard]] Result<Home> read_home(const std::string& dir);

// One line in HOME/Log (and on stderr): "@TAI64N-free unix time" + text.
void log_event(const Home& home, std::string_view text, std::time_t now);

// The number of local readers of an agent's sublist.
[[nodiscard]] Result<size_t> readers(const Home& home, const Agent& a);

// A local reader joins or leaves at once (the CLI, or a confirmed request). join makes
// the agent and its sublist when the list has none and starts the remote dialogue;
// manager is used only then (nullopt: from HOME/managers, else ezmlm). Returns what was
// done, one line.
struct ListChoice {
    std::string address; // LIST@HOST
    std::optional<Manager> manager;
    char delimiter = '-';
};
[[nodiscard]] Result<std::string> join(const Home& home, std::string_view user,
                                       const ListChoice& list, std::time_t now);
[[nodiscard]] Result<std::string> leave(const Home& home, std::string_view user,
                                        std::string_view list_address, std::time_t now);

// Requests by mail (dynasub-manage). local is the recipient's local part
// (qmail-local's $LOCAL), sender the envelope sender. A request asks the sender to
// confirm; only then join or leave runs. Returns the log line; a permanent failure is a
// refusal (bounce) with its reason.
[[nodiscard]] Result<std::string> handle_request(const Home& home, std::string_view local,
                                                 std::string_view sender,
                                                 const lists::ParsedPost& message, std::time_t now);

// A message to a sublist address (dynasub-gate, before ezmlm-send).
enum class GateAction {
    deliver, // a post of the remote list: ezmlm-send distributes it (exit 0)
    done,    // handled here (a confirmation answered, a welcome, a probe): exit 99
    refuse,  // not from the remote list: bounce it (exit 100)
};
struct GateOutcome {
    GateAction action = GateAction::refuse;
    std::string text; // for the log, or the bounce's reason
};
[[nodiscard]] Result<GateOutcome> gate(const Home& home, std::string_view id,
                                       std::string_view sender, std::string_view message,
                                       std::time_t now);

// Resends, gives up and leaves what is due at now; one line per action.
[[nodiscard]] Result<std::vector<std::string>> tick(const Home& home, std::time_t now);

// The admin's hands: send the pending request again now (a failed agent resumes its
// goal), or drop the agent and its sublist without talking to the remote list.
[[nodiscard]] Result<std::string> retry(const Home& home, std::string_view id_or_list,
                                        std::time_t now);
[[nodiscard]] Result<std::string> abandon(const Home& home, std::string_view id_or_list,
                                          std::time_t now);

} // namespace qm::dynasub
