// Post moderation in ezmlm-idx's layout (ezmlm-store(1), ezmlm-moderate(1),
// ezmlm-clean(1)). A held post is the file mod/pending/T.P (T the time it was stored, P
// the storing process's pid) holding "Return-Path: <sender>", "Delivered-To: moderator
// for list@host" and the post; its owner-execute bit says the file is complete. Every
// moderator gets a request whose Reply-To is outlocal-accept-T.P.COOKIE@outhost and
// whose From is outlocal-reject-T.P.COOKIE@outhost, the cookie binding T.P to the list's
// key. An answer moves the file to mod/accepted or mod/rejected (so a second answer can
// be told what happened); ezmlm-clean returns posts nobody answered within dir/modtime
// hours. All of it runs under mod/lock.
//
// Sender confirmation (ezmlm-make -y, dir/confirmpost) comes before all of that: the
// post waits in mod/unconfirmed/T.P, in the same format, and the poster gets a request
// whose Reply-To (and From) is outlocal-confirm-T.P.COOKIE@outhost and whose text names
// outlocal-discard-T.P.COOKIE@outhost. That cookie has its own action (confirm_post),
// so an accept cookie does not confirm and a confirm cookie does not accept, and it
// binds T.P and the poster's address. Confirmed, the post goes on to the moderators
// (modpost) or to the subscribers; ezmlm-clean drops what nobody confirmed in time.
#pragma once

#include "qm/lists/post/send.hpp"
#include "qm/result.hpp"

#include <sys/types.h>

#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qm::program {
class Options;
}

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
    bool held = false;        // false: the list is not moderated and the post went out
    bool unconfirmed = false; // held for the poster's confirmation (name, qp), not yet
                              // for the moderators
    Sent sent;                // when !held
    HeldName name;            // when held
    size_t moderators = 0;    // how many got the request (0 when unconfirmed)
    pid_t qp = 0;             // the request's qp
};
// ezmlm-idx 7's switches of ezmlm-store, which ezmlm-gate passes on. nullopt leaves it to
// the list's flag file, as without the switch.
struct StoreOptions {
    std::optional<bool> modpostonly; // -P / -p: dir/modpostonly
    std::optional<bool> confirmpost; // -y / -Y: dir/confirmpost
    // -s: a post from a member of the database dir/modpost names goes to that member
    // alone, as always, but the requests for everyone else's go to dir/mod's
    // subscribers; -S (default): that database for both.
    bool split_moderators = false;
    // -B: the moderators' request encloses the post's header only, not its body.
    bool header_only = false;
    // -M: the post is appended to the request's text instead of enclosed as a MIME part.
    bool append = false;
    SendOptions send; // for a post that goes out at once
};

// The switches ezmlm-store and ezmlm-gate share (-pPyYsSmMrR, and -cC, which 7.x
// ignores there: ignored is set), declared into options.
void declare_store_switches(qm::program::Options& options, StoreOptions& store, bool& ignored);

// ezmlm-store: with confirmpost, holds the post in mod/unconfirmed and asks the poster
// to confirm it (a post without a sender is refused: there is nobody to ask). Otherwise
// holds it for the moderators (modpost), or distributes it at once on a list without
// modpost. The moderators' request goes to every moderator, or only to the poster when
// the poster is a moderator. With modpostonly, a post from anyone else is refused (with
// confirmpost too, before the poster is asked). sender: $SENDER (nullopt when unset);
// bounces are refused.
[[nodiscard]] Result<Stored> store_post(const std::string& dir,
                                        const std::optional<std::string>& sender,
                                        std::string_view message, const StoreOptions& options = {});

// ezmlm-gate: a post from a member of any of dbs goes straight to the subscribers;
// anyone else's is held for the moderators (store_post), whether or not the list has
// modpost; with confirmpost, its poster is asked to confirm it first.
[[nodiscard]] Result<Stored> gate_post(const std::string& dir, const std::vector<std::string>& dbs,
                                       const std::optional<std::string>& sender,
                                       std::string_view message, const StoreOptions& options = {});

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

