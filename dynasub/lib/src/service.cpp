#include "qm/dynasub/service.hpp"

#include "qm/address.hpp"
#include "qm/control.hpp"
#include "qm/date.hpp"
#include "qm/fd.hpp"
#include "qm/lists/core/command_address.hpp"
#include "qm/lists/core/listdir.hpp"
#include "qm/lists/core/mime.hpp"
#include "qm/lists/core/subscribers.hpp"
#include "qm/lists/core/subscription_log.hpp"
#include "qm/lists/manage/make.hpp"
#include "qm/queue_client.hpp"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <filesystem>
#include <iostream>

namespace qm::dynasub {

namespace {

namespace fs = std::filesystem;
using lists::ParsedPost;

// Requests by mail wait this long for the user's answer (ezmlm's subscription cookies).
constexpr std::time_t pending_lifetime = 1'000'000;

std::string lower(std::string_view s) {
    return address::lowercase(s);
}

bool starts_with_icase(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() && lower(s.substr(0, prefix.size())) == lower(prefix);
}

Status write_setting(const std::string& dir, const std::string& name, const std::string& value) {
    return write_file_atomic(dir + "/" + name, value + "\n", 0644);
}

Result<std::string> random_letters(size_t n) {
    std::string bytes(n, '\0');
    size_t got = 0;
    while (got < n) {
        const ssize_t r = ::getrandom(bytes.data() + got, n - got, 0);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return fail(from_errno(errno, "unable to read random bytes"));
        }
        got += static_cast<size_t>(r);
    }
    for (char& c : bytes)
        c = static_cast<char>('a' + static_cast<unsigned char>(c) % 16);
    return bytes;
}

// A mail from one of the agent's addresses. Requests to remote managers carry nothing
// of the local side: From and the envelope sender are the sublist's own address.
Status send_mail(const Home& home, const std::string& from, const std::string& envelope_sender,
                 const Outgoing& o, const std::vector<std::string>& extra, std::time_t now) {
    auto tag = random_letters(16);
    if (!tag)
        return fail(tag.error());
    std::string m;
    m += "From: " + from + "\n";
    m += "To: " + o.to + "\n";
    m += "Subject: " + o.subject + "\n";
    m += "Date: " + date822(now) + "\n";
    m += "Message-ID: <" + std::to_string(now) + "." + *tag + ".dynasub@" + home.host + ">\n";
    for (const auto& h : extra)
        m += h + "\n";
    m += "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n";
    m += o.body;
    auto q = queue_message(m, Envelope{envelope_sender, {o.to}});
    if (!q)
        return fail(q.error());
    return {};
}

// What the agent tells its postmaster: the agent's state and the message it could not
// handle, enclosed.
Status tell_postmaster(const Home& home, const Agent* a, const std::string& what,
                       std::string_view message, std::time_t now) {
    Outgoing o{home.postmaster, "dynasub: " + what.substr(0, 200), {}};
    o.body = "The dynasub agent at " + home.command("") + " needs a human:\n\n  " + what + "\n\n";
    if (a)
        o.body += "Agent " + a->id + " (" + a->remote.address() + ", sublist " +
                  home.sublist_address(a->id) + "):\n\n" + format_agent(*a) + "\n";
    o.body += "Nothing was answered for it. `dynasub list`, `dynasub retry` and `dynasub "
              "abandon` act on agents.\n";
    if (!message.empty())
        o.body += "\n--- the message, as it came ---\n" + std::string(message.substr(0, 65536));
    return send_mail(home, home.prefix + "@" + home.host, "", o, {"Auto-Submitted: auto-generated"},
                     now);
}

Status send_request(const Home& home, const Agent& a, const Outgoing& o, std::time_t now) {
    const std::string self = home.sublist_address(a.id);
    return send_mail(home, self, self, o, {}, now);
}

std::string sublist_return_prefix(const RemoteList& r) {
    switch (r.manager) {
    case Manager::ezmlm:
        return r.local + "-return-";
    case Manager::mlmmj:
        return r.local + r.delimiter + "bounces-";
    case Manager::mailman3:
    case Manager::mailman2:
        return r.local + "-bounces";
    case Manager::sympa:
        return r.local + "-owner";
    case Manager::majordomo:
        return "owner-" + r.local;
    }
    return r.local;
}

// Makes the agent's sublist: an ezmlm sublist of the remote list whose editor asks
// dynasub-gate first and whose command addresses go to dynasub-manage.
Status make_sublist(const Home& home, const Agent& a) {
    lists::MakeRequest req;
    req.dir = home.sublist_dir(a.id);
    req.dot = home.dot + "-r-" + a.id;
    req.local = home.sublist_local(a.id);
    req.host = home.host;
    req.owner = home.postmaster;
    req.parent = a.remote.address();
    req.bin_dir = home.bin;
    if (auto s = lists::make_list(req); !s)
        return s;
    const std::string q = lists::shell_quote(home.dir);
    const std::string gate =
        "|" + lists::shell_quote(home.bin + "/dynasub-gate") + " " + q + " " + a.id + "\n";
    auto editor = read_file(req.dir + "/editor");
    if (!editor)
        return fail(editor.error());
    if (auto s = write_file_atomic(req.dir + "/editor", gate + *editor, 0644); !s)
        return s;
    if (auto s = write_file_atomic(
            req.dir + "/manager",
            "|" + lists::shell_quote(home.bin + "/dynasub-manage") + " " + q + "\n", 0644);
        !s)
        return s;
    return write_setting(req.dir, "sublistreturn", sublist_return_prefix(a.remote));
}

void remove_sublist(const Home& home, const Agent& a) {
    const std::string dot = home.dot + "-r-" + a.id;
    for (const char* suffix :
         {"", "-default", "-owner", "-return-default", "-digest-owner", "-digest-return-default"}) {
        std::error_code ec;
        fs::remove(dot + suffix, ec);
    }
    std::error_code ec;
    fs::remove_all(agent_dir(home.dir, a.id), ec);
}

// Sends the join or leave request for the agent's goal and moves it on.
Status send_goal_request(const Home& home, Agent& a, std::time_t now) {
    const std::string self = home.sublist_address(a.id);
    const Outgoing o =
        a.goal == Goal::join ? join_request(a.remote, self) : leave_request(a.remote, self);
    if (auto s = send_request(home, a, o, now); !s)
        return s;
    const State next_state = a.goal == Goal::join ? State::confirming : State::leaving;
    if (a.state != next_state) {
        a.state = next_state;
        a.since = now;
        a.tries = 0;
    }
    ++a.tries;
    a.next = now + wait_after_try(a.tries);
    a.note = std::string(a.goal == Goal::join ? "join" : "leave") + " request " +
             std::to_string(a.tries) + " sent to " + o.to;
    return {};
}

Result<std::optional<Recognised>> manager_from_table(const Home& home, const std::string& list) {
    // HOME/managers: "list@host manager [delimiter]" or "host manager" lines, # comments.
    // A line naming no known manager is an error with its line number, not ezmlm.
    auto lines = lists::read_lines(home.dir, "managers");
    if (!lines)
        return fail(lines.error());
    const std::string l = lower(list);
    const std::string host = lower(address::split(list).domain);
    size_t number = 0;
    for (const auto& line : *lines) {
        ++number;
        if (line.starts_with('#') || lists::trim_blanks(line).empty())
            continue;
        std::vector<std::string> words;
        for (size_t p = 0; p < line.size();) {
            const size_t start = line.find_first_not_of(" \t", p);
            if (start == std::string::npos)
                break;
            const size_t end = std::min(line.find_first_of(" \t", start), line.size());
            words.push_back(line.substr(start, end - start));
            p = end;
        }
        const auto manager = words.size() >= 2 ? parse_manager(words[1]) : std::nullopt;
        if (!manager || words.size() > 3 ||
            (words.size() == 3 && words[2] != "+" && words[2] != "-"))
            return fail(perm("5.3.5", home.dir + "/managers line " + std::to_string(number) +
                                          ": not \"list@host manager [+|-]\" (managers: "
                                          "ezmlm mlmmj mailman3 mailman2 sympa majordomo)"));
        const std::string key = lower(words[0]);
        if (key == l || key == host)
            return std::optional<Recognised>(
                Recognised{*manager, words.size() == 3 ? words[2][0] : '-'});
    }
    return std::optional<Recognised>();
}

Result<Agent> find_by_id_or_list(const Home& home, std::string_view which) {
    if (which.find('@') == std::string_view::npos)
        return load_agent(home.dir, which);
    auto a = find_agent(home.dir, which);
    if (!a)
        return fail(a.error());
    if (!*a)
        return fail(perm("5.1.1", "no agent for " + std::string(which)));
    return **a;
}

// Leaves at once when the sublist has had no reader for the grace period.
Status leave_if_due(const Home& home, Agent& a, std::time_t now, std::vector<std::string>* out) {
    if (a.state != State::active || a.empty_since == 0 || now < a.empty_since + home.grace)
        return {};
    auto n = readers(home, a);
    if (!n)
        return fail(n.error());
    if (*n > 0) {
        a.empty_since = 0;
        a.next = 0;
        return save_agent(home.dir, a);
    }
    a.goal = Goal::leave;
    if (auto s = send_goal_request(home, a, now); !s)
        return s;
    log_event(home, "agent " + a.id + " " + a.remote.address() + ": " + a.note, now);
    if (out)
        out->push_back(a.id + ": " + a.note);
    return save_agent(home.dir, a);
}

// The remote list has the sublist: by its welcome, or its first post where none comes.
void activate(Agent& a, const std::string& why, std::time_t now) {
    a.state = State::active;
    a.since = now;
    a.tries = 0;
    a.next = 0;
    a.note = "active: " + why;
}

std::string bad_request_text(const Home& home) {
    return "I do not understand this request. To join a list, mail " +
           home.command("subscribe-LIST=HOST") + " (for LIST@HOST); to leave it, " +
           home.command("unsubscribe-LIST=HOST") + ".";
}

} // namespace

