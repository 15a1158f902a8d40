#include "qm/lists/moderate/moderation.hpp"

#include "qm/address.hpp"
#include "qm/fd.hpp"
#include "qm/inject/header.hpp"
#include "qm/lists/core/clock.hpp"
#include "qm/lists/core/cookie.hpp"
#include "qm/lists/core/ezmlm7_cookie.hpp"
#include "qm/lists/core/mime.hpp"
#include "qm/lists/core/reply.hpp"
#include "qm/lists/core/subscribers.hpp"
#include "qm/process.hpp"
#include "qm/program.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <memory>

namespace qm::lists {

using qm::address::lowercase;

namespace {

// Owner-execute on a held post: the file is complete (ezmlm-idx's MODE_MOD_MSG | 0700).
constexpr mode_t complete_mode = 0700;
// A moderation or confirmation cookie outlives any held post (modtime is at most 240 h);
// the held file's presence is what really limits an answer.
constexpr std::time_t moderation_cookie_lifetime = subscription_cookie_lifetime;

// The verdict on an answer about a held post: ours, or, within the list's ezmlm-idx 7
// cookie window, the cookie 7.x's ezmlm-store gave it (over the file name alone, action
// a, for moderators and posters alike) with our lifetime, so that an expired one of
// either kind gets the same answer.
Result<CookieVerdict> held_cookie_verdict(const std::string& dir, const HeldName& name,
                                          std::string_view cookie, CookieVerdict ours) {
    if (ours != CookieVerdict::forged)
        return ours;
    const std::time_t at = now();
    auto key = ezmlm7_key_if_open(dir, at);
    if (!key)
        return fail(key.error());
    if (!*key || !ezmlm7_cookie_matches(**key, name.text(), "", "a", cookie))
        return ours;
    if (name.when > at)
        return CookieVerdict::from_the_future;
    if (at - name.when > moderation_cookie_lifetime)
        return CookieVerdict::expired;
    return CookieVerdict::valid;
}

std::string mod_path(const std::string& dir, std::string_view sub, const HeldName& name) {
    return dir + "/mod/" + std::string(sub) + "/" + name.text();
}

bool exists(const std::string& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0;
}

std::string moderator_dtline(const ListInfo& list) {
    return "Delivered-To: moderator for " + list.address() + "\n";
}

// A held file: its first line is "Return-Path: <sender>".
struct HeldPost {
    std::string sender; // empty when the post came without one
    std::string text;   // the whole file, as moderators and posters see it enclosed
};

Result<HeldPost> read_held(const std::string& path) {
    auto text = qm::read_file(path);
    if (!text)
        return fail(temp("4.3.0", "unable to read " + path + ": " + text.error().text));
    HeldPost held;
    held.text = std::move(*text);
    std::string_view first = std::string_view(held.text).substr(0, held.text.find('\n'));
    if (lowercase(first.substr(0, 12)) == "return-path:") {
        auto lt = first.find('<');
        auto gt = first.rfind('>');
        if (lt != std::string_view::npos && gt != std::string_view::npos && gt > lt)
            held.sender = std::string(first.substr(lt + 1, gt - lt - 1));
    }
    return held;
}

// A held post distributed as ezmlm-send would have done, with the poster as the sender.
Result<Sent> distribute_held(const std::string& dir, const HeldPost& held,
                             const SendOptions& options) {
    return send_post(dir,
                     held.sender.empty() ? std::nullopt : std::optional<std::string>(held.sender),
                     held.text, options);
}

// A message's header, with the empty line that ends it.
std::string header_of(std::string_view text) {
    for (size_t at = 0; at < text.size();) {
        auto nl = text.find('\n', at);
        if (nl == std::string_view::npos)
            break;
        if (nl == at || (nl == at + 1 && text[at] == '\r'))
            return std::string(text.substr(0, nl + 1));
        at = nl + 1;
    }
    return std::string(text) + (text.ends_with("\n") ? "\n" : "\n\n");
}

// The environment a trailing program runs in: ours, with SENDER the poster's.
std::vector<std::string> program_environment(const std::string& poster) {
    std::vector<std::string> env;
    for (char** e = environ; e && *e; ++e)
        if (!std::string_view(*e).starts_with("SENDER="))
            env.emplace_back(*e);
    env.push_back("SENDER=" + poster);
    return env;
}

// Hands the held file at path to release.program (moderation.hpp, Release).
Status hand_to_program(const std::string& dir, const std::string& path, const HeldPost& held,
                       const std::vector<std::string>& program) {
    const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0)
        return fail(from_errno(errno, "unable to open " + path));
    Spawn spawn;
    spawn.argv =
        program.size() == 1 ? std::vector<std::string>{"/bin/sh", "-c", program.front()} : program;
    spawn.search_path = program.size() > 1;
    spawn.env = program_environment(held.sender);
    spawn.fds = {{fd.get(), 0}, {1, 1}, {2, 2}};
    spawn.cwd = dir;
    auto pid = qm::spawn(spawn);
    if (!pid)
        return fail(unable_to_run(spawn.argv.front(), pid.error()));
    auto status = wait_for(*pid);
    if (!status)
        return fail(status.error());
    const auto code = exit_code_of(*status);
    if (code == 0)
        return {};
    const std::string what =
        program.front() + " " + (code ? "exited " + std::to_string(*code) : std::string("crashed"));
    if (code == 100)
        return fail(perm("5.7.0", what + ": permanent failure"));
    return fail(temp("4.3.0", what + ": temporary failure"));
}

// The post as it came, without the Return-Path and Delivered-To lines the held file
// starts with (held again for the moderators, it gets them anew).
std::string_view original_post(const HeldPost& held) {
    std::string_view rest = held.text;
    auto skip_line_if = [&](std::string_view prefix) {
        if (lowercase(rest.substr(0, prefix.size())) == prefix) {
            auto nl = rest.find('\n');
            rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
        }
    };
    skip_line_if("return-path:");
    skip_line_if("delivered-to: moderator for ");
    return rest;
}

Status move_file(const std::string& from, const std::string& to) {
    if (::rename(from.c_str(), to.c_str()) != 0)
        return fail(from_errno(errno, "unable to move " + from + " to " + to));
    if (auto s = fsync_dir(dirname_of(to)); !s)
        return s;
    return fsync_dir(dirname_of(from));
}

// Runs the trailing program on a held file without mod/lock, which the program may take
// itself (ezmlm-store -Y and ezmlm-gate hold posts under it): the file is first renamed
// out of the way, so that an answer meanwhile finds the post gone, and it goes back when
// the program fails, for a later answer. Returns where the file is after a success.
Result<std::string> hand_over(const std::string& dir, const std::string& path, const HeldPost& held,
                              const std::vector<std::string>& program, Result<Lock>& lock) {
    const std::string handing = path + ".handing";
    if (auto s = move_file(path, handing); !s)
        return fail(s.error());
    { const Lock released = std::move(*lock); }
    auto handed = hand_to_program(dir, handing, held, program);
    lock = Lock::acquire(dir + "/mod/lock");
    if (!lock)
        return fail(lock.error());
    if (!handed) {
        if (auto s = move_file(handing, path); !s)
            return fail(s.error());
        return fail(handed.error());
    }
    return handing;
}

Status ensure_dir(const std::string& path) {
    if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST)
        return fail(from_errno(errno, "unable to create " + path));
    return {};
}

