// A dynasub agent: one remote list, the local sublist that receives it for this host's
// readers, and the state of the subscription the sublist holds on the remote list. Kept
// on disk under the agent home (see home.hpp), crash-safely: every change is one atomic,
// fsynced replacement of agents/ID/state, made under the home's lock.
//
// The life of an agent:
//   requested  -> the join request is to be sent (or is sent again on timeout)
//   confirming -> it was sent; waiting for the confirmation request or the welcome
//   active     -> the remote list delivers to the sublist
//   leaving    -> the last reader left and the grace period passed; the leave request
//                 is out, waiting for its confirmation and the goodbye
//   failed     -> the remote list did not answer after every retry, or refused: the
//                 postmaster was told; `dynasub retry` or `dynasub abandon` decides
//   gone       -> the goodbye came: the sublist and the agent are removed
#pragma once

#include "qm/dynasub/remote_list.hpp"
#include "qm/result.hpp"

#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qm::dynasub {

enum class State { requested, confirming, active, leaving, failed, gone };
[[nodiscard]] std::string_view state_name(State s);
[[nodiscard]] std::optional<State> parse_state(std::string_view name);

enum class Goal { join, leave };

struct Agent {
    std::string id; // 12 letters a-z: the sublist is PREFIX-r-ID@host, unguessable
    RemoteList remote;
    State state = State::requested;
    Goal goal = Goal::join;       // what a failed agent was doing, for retry
    std::time_t since = 0;        // when it entered state
    unsigned tries = 0;           // requests sent in this state
    std::time_t next = 0;         // when tick() acts next (resend, give up, leave); 0: never
    std::time_t empty_since = 0;  // when the last reader left; 0 while it has readers
    bool leave_confirmed = false; // the leave confirmation was answered: no way back
    std::string note;             // the last event, one line

    friend bool operator==(const Agent&, const Agent&) = default;
};

// The state file's text ("name value" lines) and back. A bad line is a temporary failure
// naming file and line: the agent waits for the admin, it is never guessed at.
[[nodiscard]] std::string format_agent(const Agent& a);
[[nodiscard]] Result<Agent> parse_agent(std::string_view text, const std::string& file);

// The agents of a home, by id.
[[nodiscard]] std::string agent_dir(const std::string& home, std::string_view id);
[[nodiscard]] Result<Agent> load_agent(const std::string& home, std::string_view id);
[[nodiscard]] Status save_agent(const std::string& home, const Agent& a);
[[nodiscard]] Result<std::vector<Agent>> all_agents(const std::string& home);
// The agent of a remote list (its address, ignoring the case of the host), if any.
[[nodiscard]] Result<std::optional<Agent>> find_agent(const std::string& home,
                                                      std::string_view list_address);
// A new random id.
[[nodiscard]] Result<std::string> new_agent_id();

// How long to wait for the remote list after the n-th request (n from 1): 1 h, 4 h,
// 12 h, then given up after max_tries.
inline constexpr unsigned max_tries = 4;
[[nodiscard]] std::time_t wait_after_try(unsigned n);

} // namespace qm::dynasub
