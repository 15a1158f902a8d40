// ezmlm-make: creates a list directory in ezmlm's layout and the dot-qmail links that
// route list, list-default, list-owner and list-return-default to it (ezmlm-make(1)),
// or, with edit, changes the switches of an existing list in place.
#pragma once

#include "qm/result.hpp"

#include <ctime>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qm::lists {

// One ezmlm-make switch: lower case turns it on, upper case off.
struct Switch {
    char letter; // lower case
    bool on_by_default;
    const char* file; // flag file present when on ("" if none)
    const char* what; // for --help
};
[[nodiscard]] const std::vector<Switch>& switches();

struct MakeRequest {
    std::string dir;   // absolute
    std::string dot;   // e.g. /home/joe/.qmail-team; the links are dot, dot-default, ...
    std::string local; // list address local part as delivered and sent (inlocal, outlocal)
    std::string host;
    std::map<char, bool> set;         // switches given on the command line, by lower-case letter
    std::optional<std::string> owner; // -5 owner@host: list-owner forwards there
    // -0 main@host: the list becomes a sublist of main@host (dir/sublist). nullopt: not
    // given (a new list is a main list, an edited one keeps what it is); "" (-0 '') with
    // edit: the list stops being a sublist.
    std::optional<std::string> parent;
    bool edit = false;
    // Editing, with ezmlm-idx's -ee or -++: an ezmlmrc's E files are rewritten too.
    bool force = false;
    std::string bin_dir; // where ezmlm-send and friends are, for the dot-qmail lines
    // Make the list from an ezmlmrc (ezmlmrc.hpp) instead of our own layout: -C file (a
    // directory means its ezmlmrc), or -c: .ezmlmrc in the dot file's directory. When
    // editing without either, the ezmlmrc the list was made from (dir/ezmlmrc) is used
    // again, except by root (as ezmlm-idx: root does not follow a list owner's file).
    std::optional<std::string> ezmlmrc;
    bool dot_ezmlmrc = false;
    // The letters ezmlm-idx has and our layout has no use for (-c -k -q -x -z ...), and
    // the arguments of -3 .. -9 (-5 is owner): only an ezmlmrc gives them a meaning.
    std::map<char, bool> other_letters;
    std::map<char, std::string> args;
    std::string digest_code; // ezmlm-make's fifth operand (<#C#>)
    // --ezmlm7-cookies: the end of the window in which ezmlm-idx 7's cookies are accepted
    // (ezmlm7_cookie.hpp), 0 to close it. nullopt: an edit that takes over a list made
    // by ezmlm-idx 7 opens it for bounce_cookie_lifetime; otherwise it stays as it is.
    std::optional<std::time_t> ezmlm7_cookies_until;
};

// An edit of a list whose dir/ezmlmrc shows that ezmlm-idx 7's ezmlm-make made it, and
// whose window was never set, opens the window for ezmlm-idx 7's cookies
// (ezmlm7_cookie.hpp) for bounce_cookie_lifetime, the longest any of them lives, so
// that the confirmations, moderation requests and bounce warnings it sent before the
// move still work; a window set or closed before is left as it is.
//
// Creates the list (fails if dir exists), or edits it: switches not given keep their
// current value; archive, num, key and text/ are never touched by edit (missing text/
// files and directories, such as the mod/ a list ezmlm 0.53 made lacks, are added), and no
// subscriber is added or removed, but the subscriber records of the list and of its mod,
// allow, deny and digest databases that sit where ezmlm 0.53 filed them move to where
// ezmlm-idx 7 looks (refile_subscribers), so that a list moved from ezmlm 0.53 can be
// driven by ezmlm-idx 7's programs too.
//
// A sublist (parent set) takes its posts from the main list only, already moderated,
// prefixed and trailed there: its editor is ezmlm-send alone (which refuses any other
// sender), and -f, -t, -m, -o, -u and -y do not apply (asking for one of them fails;
// when inherited by an edit they go off). It keeps its own archive (-a, on by default as
// in ezmlm-idx) so that its readers' -get and -index work on its own numbers. Its
// headerremove keeps the main list's List-Id, List-Post, List-Archive and Sender.
[[nodiscard]] Status make_list(MakeRequest req);

// ezmlm-make run as root on a list a user owns: becomes that user before anything of the
// list is read or written, so that a symlink the user put in the list directory (digest
// -> /etc) cannot lead root's writes elsewhere. The owner is that of dir itself, or, for
// a list not made yet, of the directory it goes in; lstat, so that a symlink is owned by
// whoever made it. A list of root's own (or a process not root) changes nothing. The
// user's gid is their passwd group, else the directory's; a gid of 0 is refused.
[[nodiscard]] Status become_list_owner(const std::string& dir);

// Makes (or edits) the list from an ezmlmrc, as ezmlm-idx 7's ezmlm-make does (make_list
// calls it when req names an ezmlmrc): the switches are ezmlm-idx's defaults (a, p) for a
// new list, or the list's as ezmlm-idx reads them for an edit (its -+), with req.set and
// req.other_letters on top.
[[nodiscard]] Status make_from_ezmlmrc(const MakeRequest& req);

// The dir/headeradd ezmlm-make writes for a main list or a sublist (ezmlm-idx 7's, tags
// filled in by ezmlm-send).
[[nodiscard]] std::string default_headeradd(bool sublist);

// The dir/headerremove ezmlm-make writes for a main list or a sublist.
[[nodiscard]] std::string default_headerremove(bool sublist);

// The switches a sublist has no use for (see make_list).
[[nodiscard]] std::string_view sublist_ignored_switches();

// The effective switches of an existing list as ezmlm-idx 7 reads them: dir/flags (else
// config's F: line), else the flag files.
[[nodiscard]] Result<std::map<char, bool>> current_switches(const std::string& dir);

// Single-quotes a word for /bin/sh (dot-qmail program lines run through sh -c).
[[nodiscard]] std::string shell_quote(const std::string& word);

} // namespace qm::lists