// ---- the home ----

Status setup_home(const SetupRequest& r) {
    if (r.dir.empty() || r.dir[0] != '/')
        return fail(perm("5.3.5", "the agent home must be an absolute path"));
    if (r.host.empty() || r.dot.empty() || r.bin.empty())
        return fail(perm("5.3.5", "setup needs the host, the .qmail prefix and the bin directory"));
    for (const std::string& d : {r.dir, r.dir + "/agents", r.dir + "/pending"})
        if (::mkdir(d.c_str(), 0755) != 0 && errno != EEXIST)
            return fail(from_errno(errno, "unable to create " + d));
    if (auto s = write_setting(r.dir, "host", lower(r.host)); !s)
        return s;
    if (auto s = write_setting(r.dir, "prefix", r.prefix); !s)
        return s;
    if (auto s = write_setting(r.dir, "dot", r.dot); !s)
        return s;
    if (auto s = write_setting(r.dir, "bin", r.bin); !s)
        return s;
    if (auto s = write_setting(r.dir, "postmaster",
                               r.postmaster.empty() ? "postmaster@" + lower(r.host) : r.postmaster);
        !s)
        return s;
    if (r.grace)
        if (auto s = write_setting(r.dir, "grace", std::to_string(*r.grace)); !s)
            return s;
    const std::string line = "|" + lists::shell_quote(r.bin + "/dynasub-manage") + " " +
                             lists::shell_quote(r.dir) + "\n";
    for (const std::string& f : {r.dot, r.dot + "-default"})
        if (auto s = write_file_atomic(f, line, 0644); !s)
            return s;
    return {};
}