// What ezmlm-moderate and ezmlm-confirm do with a post that is to go out.
struct Release {
    SendOptions send; // -r / -R ..., passed on to the sending
    // ezmlm-idx 7's trailing program (with its arguments) to take the post instead of
    // the sending: it reads the held file (its Return-Path line first) on stdin, with
    // SENDER set to the poster, in the list directory. One word runs under /bin/sh -c.
    // Its exit 0 is done, 100 a permanent failure, anything else a temporary one.
    std::vector<std::string> program;
    // ezmlm-moderate -t: the Reply-To of the notice a rejected post goes back with.
    std::string reply_to;
    // ezmlm-moderate -M: that notice has the post appended to its text, not enclosed.
    bool append = false;
};

struct Moderated {
    enum class Kind { accepted, rejected, already_accepted, already_rejected };
    Kind kind = Kind::accepted;
    bool handed = false;      // accepted: given to Release::program, not sent
    Sent sent;                // accepted: the distributed message's number and qp
    bool poster_told = false; // rejected: the poster got the post back
    pid_t qp = 0;             // rejected: qp of the returned post
};
// ezmlm-moderate: checks the cookie, then distributes (accept) or returns (reject) the
// held post. reply is the moderator's message, whose %%%-delimited comment goes back to
// the poster with a rejected post. The same answer twice gives already_*; the opposite
// answer to a post already handled, a forged or outdated cookie, or a post no longer
// held (timed out) is a permanent failure saying so, and changes nothing.
[[nodiscard]] Result<Moderated> moderate_post(const std::string& dir,
                                              const ModerationRequest& request,
                                              std::string_view reply, const Release& release = {});

// The moderator's comment in a reply: the lines between the first two lines that start
// with "%%%" (after at most five quote characters such as "> "), with the quoting of the
// first marker line removed from each. The body is decoded first when the reply says
// base64 or quoted-printable. Empty when there is no complete comment.
[[nodiscard]] std::string moderator_comment(std::string_view reply);

enum class ConfirmAction { confirm, discard };
struct ConfirmRequest {
    ConfirmAction action = ConfirmAction::confirm;
    HeldName name;
    std::string cookie;
};
// As parse_moderation_request, for LOCAL ...-confirm-T.P.COOKIE or ...-discard-T.P.COOKIE.
[[nodiscard]] std::optional<ConfirmRequest> parse_confirm_request(std::string_view local,
                                                                  std::string_view default_part);

struct Confirmed {
    enum class Kind { sent, held, discarded, handed }; // handed: to Release::program
    Kind kind = Kind::sent;
    Sent sent;     // sent: the distributed message's number and qp
    Stored stored; // held: the moderators' request (new name T.P in mod/pending, qp)
};
// ezmlm-confirm: checks the cookie against the post still waiting in mod/unconfirmed
// and its poster. confirm: with modpost the post goes to the moderators as store_post
// would hold it, else to the subscribers as ezmlm-moderate's accept sends it; discard:
// it is removed. With release.program, a confirmed post goes to that program instead, as
// in ezmlm-idx 7 (whose confirmer hands it to ezmlm-store -Y). Either way it leaves
// mod/unconfirmed. A forged or outdated cookie, or a
// post no longer waiting (confirmed, discarded or timed out), is a permanent failure
// saying so, and changes nothing.
[[nodiscard]] Result<Confirmed> confirm_post(const std::string& dir, const ConfirmRequest& request,
                                             const Release& release = {});

// dir/modtime in hours, clamped to 24..240; missing or 0 gives 120 (ezmlm-idx).
[[nodiscard]] Result<unsigned> moderation_timeout_hours(const std::string& dir);

struct Cleaned {
    size_t returned = 0; // timed-out posts sent back to their posters
    size_t removed = 0;  // files removed (returned ones included)
};
// ezmlm-clean: removes what is older than the timeout from mod/pending, mod/accepted,
// mod/rejected and mod/unconfirmed; a complete pending post goes back to its poster with
// text/mod-timeout first, unless return_posts is false (nullopt: unless the list has
// noreturnposts). An unconfirmed post is removed without a word: its poster never
// confirmed it, and the address may be forged (mailing it would be backscatter). Read-only files
// are left alone. A post that could not be returned for a temporary reason stays for the next run.
// append (ezmlm-clean -M): the returned post follows the notice's text instead of being
// enclosed as a MIME part.
[[nodiscard]] Result<Cleaned> clean_moderation_queue(const std::string& dir,
                                                     std::optional<bool> return_posts,
                                                     bool append = false);

} // namespace qm::lists