// Writes the held file: created without the execute bit, which it gets only once
// everything is on disk, so a crash leaves a file ezmlm-clean recognises as partial.
Status write_held(const std::string& path, std::string_view text) {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (!fd)
        return fail(from_errno(errno, "unable to create " + path));
    auto fail_and_remove = [&](Failure f) -> Status {
        ::unlink(path.c_str());
        return fail(std::move(f));
    };
    if (auto w = write_all(fd.get(), text); !w)
        return fail_and_remove(temp("4.3.0", "unable to write " + path + ": " + w.error().text));
    if (auto s = fsync_fd(fd.get(), path); !s)
        return fail_and_remove(s.error());
    if (::fchmod(fd.get(), complete_mode) != 0)
        return fail_and_remove(from_errno(errno, "unable to chmod " + path));
    fd.reset();
    return fsync_dir(dirname_of(path));
}

// Refuses what would loop: our own moderator Delivered-To line, or a post that already
// came through a mailing list.
Status check_loops(const ListInfo& list, std::string_view message) {
    const std::string dtline = moderator_dtline(list);
    for (const auto& f : qm::inject::split_message(message).fields) {
        if (f == dtline)
            return fail(
                perm("5.4.6", "this message is looping: it already has my Delivered-To line"));
        if (lowercase(qm::inject::field_name(f)) == "mailing-list")
            return fail(perm("5.7.2", "message already has a Mailing-List header field: it "
                                      "came from a mailing list, so it is not posted again"));
    }
    return {};
}