Result<Home> read_home(const std::string& dir) {
    Home h;
    h.dir = dir;
    for (auto [name, field] :
         {std::pair{"host", &h.host}, std::pair{"prefix", &h.prefix}, std::pair{"dot", &h.dot},
          std::pair{"bin", &h.bin}, std::pair{"postmaster", &h.postmaster}}) {
        auto v = lists::require_setting(dir, name);
        if (!v)
            return fail(v.error());
        *field = std::move(*v);
    }
    auto grace = lists::read_setting(dir, "grace");
    if (!grace)
        return fail(grace.error());
    if (*grace) {
        const std::string& g = **grace;
        auto [p, ec] = std::from_chars(g.data(), g.data() + g.size(), h.grace);
        if (ec != std::errc() || p != g.data() + g.size() || h.grace < 0)
            return fail(temp("4.3.0", dir + "/grace:1: not a number of seconds"));
    }
    return h;
}

void log_event(const Home& home, std::string_view text, std::time_t now) {
    std::string line = std::to_string(now) + " " + std::string(text);
    for (char& c : line)
        if (static_cast<unsigned char>(c) < 0x20)
            c = '?';
    line += '\n';
    std::cerr << "dynasub: " << line;
    const std::string path = home.dir + "/Log";
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644));
    if (fd)
        (void)write_all(fd.get(), line);
}

Result<size_t> readers(const Home& home, const Agent& a) {
    size_t n = 0;
    auto s = lists::for_each_subscriber(home.sublist_dir(a.id), [&n](std::string_view) { ++n; });
    if (!s)
        return fail(s.error());
    return n;
}

