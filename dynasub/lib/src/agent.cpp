#include "qm/dynasub/agent.hpp"

#include "name_table.hpp"
#include "qm/address.hpp"
#include "qm/fd.hpp"

#include <dirent.h>
#include <sys/random.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <utility>

namespace qm::dynasub {

namespace {

constexpr NameTable<State, 6> state_names{{
    {State::requested, "requested"},
    {State::confirming, "confirming"},
    {State::active, "active"},
    {State::leaving, "leaving"},
    {State::failed, "failed"},
    {State::gone, "gone"},
}};

bool valid_id(std::string_view id) {
    return id.size() == 12 &&
           std::all_of(id.begin(), id.end(), [](char c) { return c >= 'a' && c <= 'z'; });
}

template <class T>
bool parse_number(std::string_view s, T& out) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size();
}

// One line of text: no control characters survive into the state file.
std::string one_line(std::string_view s) {
    std::string out(s.substr(0, 300));
    for (char& c : out)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
            c = '?';
    return out;
}

} // namespace

std::string_view state_name(State s) {
    return name_in(state_names, s);
}

std::optional<State> parse_state(std::string_view name) {
    return value_in(state_names, name);
}

std::string format_agent(const Agent& a) {
    std::string out;
    auto put = [&out](std::string_view name, const std::string& value) {
        out += std::string(name) + " " + value + "\n";
    };
    put("id", a.id);
    put("list", a.remote.address());
    put("manager", std::string(manager_name(a.remote.manager)));
    put("delimiter", std::string(1, a.remote.delimiter));
    put("state", std::string(state_name(a.state)));
    put("goal", a.goal == Goal::join ? "join" : "leave");
    put("since", std::to_string(a.since));
    put("tries", std::to_string(a.tries));
    put("next", std::to_string(a.next));
    put("empty-since", std::to_string(a.empty_since));
    put("leave-confirmed", a.leave_confirmed ? "yes" : "no");
    put("note", one_line(a.note));
    return out;
}

Result<Agent> parse_agent(std::string_view text, const std::string& file) {
    Agent a;
    bool has_list = false, has_state = false;
    unsigned lineno = 0;
    while (!text.empty()) {
        ++lineno;
        const size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        if (line.empty())
            continue;
        const size_t sp = line.find(' ');
        const std::string_view name = line.substr(0, sp);
        const std::string_view value =
            sp == std::string_view::npos ? std::string_view{} : line.substr(sp + 1);
        auto bad = [&] {
            return fail(temp("4.3.0", file + ":" + std::to_string(lineno) + ": bad " +
                                          std::string(name) + " line"));
        };
        if (name == "id") {
            if (!valid_id(value))
                return bad();
            a.id = value;
        } else if (name == "list") {
            const auto parts = address::split(value);
            if (parts.local.empty() || parts.domain.empty() || value.find('@') == value.npos)
                return bad();
            a.remote.local = parts.local;
            a.remote.host = address::lowercase(parts.domain);
            has_list = true;
        } else if (name == "manager") {
            auto m = parse_manager(value);
            if (!m)
                return bad();
            a.remote.manager = *m;
        } else if (name == "delimiter") {
            if (value != "-" && value != "+")
                return bad();
            a.remote.delimiter = value[0];
        } else if (name == "state") {
            auto s = parse_state(value);
            if (!s)
                return bad();
            a.state = *s;
            has_state = true;
        } else if (name == "goal") {
            if (value != "join" && value != "leave")
                return bad();
            a.goal = value == "join" ? Goal::join : Goal::leave;
        } else if (name == "since") {
            if (!parse_number(value, a.since))
                return bad();
        } else if (name == "tries") {
            if (!parse_number(value, a.tries))
                return bad();
        } else if (name == "next") {
            if (!parse_number(value, a.next))
                return bad();
        } else if (name == "empty-since") {
            if (!parse_number(value, a.empty_since))
                return bad();
        } else if (name == "leave-confirmed") {
            if (value != "yes" && value != "no")
                return bad();
            a.leave_confirmed = value == "yes";
        } else if (name == "note") {
            a.note = value;
        } else {
            return bad();
        }
    }
    if (!valid_id(a.id) || !has_list || !has_state)
        return fail(temp("4.3.0", file + ": id, list or state is missing"));
    return a;
}

std::string agent_dir(const std::string& home, std::string_view id) {
    return home + "/agents/" + std::string(id);
}

Result<Agent> load_agent(const std::string& home, std::string_view id) {
    if (!valid_id(id))
        return fail(perm("5.1.1", "no agent " + one_line(id)));
    const std::string file = agent_dir(home, id) + "/state";
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0 && errno == ENOENT)
        return fail(perm("5.1.1", "no agent " + std::string(id)));
    auto text = read_file(file);
    if (!text)
        return fail(text.error());
    return parse_agent(*text, file);
}

Status save_agent(const std::string& home, const Agent& a) {
    return write_file_atomic(agent_dir(home, a.id) + "/state", format_agent(a), 0644);
}

Result<std::vector<Agent>> all_agents(const std::string& home) {
    std::vector<Agent> out;
    const std::string dir = home + "/agents";
    DIR* d = ::opendir(dir.c_str());
    if (!d) {
        if (errno == ENOENT)
            return out;
        return fail(from_errno(errno, "unable to open " + dir));
    }
    std::vector<std::string> ids;
    while (const dirent* e = ::readdir(d))
        if (valid_id(e->d_name))
            ids.emplace_back(e->d_name);
    ::closedir(d);
    std::sort(ids.begin(), ids.end());
    for (const auto& id : ids) {
        auto a = load_agent(home, id);
        if (!a) {
            if (a.error().permanent())
                continue; // a directory without a state file: being made or removed
            return fail(a.error());
        }
        out.push_back(std::move(*a));
    }
    return out;
}

Result<std::optional<Agent>> find_agent(const std::string& home, std::string_view list_address) {
    auto agents = all_agents(home);
    if (!agents)
        return fail(agents.error());
    const auto want = address::split(list_address);
    for (auto& a : *agents)
        if (a.remote.local == want.local && a.remote.host == address::lowercase(want.domain) &&
            a.state != State::gone)
            return std::optional<Agent>(std::move(a));
    return std::optional<Agent>();
}

Result<std::string> new_agent_id() {
    std::array<unsigned char, 12> bytes{};
    size_t got = 0;
    while (got < bytes.size()) {
        const ssize_t n = ::getrandom(bytes.data() + got, bytes.size() - got, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return fail(from_errno(errno, "unable to read random bytes"));
        }
        got += static_cast<size_t>(n);
    }
    std::string id;
    for (unsigned char b : bytes)
        id += static_cast<char>('a' + b % 26);
    return id;
}

std::time_t wait_after_try(unsigned n) {
    constexpr std::array<std::time_t, 3> waits{3600, 4 * 3600, 12 * 3600};
    return waits[std::min<size_t>(n == 0 ? 0 : n - 1, waits.size() - 1)];
}

} // namespace qm::dynasub