Result<std::string> text_then(const ListInfo& list, std::initializer_list<std::string_view> names,
                              const TextTags& tags) {
    std::string body;
    for (auto name : names) {
        auto t = render_text(list, name, tags);
        if (!t)
            return fail(t.error());
        body += *t;
    }
    return body;
}

Result<std::vector<std::string>> members(const std::string& db) {
    std::vector<std::string> out;
    if (auto s = for_each_subscriber(db, [&](std::string_view a) { out.emplace_back(a); }); !s)
        return fail(s.error());
    return out;
}

Status refuse_bounces(const std::optional<std::string>& sender) {
    if (sender && (sender->empty() || *sender == "#@[]"))
        return fail(perm("5.7.2", "I don't distribute bounce messages"));
    return {};
}

// Straight to the subscribers, as ezmlm-send.
Result<Stored> send_now(const std::string& dir, const std::optional<std::string>& sender,
                        std::string_view message, const SendOptions& options) {
    auto sent = send_post(dir, sender, message, options);
    if (!sent)
        return fail(sent.error());
    Stored stored;
    stored.sent = *sent;
    return stored;
}

// Who gets the moderators' request for a post from sender: only the poster when the
// poster is a moderator, else every moderator. With modpostonly, anyone else is refused.
// Reads the moderator database, so it must run without mod/lock held.
Result<std::vector<std::string>> moderators_for(const std::string& dir,
                                                const std::optional<std::string>& sender,
                                                const StoreOptions& options) {
    auto db = moderator_db(dir);
    if (!db)
        return fail(db.error());
    if (sender) {
        auto is_mod = is_subscriber(*db, *sender);
        if (!is_mod)
            return fail(is_mod.error());
        if (*is_mod)
            return std::vector<std::string>{*sender};
    }
    if (options.modpostonly.value_or(has_flag(dir, "modpostonly")))
        return fail(perm("5.7.2", "I'm sorry, you are not allowed to post messages to this list"));
    if (options.split_moderators)
        *db = dir + "/mod";
    auto moderators = members(*db);
    if (!moderators)
        return fail(moderators.error());
    if (moderators->empty())
        // Temporary: the post stays in the sender's queue until someone adds a moderator.
        return fail(temp("4.3.0", "the list has no moderators (" + *db +
                                      " is empty), so nobody could approve the post"));
    return moderators;
}

// The sender as the held file's Return-Path line keeps it, and read_held gives it back.
std::string held_sender(std::string_view sender) {
    std::string out(sender);
    std::replace_if(
        out.begin(), out.end(), [](char c) { return c == '\n' || c == '\0'; }, '_');
    return out;
}

// A file just written to mod/<sub>.
struct NewHeld {
    HeldName name;
    std::string path;
    std::string text; // as written: Return-Path, our Delivered-To line, the post
};

// Writes the post to a new mod/<sub>/T.P. The caller holds mod/lock.
Result<NewHeld> write_new_held(const std::string& dir, std::string_view sub, const ListInfo& list,
                               const std::optional<std::string>& sender, std::string_view message) {
    NewHeld out;
    for (int attempt = 0;; ++attempt) {
        out.name = {now(), static_cast<unsigned long>(::getpid())};
        out.path = mod_path(dir, sub, out.name);
        if (!exists(out.path))
            break;
        // Only a pid reused within the same second gets here; ezmlm-store waits too.
        if (attempt == 2)
            return fail(temp("4.3.0", "unable to create a unique file name in " + dir + "/mod/" +
                                          std::string(sub)));
        ::sleep(1);
    }
    out.text = "Return-Path: <" + held_sender(sender.value_or("")) + ">\n" + moderator_dtline(list);
    out.text += message;
    if (auto s = write_held(out.path, out.text); !s)
        return fail(s.error());
    return out;
}

// Where a post goes in a reply: enclosed as a MIME part, or with ezmlm-idx 7's -M
// appended to the text.
void put_post(Reply& reply, std::string post, bool append) {
    if (!append) {
        reply.enclosed = std::move(post);
        return;
    }
    if (!reply.body.empty() && !reply.body.ends_with("\n"))
        reply.body += "\n";
    reply.body += "\n" + post;
}

// Mails a request about a file just held; without a request nobody knows of the file,
// so it goes again when the request cannot be made or queued.
Result<pid_t> send_request(const ListInfo& list, const NewHeld& held, std::string_view text,
                           const TextTags& tags, Reply request, const StoreOptions& options = {}) {
    auto body = text_then(list, {text}, tags);
    if (!body) {
        ::unlink(held.path.c_str());
        return fail(body.error());
    }
    request.body = std::move(*body);
    put_post(request, options.header_only ? header_of(held.text) : held.text, options.append);
    auto queued = send_reply(list, request, now());
    if (!queued) {
        ::unlink(held.path.c_str());
        return fail(queued.error());
    }
    return queued->qp;
}