// ---- joining and leaving ----

Result<std::string> join(const Home& home, std::string_view user, const ListChoice& list,
                         std::time_t now) {
    auto who = lists::normalise_address(user);
    if (!who)
        return fail(who.error());
    const auto parts = address::split(list.address);
    if (parts.local.empty() || parts.domain.empty() || list.address.find('@') == std::string::npos)
        return fail(perm("5.1.3", "not a list address: " + lists::excerpt(list.address)));
    if (lower(parts.domain) == lower(home.host))
        return fail(perm("5.7.1", "a list on this host needs no agent: mail " + list.address));
    auto lock = lists::Lock::acquire(home.dir + "/lock");
    if (!lock)
        return fail(lock.error());
    auto found = find_agent(home.dir, list.address);
    if (!found)
        return fail(found.error());
    Agent a;
    if (*found) {
        a = std::move(**found);
    } else {
        auto id = new_agent_id();
        if (!id)
            return fail(id.error());
        a.id = *id;
        a.remote.local = parts.local;
        a.remote.host = lower(parts.domain);
        Recognised chosen{list.manager.value_or(Manager::ezmlm), list.delimiter};
        if (!list.manager) {
            auto t = manager_from_table(home, list.address);
            if (!t)
                return fail(t.error());
            if (*t)
                chosen = **t;
        }
        a.remote.manager = chosen.manager;
        a.remote.delimiter = chosen.manager == Manager::mlmmj ? chosen.delimiter : '-';
        a.state = State::requested;
        a.since = now;
        a.next = now;
        a.note = "made for " + a.remote.address();
        if (::mkdir(agent_dir(home.dir, a.id).c_str(), 0755) != 0)
            return fail(from_errno(errno, "unable to create " + agent_dir(home.dir, a.id)));
        if (auto s = make_sublist(home, a); !s)
            return fail(s.error());
        if (auto s = save_agent(home.dir, a); !s)
            return fail(s.error());
        log_event(home,
                  "agent " + a.id + " " + a.remote.address() + ": new, " +
                      std::string(manager_name(a.remote.manager)),
                  now);
    }
    const std::string sub = home.sublist_dir(a.id);
    auto added = lists::subscribe(sub, *who, [&] {
        return lists::append_subscription_log(sub, now, "+", *who, "by dynasub");
    });
    if (!added)
        return fail(added.error());
    a.empty_since = 0;
    if (a.goal == Goal::leave && !a.leave_confirmed && a.state == State::leaving) {
        // The leave was not confirmed yet: the remote subscription simply stays.
        a.goal = Goal::join;
        a.state = State::active;
        a.since = now;
        a.tries = 0;
        a.note = "a reader came back before the leave was confirmed";
    } else if (a.goal == Goal::leave) {
        a.goal = Goal::join; // after the goodbye, join again (see gate)
    }
    a.next = a.state == State::active ? 0 : a.next;
    std::string what = std::string(*added ? "joined " : "was already in ") + a.remote.address() +
                       " (agent " + a.id + ", " + std::string(state_name(a.state)) + ")";
    if (a.state == State::requested) {
        if (auto s = send_goal_request(home, a, now); !s) {
            a.note = "join request not sent yet: " + s.error().text;
            a.next = now + 60;
        }
        what += "; " + a.note;
    }
    if (auto s = save_agent(home.dir, a); !s)
        return fail(s.error());
    log_event(home, "agent " + a.id + " " + a.remote.address() + ": " + *who + " " + what, now);
    return *who + " " + what;
}

Result<std::string> leave(const Home& home, std::string_view user, std::string_view list_address,
                          std::time_t now) {
    auto who = lists::normalise_address(user);
    if (!who)
        return fail(who.error());
    auto lock = lists::Lock::acquire(home.dir + "/lock");
    if (!lock)
        return fail(lock.error());
    auto a = find_by_id_or_list(home, list_address);
    if (!a)
        return fail(a.error());
    const std::string sub = home.sublist_dir(a->id);
    auto removed = lists::unsubscribe(sub, *who, [&] {
        return lists::append_subscription_log(sub, now, "-", *who, "by dynasub");
    });
    if (!removed)
        return fail(removed.error());
    auto n = readers(home, *a);
    if (!n)
        return fail(n.error());
    std::string what = std::string(*removed ? "left " : "was not in ") + a->remote.address();
    if (*n == 0 && a->empty_since == 0) {
        a->empty_since = now;
        a->next = now + home.grace;
        what += "; no reader is left, the sublist leaves in " + std::to_string(home.grace) + " s";
    }
    log_event(home, "agent " + a->id + " " + a->remote.address() + ": " + *who + " " + what, now);
    if (auto s = leave_if_due(home, *a, now, nullptr); !s)
        return fail(s.error());
    if (auto s = save_agent(home.dir, *a); !s)
        return fail(s.error());
    return *who + " " + what;
}

