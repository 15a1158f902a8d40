// Post moderation in ezmlm-idx's layout (ezmlm-store(1), ezmlm-moderate(1),
// ezmlm-clean(1)). A held post is the file mod/pending/T.P (T the time it was stored, P
// the storing process's pid) holding "Return-Path: <sender>", "Delivered-To: moderator
// for list@host" and the post; its owner-execute bit says the file is complete. Every
// moderator gets a request whose Reply-To is outlocal-accept-T.P.COOKIE@outhost and
// whose From is outlocal-reject-T.P.COOKIE@outhost, the cookie binding T.P to the list's
// key. An answer moves the file to mod/accepted or mod/rejected (so a second answer can
// be told what happened); ezmlm-clean returns posts nobody answered within dir/modtime
// hours. All of it runs under mod/lock.
#pragma once

#include "qm/lists/send.hpp"
#include "qm/result.hpp"

#include <sys/types.h>

#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qm::lists {

// "T.P", the name of a held post.
struct HeldName {
    std::time_t when = 0;
    unsigned long pid = 0;
    [[nodiscard]] std::string text() const;
};
// "1700000000.4242" -> {1700000000, 4242}: exactly two decimal numbers and a dot.
[[nodiscard]] std::optional<HeldName> parse_held_name(std::string_view text);

// The moderators' database: the directory dir/modpost names (relative to dir, as
// ezmlm-make -7 writes it), else dir/mod.
[[nodiscard]] Result<std::string> moderator_db(const std::string& dir);

struct Stored {
    bool held = false;     // false: the list is not moderated and the post went out
    Sent sent;             // when !held
    HeldName name;         // when held
    size_t moderators = 0; // how many got the request
    pid_t qp = 0;          // the request's qp
};
// ezmlm-store: holds the post for the moderators (modpost), or distributes it at once on
// a list without modpost. The request goes to every moderator, or only to the poster
// when the poster is a moderator. With modpostonly, a post from anyone else is refused.
// sender: $SENDER (nullopt when unset); bounces are refused.
[[nodiscard]] Result<Stored> store_post(const std::string& dir,
                                        const std::optional<std::string>& sender,
                                        std::string_view message);

// ezmlm-gate: a post from a member of any of dbs goes straight to the subscribers;
// anyone else's is held for the moderators (store_post), whether or not the list has
// modpost.
[[nodiscard]] Result<Stored> gate_post(const std::string& dir, const std::vector<std::string>& dbs,
                                       const std::optional<std::string>& sender,
                                       std::string_view message);

enum class ModerationAction { accept, reject };
struct ModerationRequest {
    ModerationAction action = ModerationAction::accept;
    HeldName name;
    std::string cookie;
};
// The request in an address: local is $LOCAL (e.g. joe-team-accept-1700000000.42.COOKIE),
// default_part is $DEFAULT (1700000000.42.COOKIE); the word before it says accept or
// reject. nullopt for anything else.
[[nodiscard]] std::optional<ModerationRequest>
parse_moderation_request(std::string_view local, std::string_view default_part);

struct Moderated {
    enum class Kind { accepted, rejected, already_accepted, already_rejected };
    Kind kind = Kind::accepted;
    Sent sent;                // accepted: the distributed message's number and qp
    bool poster_told = false; // rejected: the poster got the post back
    pid_t qp = 0;             // rejected: qp of the returned post
};
// ezmlm-moderate: checks the cookie, then distributes (accept) or returns (reject) the
// held post. reply is the moderator's message, whose %%%-delimited comment goes back to
// the poster with a rejected post. The same answer twice gives already_*; the opposite
// answer to a post already handled, a forged or outdated cookie, or a post no longer
// held (timed out) is a permanent failure saying so, and changes nothing.
[[nodiscard]] Result<Moderated>
moderate_post(const std::string& dir, const ModerationRequest& request, std::string_view reply);

// The moderator's comment in a reply: the lines between the first two lines that start
// with "%%%" (after at most five quote characters such as "> "), with the quoting of the
// first marker line removed from each. The body is decoded first when the reply says
// base64 or quoted-printable. Empty when there is no complete comment.
[[nodiscard]] std::string moderator_comment(std::string_view reply);

// dir/modtime in hours, clamped to 24..240; missing or 0 gives 120 (ezmlm-idx).
[[nodiscard]] Result<unsigned> moderation_timeout_hours(const std::string& dir);

struct Cleaned {
    size_t returned = 0; // timed-out posts sent back to their posters
    size_t removed = 0;  // files removed (returned ones included)
};
// ezmlm-clean: removes what is older than the timeout from mod/pending, mod/accepted,
// mod/rejected and mod/unconfirmed; a complete pending post goes back to its poster with
// text/mod-timeout first, unless return_posts is false (nullopt: unless the list has
// noreturnposts). Read-only files are left alone. A post that could not be returned for
// a temporary reason stays for the next run.
[[nodiscard]] Result<Cleaned> clean_moderation_queue(const std::string& dir,
                                                     std::optional<bool> return_posts);

} // namespace qm::lists