// Holds the post in mod/pending and asks the moderators. The caller holds mod/lock.
Result<Stored> hold_locked(const std::string& dir, const ListInfo& list, std::string_view key,
                           const std::vector<std::string>& moderators,
                           const std::optional<std::string>& sender, std::string_view message,
                           const StoreOptions& options = {}) {
    for (const char* sub : {"mod/pending", "mod/accepted", "mod/rejected"})
        if (auto s = ensure_dir(dir + "/" + sub); !s)
            return fail(s.error());
    auto held = write_new_held(dir, "pending", list, sender, message);
    if (!held)
        return fail(held.error());
    const std::string name = held->name.text();
    const std::string cookie =
        make_cookie(key, CookieScope::main, held->name.when, name, CookieAction::moderate_post);
    const std::string accept = list.command("accept-" + name + "." + cookie);
    Reply request;
    request.to = moderators.front();
    request.also_to.assign(moderators.begin() + 1, moderators.end());
    request.to_header = list.command("moderators");
    request.from_command = "reject-" + name + "." + cookie;
    request.headers.push_back("Reply-To: " + accept);
    auto subject = list_message(list, "SUB_MODERATE");
    if (!subject)
        return fail(subject.error());
    request.subject = std::move(*subject);
    auto qp =
        send_request(list, *held, "mod-request",
                     {{'A', accept}, {'R', list.command(request.from_command)}}, request, options);
    if (!qp)
        return fail(qp.error());
    Stored stored;
    stored.held = true;
    stored.name = held->name;
    stored.moderators = moderators.size();
    stored.qp = *qp;
    return stored;
}

// A list and its secret, which every cookie needs.
struct ListAndKey {
    ListInfo list;
    std::string key;
};
Result<ListAndKey> read_list_and_key(const std::string& dir) {
    auto list = read_list(dir);
    if (!list)
        return fail(list.error());
    auto key = read_list_key(dir);
    if (!key)
        return fail(key.error());
    return ListAndKey{std::move(*list), std::move(*key)};
}

// What holding a post takes: the list, its secret, and a post that does not loop.
Result<ListAndKey> hold_context(const std::string& dir, std::string_view message) {
    auto c = read_list_and_key(dir);
    if (!c)
        return fail(c.error());
    if (auto s = check_loops(c->list, message); !s)
        return fail(s.error());
    return c;
}

Result<Stored> hold_post(const std::string& dir, const std::optional<std::string>& sender,
                         std::string_view message, const StoreOptions& options) {
    auto moderators = moderators_for(dir, sender, options);
    if (!moderators)
        return fail(moderators.error());
    auto c = hold_context(dir, message);
    if (!c)
        return fail(c.error());
    auto lock = Lock::acquire(dir + "/mod/lock");
    if (!lock)
        return fail(lock.error());
    return hold_locked(dir, c->list, c->key, *moderators, sender, message, options);
}

// What a confirmation cookie is computed over: the held post's name and its poster, so
// it confirms neither another post nor the same name holding someone else's.
std::string confirm_subject(const HeldName& name, std::string_view poster) {
    return name.text() + " " + cookie_subject(poster);
}