// ---- requests by mail ----

Result<std::string> handle_request(const Home& home, std::string_view local,
                                   std::string_view sender, const ParsedPost& message,
                                   std::time_t now) {
    if (sender.empty() || sender == "#@[]" || starts_with_icase(sender, "mailer-daemon@"))
        return std::string("a bounce to " + std::string(local) + ": ignored");
    if (!starts_with_icase(local, home.prefix))
        return fail(perm("5.1.1", "not a dynasub address: " + lists::excerpt(local)));
    std::string_view rest = local.substr(home.prefix.size());
    if (!rest.empty()) {
        if (rest[0] != '-')
            return fail(perm("5.1.1", "not a dynasub address: " + lists::excerpt(local)));
        rest.remove_prefix(1);
    }
    const std::string verb_rest = lower(rest);

    // The user's answer to a confirmation request.
    if (verb_rest.starts_with("confirm-")) {
        const std::string cookie = verb_rest.substr(8);
        if (cookie.size() != 20 ||
            !std::all_of(cookie.begin(), cookie.end(), [](char c) { return c >= 'a' && c <= 'p'; }))
            return fail(perm("5.7.1", "this confirmation address is not valid"));
        const std::string path = home.dir + "/pending/" + cookie;
        auto text = read_file(path);
        if (!text)
            return fail(perm("5.7.1", "this confirmation is unknown or was used already; "
                                      "send the request again"));
        std::vector<std::string> f;
        for (size_t pos = 0; pos < text->size();) {
            const size_t nl = text->find('\n', pos);
            f.push_back(text->substr(pos, nl - pos));
            pos = nl == std::string::npos ? text->size() : nl + 1;
        }
        if (f.size() < 5)
            return fail(temp("4.3.0", path + ": truncated"));
        std::time_t when = 0;
        std::from_chars(f[4].data(), f[4].data() + f[4].size(), when);
        if (::unlink(path.c_str()) != 0)
            return fail(from_errno(errno, "unable to remove " + path));
        if (now > when + pending_lifetime)
            return fail(perm("5.7.1", "this confirmation has expired; send the request again"));
        const std::string& action = f[0];
        const std::string& list = f[1];
        const std::string& user = f[2];
        Result<std::string> done = std::string();
        if (action == "join") {
            ListChoice c{list, parse_manager(f[3]), f.size() > 5 && f[5] == "+" ? '+' : '-'};
            done = join(home, user, c, now);
        } else {
            done = leave(home, user, list, now);
        }
        if (!done)
            return done;
        Outgoing o{user,
                   action == "join" ? "welcome to " + list + " (through " + home.host + ")"
                                    : "goodbye from " + list + " (through " + home.host + ")",
                   {}};
        o.body = action == "join"
                     ? "You will receive the posts of " + list +
                           " through this host's "
                           "subscription to it; the list itself does not learn your address.\n"
                           "To leave, mail " +
                           home.command("unsubscribe-" + lists::encode_target(list)) + ".\n"
                     : "You no longer receive " + list + " through this host.\n";
        if (auto s = send_mail(home, home.prefix + "@" + home.host, "", o,
                               {"Auto-Submitted: auto-replied"}, now);
            !s)
            return fail(s.error());
        return *done;
    }

    // A request: join or leave, and which list.
    std::string action, list;
    std::optional<Manager> manager;
    char delimiter = '-';
    auto parse_words = [&](std::string_view text) {
        std::vector<std::string> words;
        std::string w;
        for (char c : text) {
            if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
                if (!w.empty())
                    words.push_back(std::move(w));
                w.clear();
                if (c == '\n' && !words.empty())
                    break;
            } else {
                w += c;
            }
        }
        if (!w.empty())
            words.push_back(std::move(w));
        return words;
    };
    if (verb_rest.starts_with("r-") && verb_rest.size() > 14 && verb_rest[14] == '-') {
        // A reader at the sublist's own command addresses (List-Unsubscribe of a post).
        auto a = load_agent(home.dir, verb_rest.substr(2, 12));
        if (!a)
            return fail(perm("5.1.1", "no such sublist here"));
        const std::string cmd = verb_rest.substr(15);
        if (cmd == "unsubscribe" || cmd == "leave")
            action = "leave";
        else if (cmd == "subscribe" || cmd == "join")
            action = "join";
        list = a->remote.address();
        manager = a->remote.manager;
    } else if (!verb_rest.empty() && verb_rest != "help") {
        const size_t dash = rest.find('-');
        const std::string verb = lower(rest.substr(0, dash));
        if (verb == "subscribe" || verb == "join")
            action = "join";
        else if (verb == "unsubscribe" || verb == "leave")
            action = "leave";
        if (dash != std::string_view::npos)
            if (auto t = lists::decode_target(rest.substr(dash + 1)))
                list = *t;
    } else if (verb_rest.empty()) {
        // PREFIX@host: "subscribe LIST@HOST [manager]" (or the address alone, to join) in
        // the subject or on the body's first line.
        for (const std::string& text :
             {std::string(message.first("subject") ? message.first("subject")->value() : ""),
              message.body}) {
            auto words = parse_words(text);
            if (words.size() == 1 && words[0].find('@') != std::string::npos) {
                action = "join"; // the list's address alone
                list = words[0];
                break;
            }
            if (words.size() >= 2) {
                const std::string verb = lower(words[0]);
                if (verb == "subscribe" || verb == "join")
                    action = "join";
                else if (verb == "unsubscribe" || verb == "leave")
                    action = "leave";
                if (!action.empty()) {
                    list = words[1];
                    if (words.size() >= 3)
                        manager = parse_manager(words[2]);
                    if (words.size() >= 4 && words[3] == "+")
                        delimiter = '+';
                    break;
                }
            }
        }
    }
    // No list named: a post of the list, redirected or forwarded as an attachment, names
    // it, and most often its manager too. The address's verb says join or leave (join at
    // PREFIX@host); the body's words never do, being someone else's text.
    if (list.find('@') == std::string::npos && verb_rest != "help" &&
        !verb_rest.starts_with("r-")) {
        if (auto sample = list_of_sample(message.text())) {
            list = sample->address;
            action = verb_rest.empty() ? "join" : action;
            if (sample->manager) {
                manager = sample->manager->manager;
                delimiter = sample->manager->delimiter;
            }
        }
    }
    Outgoing o{std::string(sender), {}, {}};
    if (action.empty() || list.find('@') == std::string::npos) {
        o.subject = "dynasub at " + home.host;
        o.body = bad_request_text(home) + "\nOr mail " + home.prefix + "@" + home.host +
                 " with \"subscribe LIST@HOST\" as its subject,\nor redirect (bounce) a post "
                 "of the list to " +
                 home.prefix + "@" + home.host + ",\nor forward one to it as an attachment.\n";
        if (auto s = send_mail(home, home.prefix + "@" + home.host, "", o,
                               {"Auto-Submitted: auto-replied"}, now);
            !s)
            return fail(s.error());
        return std::string("help sent to ") + std::string(sender);
    }
    // Only this host's users: an outsider is refused, and a confirmation only ever goes
    // to the user named, so nobody can join someone else.
    auto locals = control::read_lines("locals");
    if (!locals)
        return fail(locals.error());
    const std::string domain = lower(address::split(sender).domain);
    if (domain != home.host &&
        std::none_of(locals->begin(), locals->end(),
                     [&domain](const std::string& l) { return lower(l) == domain; }))
        return fail(perm("5.7.1", "dynasub serves the users of this host only"));
    auto who = lists::normalise_address(sender);
    if (!who)
        return fail(who.error());
    auto cookie = random_letters(20);
    if (!cookie)
        return fail(cookie.error());
    const std::string path = home.dir + "/pending/" + *cookie;
    if (auto s = write_file_atomic(path,
                                   action + "\n" + list + "\n" + *who + "\n" +
                                       (manager ? std::string(manager_name(*manager)) : "") + "\n" +
                                       std::to_string(now) + "\n" + delimiter + "\n",
                                   0600);
        !s)
        return fail(s.error());
    o.to = *who;
    o.subject = "confirm " + action + " " + list;
    o.body = "Someone (probably you) asked this host's dynasub agent to " +
             std::string(action == "join" ? "subscribe you to " : "unsubscribe you from ") + list +
             ".\nTo confirm, reply to this message, or send an empty message to\n\n    " +
             home.command("confirm-" + *cookie) +
             "\n\nIf you did not ask, ignore this message: nothing changes.\n";
    if (auto s = send_mail(
            home, home.prefix + "@" + home.host, "", o,
            {"Reply-To: " + home.command("confirm-" + *cookie), "Auto-Submitted: auto-replied"},
            now);
        !s)
        return fail(s.error());
    const std::string line = action + " request for " + list + " sent to " + *who + " to confirm";
    log_event(home, line, now);
    return line;
}

// ---- the sublist's gate ----

Result<GateOutcome> gate(const Home& home, std::string_view id, std::string_view sender,
                         std::string_view message, std::time_t now) {
    auto lock = lists::Lock::acquire(home.dir + "/lock");
    if (!lock)
        return fail(lock.error());
    auto loaded = load_agent(home.dir, id);
    if (!loaded)
        return fail(loaded.error());
    Agent& a = *loaded;
    const std::string self = home.sublist_address(a.id);
    const ParsedPost post(message);
    const Incoming in = classify(a.remote, self, sender, post);
    const std::string head = "agent " + a.id + " " + a.remote.address() + ": ";
    GateOutcome out;
    auto to_postmaster = [&](const std::string& what) -> Result<GateOutcome> {
        log_event(home, head + what + "; sent to the postmaster", now);
        if (auto s = tell_postmaster(home, &a, what, message, now); !s)
            return fail(s.error());
        return GateOutcome{GateAction::done, what};
    };
    auto save = [&]() -> Status {
        log_event(home, head + a.note, now);
        return save_agent(home.dir, a);
    };
    switch (in.kind) {
    case Kind::stranger:
        log_event(home, head + "refused mail " + in.why, now);
        return GateOutcome{GateAction::refuse,
                           "this address takes mail only from " + a.remote.address() + " (#5.7.1)"};
    case Kind::post:
        if (a.state == State::confirming || a.state == State::requested) {
            // Some managers send no welcome: the first post shows the subscription is on.
            activate(a, "the first post came (" + in.why + ")", now);
            if (auto s = save(); !s)
                return fail(s.error());
        }
        return GateOutcome{GateAction::deliver, in.why};
    case Kind::confirm_join:
        if (a.goal != Goal::join || (a.state != State::confirming && a.state != State::requested))
            return to_postmaster("a join confirmation for a request this agent did not send (" +
                                 in.why + ")");
        if (auto s = send_request(home, a, *in.answer, now); !s)
            return fail(s.error());
        a.note = "answered the " + in.why;
        if (auto s = save(); !s)
            return fail(s.error());
        return GateOutcome{GateAction::done, a.note};
    case Kind::confirm_leave:
        if (a.state != State::leaving || a.goal != Goal::leave)
            return to_postmaster("a leave confirmation for a request this agent did not send (" +
                                 in.why + ")");
        if (auto s = send_request(home, a, *in.answer, now); !s)
            return fail(s.error());
        a.leave_confirmed = true;
        a.note = "answered the " + in.why;
        if (auto s = save(); !s)
            return fail(s.error());
        return GateOutcome{GateAction::done, a.note};
    case Kind::welcome:
        if (a.state == State::confirming || a.state == State::requested) {
            activate(a, in.why, now);
            auto n = readers(home, a);
            if (!n)
                return fail(n.error());
            if (*n == 0) { // everyone left while it was joining
                a.empty_since = now;
                a.next = now + home.grace;
            }
            if (auto s = save(); !s)
                return fail(s.error());
            if (auto s = leave_if_due(home, a, now, nullptr); !s)
                return fail(s.error());
        } else {
            log_event(home, head + "another welcome: " + in.why, now);
        }
        return GateOutcome{GateAction::done, in.why};
    case Kind::goodbye: {
        auto n = readers(home, a);
        if (!n)
            return fail(n.error());
        if (*n > 0) {
            // Readers came back while it was leaving, or the remote list dropped the
            // sublist on its own: join again.
            const bool unexpected = a.state != State::leaving;
            a.goal = Goal::join;
            a.leave_confirmed = false;
            a.state = State::requested;
            a.since = now;
            a.tries = 0;
            if (auto s = send_goal_request(home, a, now); !s) {
                a.note = "join request not sent yet: " + s.error().text;
                a.next = now + 60;
            }
            if (auto s = save(); !s)
                return fail(s.error());
            if (unexpected)
                return to_postmaster("the remote list ended the subscription (" + in.why +
                                     "); joining again");
            return GateOutcome{GateAction::done, a.note};
        }
        a.state = State::gone;
        a.since = now;
        a.next = 0;
        a.note = "gone: " + in.why;
        if (auto s = save(); !s)
            return fail(s.error());
        remove_sublist(home, a);
        return GateOutcome{GateAction::done, a.note};
    }
    case Kind::notice:
        log_event(home, head + "accepted " + in.why, now);
        return GateOutcome{GateAction::done, in.why};
    case Kind::unknown:
        break;
    }
    if (sender.empty() && (a.state == State::confirming || a.state == State::leaving)) {
        a.state = State::failed;
        a.since = now;
        a.next = 0;
        a.note = "failed: a request bounced";
        if (auto s = save(); !s)
            return fail(s.error());
        return to_postmaster("a request to " + a.remote.address() + " bounced");
    }
    return to_postmaster("not understood from " + std::string(sender) + ": " + in.why);
}