// ezmlm-store with confirmpost: the post waits in mod/unconfirmed for its poster.
Result<Stored> ask_poster(const std::string& dir, const std::optional<std::string>& sender,
                          std::string_view message, const StoreOptions& options) {
    if (!sender || sender->find('@') == std::string::npos)
        return fail(perm("5.7.2", "this list asks posters to confirm their posts, and this "
                                  "post has no sender address to ask"));
    // Refused now rather than after the poster confirmed.
    if (has_flag(dir, "modpost"))
        if (auto m = moderators_for(dir, sender, options); !m)
            return fail(m.error());
    auto c = hold_context(dir, message);
    if (!c)
        return fail(c.error());
    if (auto s = ensure_dir(dir + "/mod/unconfirmed"); !s)
        return fail(s.error());
    auto lock = Lock::acquire(dir + "/mod/lock");
    if (!lock)
        return fail(lock.error());
    auto held = write_new_held(dir, "unconfirmed", c->list, sender, message);
    if (!held)
        return fail(held.error());
    const std::string name = held->name.text();
    const std::string cookie =
        make_cookie(c->key, CookieScope::main, held->name.when,
                    confirm_subject(held->name, held_sender(*sender)), CookieAction::confirm_post);
    const std::string confirm = c->list.command("confirm-" + name + "." + cookie);
    Reply request;
    request.to = *sender;
    // Replying confirms, whether the mail program answers Reply-To or From.
    request.from_command = "confirm-" + name + "." + cookie;
    request.headers.push_back("Reply-To: " + confirm);
    auto subject = list_message(c->list, "SUB_CONFIRM_POST");
    if (!subject)
        return fail(subject.error());
    request.subject = std::move(*subject);
    auto qp =
        send_request(c->list, *held, "post-confirm",
                     {{'A', confirm}, {'R', c->list.command("discard-" + name + "." + cookie)}},
                     request, options);
    if (!qp)
        return fail(qp.error());
    Stored stored;
    stored.held = true;
    stored.unconfirmed = true;
    stored.name = held->name;
    stored.qp = *qp;
    return stored;
}

// Returns a held post to its poster with texts and an optional moderator's comment.
Result<pid_t> return_post(const ListInfo& list, const HeldPost& held, std::string_view text,
                          std::string_view from_command, const std::string& comment,
                          const std::string& reply_to = {}, bool append = false) {
    auto body = text_then(list, {"top", text}, {});
    if (!body)
        return fail(body.error());
    if (!comment.empty())
        *body += "\n>>>>> -------------------- >>>>>\n" + comment +
                 (comment.ends_with("\n") ? "" : "\n") + "<<<<< -------------------- <<<<<\n";
    Reply notice;
    notice.to = held.sender;
    notice.from_command = std::string(from_command);
    auto subject = list_message(list, "SUB_RETURNED_POST");
    if (!subject)
        return fail(subject.error());
    notice.subject = std::move(*subject);
    notice.body = std::move(*body);
    put_post(notice, held.text, append);
    if (!reply_to.empty())
        notice.headers.push_back("Reply-To: " + reply_to);
    auto queued = send_reply(list, notice, now());
    if (!queued)
        return fail(queued.error());
    return queued->qp;
}

// LOCAL ...-VERB-T.P.COOKIE with DEFAULT T.P.COOKIE, the shape of the moderators' and
// the posters' answers: the verb (lower case), the held name and the cookie.
struct HeldAddress {
    std::string verb;
    HeldName name;
    std::string cookie;
};
std::optional<HeldAddress> parse_held_address(std::string_view local,
                                              std::string_view default_part) {
    if (default_part.empty() || local.size() < default_part.size() + 2 ||
        !local.ends_with(default_part) || local[local.size() - default_part.size() - 1] != '-')
        return std::nullopt;
    std::string_view head = local.substr(0, local.size() - default_part.size() - 1);
    std::string_view verb =
        head.substr(head.rfind('-') == std::string_view::npos ? 0 : head.rfind('-') + 1);
    auto last_dot = default_part.rfind('.');
    if (last_dot == std::string_view::npos)
        return std::nullopt;
    auto name = parse_held_name(default_part.substr(0, last_dot));
    if (!name)
        return std::nullopt;
    return HeldAddress{lowercase(verb), *name, lowercase(default_part.substr(last_dot + 1))};
}

} // namespace

std::string HeldName::text() const {
    return std::to_string(static_cast<long long>(when)) + "." + std::to_string(pid);
}

std::optional<HeldName> parse_held_name(std::string_view text) {
    auto dot = text.find('.');
    if (dot == std::string_view::npos || dot == 0 || dot + 1 == text.size())
        return std::nullopt;
    HeldName name;
    long long when = 0;
    auto [p1, e1] = std::from_chars(text.data(), text.data() + dot, when);
    if (e1 != std::errc{} || p1 != text.data() + dot || when < 0)
        return std::nullopt;
    auto [p2, e2] = std::from_chars(text.data() + dot + 1, text.data() + text.size(), name.pid);
    if (e2 != std::errc{} || p2 != text.data() + text.size())
        return std::nullopt;
    name.when = static_cast<std::time_t>(when);
    return name;
}

Result<std::string> moderator_db(const std::string& dir) {
    auto named = read_setting(dir, "modpost");
    if (!named)
        return fail(named.error());
    if (!*named)
        return dir + "/mod";
    if ((*named)->front() == '/')
        return **named;
    return dir + "/" + **named;
}