// ---- time ----

Result<std::vector<std::string>> tick(const Home& home, std::time_t now) {
    std::vector<std::string> out;
    auto lock = lists::Lock::acquire(home.dir + "/lock");
    if (!lock)
        return fail(lock.error());
    auto agents = all_agents(home.dir);
    if (!agents)
        return fail(agents.error());
    for (Agent& a : *agents) {
        if (a.next == 0 || a.next > now)
            continue;
        switch (a.state) {
        case State::requested:
        case State::confirming:
        case State::leaving:
            if (a.state != State::requested && a.tries >= max_tries) {
                a.state = State::failed;
                a.since = now;
                a.next = 0;
                a.note = "failed: no answer from " + a.remote.address() + " after " +
                         std::to_string(a.tries) + " requests";
                if (auto s = tell_postmaster(home, &a, a.note, {}, now); !s)
                    return fail(s.error());
            } else if (auto s = send_goal_request(home, a, now); !s) {
                a.note = "request not sent: " + s.error().text;
                a.next = now + 60;
            }
            log_event(home, "agent " + a.id + " " + a.remote.address() + ": " + a.note, now);
            out.push_back(a.id + ": " + a.note);
            if (auto s = save_agent(home.dir, a); !s)
                return fail(s.error());
            break;
        case State::active:
            if (auto s = leave_if_due(home, a, now, &out); !s)
                return fail(s.error());
            break;
        case State::failed:
        case State::gone:
            break;
        }
    }
    // Requests by mail nobody confirmed.
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(home.dir + "/pending", ec)) {
        struct stat st {};
        if (::stat(e.path().c_str(), &st) == 0 && st.st_mtime + pending_lifetime < now)
            fs::remove(e.path(), ec);
    }
    return out;
}