Result<Stored> store_post(const std::string& dir, const std::optional<std::string>& sender,
                          std::string_view message, const StoreOptions& options) {
    if (auto s = refuse_bounces(sender); !s)
        return fail(s.error());
    if (options.confirmpost.value_or(has_flag(dir, "confirmpost")))
        return ask_poster(dir, sender, message, options);
    if (!has_flag(dir, "modpost"))
        return send_now(dir, sender, message, options.send);
    return hold_post(dir, sender, message, options);
}

Result<Stored> gate_post(const std::string& dir, const std::vector<std::string>& dbs,
                         const std::optional<std::string>& sender, std::string_view message,
                         const StoreOptions& options) {
    if (auto s = refuse_bounces(sender); !s)
        return fail(s.error());
    if (sender)
        for (const auto& db : dbs) {
            auto member = is_subscriber(db, *sender);
            if (!member)
                return fail(member.error());
            if (*member)
                return send_now(dir, sender, message, options.send);
        }
    if (options.confirmpost.value_or(has_flag(dir, "confirmpost")))
        return ask_poster(dir, sender, message, options);
    return hold_post(dir, sender, message, options);
}

std::optional<ModerationRequest> parse_moderation_request(std::string_view local,
                                                          std::string_view default_part) {
    auto a = parse_held_address(local, default_part);
    if (!a || (a->verb != "accept" && a->verb != "reject"))
        return std::nullopt;
    return ModerationRequest{a->verb == "accept" ? ModerationAction::accept
                                                 : ModerationAction::reject,
                             a->name, std::move(a->cookie)};
}

std::optional<ConfirmRequest> parse_confirm_request(std::string_view local,
                                                    std::string_view default_part) {
    auto a = parse_held_address(local, default_part);
    if (!a || (a->verb != "confirm" && a->verb != "discard"))
        return std::nullopt;
    return ConfirmRequest{a->verb == "confirm" ? ConfirmAction::confirm : ConfirmAction::discard,
                          a->name, std::move(a->cookie)};
}

std::string moderator_comment(std::string_view reply) {
    auto split = qm::inject::split_message(reply);
    std::string body = split.body.starts_with("\n") ? split.body.substr(1) : split.body;
    if (auto cte = unfolded_field(split.fields, "content-transfer-encoding"))
        body = decode_transfer_encoding(*cte, body);
    std::string comment, quote;
    bool inside = false;
    std::string_view rest = body;
    while (!rest.empty()) {
        auto nl = rest.find('\n');
        std::string_view line = rest.substr(0, nl);
        rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
        if (line.ends_with("\r"))
            line.remove_suffix(1);
        auto pct = line.find("%%%");
        if (pct != std::string_view::npos && pct <= 5 &&
            line.substr(0, pct).find('%') == std::string_view::npos) {
            if (inside)
                return comment; // the end marker
            inside = true;
            quote = std::string(line.substr(0, pct));
            continue;
        }
        if (!inside)
            continue;
        if (!quote.empty() && line.starts_with(quote))
            line.remove_prefix(quote.size());
        comment += std::string(line) + "\n";
    }
    return {}; // no end marker: not a comment the moderator finished
}

Result<Moderated> moderate_post(const std::string& dir, const ModerationRequest& request,
                                std::string_view reply, const Release& release) {
    auto c = read_list_and_key(dir);
    if (!c)
        return fail(c.error());
    const std::string name = request.name.text();
    auto verdict =
        held_cookie_verdict(dir, request.name, request.cookie,
                            check_cookie(c->key, CookieScope::main, request.name.when, name,
                                         CookieAction::moderate_post, request.cookie, now(),
                                         moderation_cookie_lifetime));
    if (!verdict)
        return fail(verdict.error());
    switch (*verdict) {
    case CookieVerdict::valid:
        break;
    case CookieVerdict::expired:
        return fail(perm("5.7.1", "this moderation request has expired; the post " + name +
                                      " is no longer held"));
    case CookieVerdict::forged:
    case CookieVerdict::from_the_future:
        return fail(perm("5.7.1", "illegal moderator request: the code in the address is "
                                  "not one this list gave out"));
    }

    auto lock = Lock::acquire(dir + "/mod/lock");
    if (!lock)
        return fail(lock.error());
    const std::string pending = mod_path(dir, "pending", request.name);
    const bool accept = request.action == ModerationAction::accept;
    if (!exists(pending)) {
        Moderated m;
        if (exists(mod_path(dir, "accepted", request.name))) {
            if (!accept)
                return fail(perm("5.7.1", "I'm sorry, I've already accepted this message"));
            m.kind = Moderated::Kind::already_accepted;
            return m;
        }
        if (exists(mod_path(dir, "rejected", request.name))) {
            if (accept)
                return fail(perm("5.7.1", "I'm sorry, I've already rejected this message"));
            m.kind = Moderated::Kind::already_rejected;
            return m;
        }
        return fail(perm("5.7.1", "I'm sorry, I no longer have this message (it timed out "
                                  "or was already handled)"));
    }
    auto held = read_held(pending);
    if (!held)
        return fail(held.error());
    for (const char* sub : {"mod/accepted", "mod/rejected"})
        if (auto s = ensure_dir(dir + "/" + sub); !s)
            return fail(s.error());

    Moderated m;
    if (accept) {
        m.kind = Moderated::Kind::accepted;
        if (!release.program.empty()) {
            auto handed = hand_over(dir, pending, *held, release.program, lock);
            if (!handed)
                return fail(handed.error());
            m.handed = true;
            if (auto s = move_file(*handed, mod_path(dir, "accepted", request.name)); !s)
                return fail(s.error());
            return m;
        }
        auto sent = distribute_held(dir, *held, release.send);
        if (!sent)
            return fail(sent.error());
        m.sent = *sent;
        if (auto s = move_file(pending, mod_path(dir, "accepted", request.name)); !s)
            return fail(s.error());
        return m;
    }
    m.kind = Moderated::Kind::rejected;
    if (!held->sender.empty() && !has_flag(dir, "noreturnposts")) {
        auto qp = return_post(c->list, *held, "mod-reject", "owner", moderator_comment(reply),
                              release.reply_to, release.append);
        if (!qp)
            return fail(qp.error());
        m.poster_told = true;
        m.qp = *qp;
    }
    if (auto s = move_file(pending, mod_path(dir, "rejected", request.name)); !s)
        return fail(s.error());
    return m;
}

namespace {

// The post request.name names, still waiting for its poster, with the cookie checked.
Result<HeldPost> unconfirmed_post(const std::string& dir, std::string_view key,
                                  const ConfirmRequest& request) {
    const std::string path = mod_path(dir, "unconfirmed", request.name);
    const std::string name = request.name.text();
    if (!exists(path))
        return fail(perm("5.7.1", "I'm sorry, I no longer have the post " + name +
                                      ": it was already confirmed or discarded, or it "
                                      "timed out"));
    auto held = read_held(path);
    if (!held)
        return fail(held.error());
    auto verdict = held_cookie_verdict(dir, request.name, request.cookie,
                                       check_cookie(key, CookieScope::main, request.name.when,
                                                    confirm_subject(request.name, held->sender),
                                                    CookieAction::confirm_post, request.cookie,
                                                    now(), moderation_cookie_lifetime));
    if (!verdict)
        return fail(verdict.error());
    switch (*verdict) {
    case CookieVerdict::valid:
        return held;
    case CookieVerdict::expired:
        return fail(perm("5.7.1", "this confirmation request has expired; the post " + name +
                                      " is no longer waiting"));
    case CookieVerdict::forged:
    case CookieVerdict::from_the_future:
        break;
    }
    return fail(perm("5.7.1", "illegal confirmation request: the code in the address is not "
                              "one this list gave out for the post " +
                                  name));
}

Status remove_file(const std::string& path) {
    if (::unlink(path.c_str()) != 0)
        return fail(from_errno(errno, "unable to remove " + path));
    return fsync_dir(dirname_of(path));
}

} // namespace