Result<std::string> retry(const Home& home, std::string_view which, std::time_t now) {
    auto lock = lists::Lock::acquire(home.dir + "/lock");
    if (!lock)
        return fail(lock.error());
    auto a = find_by_id_or_list(home, which);
    if (!a)
        return fail(a.error());
    if (a->state == State::active || a->state == State::gone)
        return fail(perm("5.5.1", "agent " + a->id + " is " + std::string(state_name(a->state)) +
                                      ": nothing to retry"));
    a->tries = 0;
    a->state = a->goal == Goal::join ? State::requested : State::leaving;
    if (auto s = send_goal_request(home, *a, now); !s)
        return fail(s.error());
    log_event(home, "agent " + a->id + " " + a->remote.address() + ": retried: " + a->note, now);
    if (auto s = save_agent(home.dir, *a); !s)
        return fail(s.error());
    return a->id + ": " + a->note;
}

Result<std::string> abandon(const Home& home, std::string_view which, std::time_t now) {
    auto lock = lists::Lock::acquire(home.dir + "/lock");
    if (!lock)
        return fail(lock.error());
    auto a = find_by_id_or_list(home, which);
    if (!a)
        return fail(a.error());
    a->state = State::gone;
    a->note = "abandoned by the admin";
    if (auto s = save_agent(home.dir, *a); !s)
        return fail(s.error());
    remove_sublist(home, *a);
    log_event(home, "agent " + a->id + " " + a->remote.address() + ": abandoned", now);
    return a->id + ": abandoned; " + a->remote.address() +
           " may still send to the sublist address, which now bounces";
}

} // namespace qm::dynasub