Result<Confirmed> confirm_post(const std::string& dir, const ConfirmRequest& request,
                               const Release& release) {
    auto c = read_list_and_key(dir);
    if (!c)
        return fail(c.error());
    // A first look without mod/lock: the moderator database, which moderators_for reads,
    // shares that lock.
    auto first = unconfirmed_post(dir, c->key, request);
    if (!first)
        return fail(first.error());
    const bool confirm = request.action == ConfirmAction::confirm;
    const bool moderated = confirm && release.program.empty() && has_flag(dir, "modpost");
    const std::optional<std::string> poster =
        first->sender.empty() ? std::nullopt : std::optional<std::string>(first->sender);
    std::vector<std::string> moderators;
    if (moderated) {
        auto m = moderators_for(dir, poster, {});
        if (!m)
            return fail(m.error());
        moderators = std::move(*m);
    }

    auto lock = Lock::acquire(dir + "/mod/lock");
    if (!lock)
        return fail(lock.error());
    // Again under the lock: a second answer may have handled it meanwhile.
    auto held = unconfirmed_post(dir, c->key, request);
    if (!held)
        return fail(held.error());
    Confirmed done;
    if (!confirm) {
        done.kind = Confirmed::Kind::discarded;
    } else if (!release.program.empty()) {
        auto handed = hand_over(dir, mod_path(dir, "unconfirmed", request.name), *held,
                                release.program, lock);
        if (!handed)
            return fail(handed.error());
        if (auto s = remove_file(*handed); !s)
            return fail(s.error());
        done.kind = Confirmed::Kind::handed;
        return done;
    } else if (moderated) {
        auto stored = hold_locked(dir, c->list, c->key, moderators, poster, original_post(*held));
        if (!stored)
            return fail(stored.error());
        done.kind = Confirmed::Kind::held;
        done.stored = *stored;
    } else {
        auto sent = distribute_held(dir, *held, release.send);
        if (!sent)
            return fail(sent.error());
        done.kind = Confirmed::Kind::sent;
        done.sent = *sent;
    }
    if (auto s = remove_file(mod_path(dir, "unconfirmed", request.name)); !s)
        return fail(s.error());
    return done;
}

Result<unsigned> moderation_timeout_hours(const std::string& dir) {
    auto text = read_setting(dir, "modtime");
    if (!text)
        return fail(text.error());
    unsigned long hours = 0;
    if (*text)
        std::from_chars((*text)->data(), (*text)->data() + (*text)->size(), hours);
    if (hours == 0)
        return 120U;
    return static_cast<unsigned>(std::clamp<unsigned long>(hours, 24, 240));
}

Result<Cleaned> clean_moderation_queue(const std::string& dir, std::optional<bool> return_posts,
                                       bool append) {
    auto list = read_list(dir);
    if (!list)
        return fail(list.error());
    auto hours = moderation_timeout_hours(dir);
    if (!hours)
        return fail(hours.error());
    const bool give_back = return_posts.value_or(!has_flag(dir, "noreturnposts"));
    const std::time_t older = now() - static_cast<std::time_t>(*hours) * 3600;
    auto lock = Lock::acquire(dir + "/mod/lock");
    if (!lock)
        return fail(lock.error());
    Cleaned cleaned;
    for (const char* sub : {"pending", "accepted", "rejected", "unconfirmed"}) {
        const std::string folder = dir + "/mod/" + sub;
        std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(folder.c_str()), ::closedir);
        if (!d) {
            if (errno == ENOENT)
                continue; // a list made before moderation existed
            return fail(from_errno(errno, "unable to open " + folder));
        }
        std::vector<std::string> names;
        while (const dirent* e = ::readdir(d.get()))
            if (e->d_name[0] != '.')
                names.emplace_back(e->d_name);
        for (const auto& n : names) {
            // The time is the leading number of the name; ezmlm-clean treats a name
            // without one as time 0, i.e. long expired.
            long long when = 0;
            std::from_chars(n.data(), n.data() + n.size(), when);
            if (when >= older)
                continue;
            const std::string path = folder + "/" + n;
            struct stat st {};
            if (::lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || !(st.st_mode & 0200))
                continue; // read-only: the owner keeps it on purpose
            if (std::string_view(sub) == "pending" && give_back && (st.st_mode & 0100)) {
                auto held = read_held(path);
                if (!held)
                    return fail(held.error());
                if (!held->sender.empty()) {
                    auto qp = return_post(*list, *held, "mod-timeout", "help", {}, {}, append);
                    if (!qp)
                        return fail(qp.error()); // kept for the next run
                    ++cleaned.returned;
                }
            }
            if (::unlink(path.c_str()) != 0 && errno != ENOENT)
                return fail(from_errno(errno, "unable to remove " + path));
            ++cleaned.removed;
        }
    }
    return cleaned;
}

void declare_store_switches(qm::program::Options& options, StoreOptions& store, bool& ignored) {
    options.set('P', store.modpostonly, true)
        .set('p', store.modpostonly, false)
        .set('y', store.confirmpost, true)
        .set('Y', store.confirmpost, false)
        .set('s', store.split_moderators, true)
        .set('S', store.split_moderators, false)
        .set('m', store.append, false)
        .set('M', store.append, true)
        .set('r', store.send.drop_received, false)
        .set('R', store.send.drop_received, true)
        .set('c', ignored, true)
        .set('C', ignored, true);
}

} // namespace qm::lists
