#include "qm/lists/manage/make.hpp"

#include "qm/become.hpp"
#include "qm/fd.hpp"
#include "qm/lists/archive/digest.hpp"
#include "qm/lists/core/clock.hpp"
#include "qm/lists/core/ezmlm7_cookie.hpp"
#include "qm/lists/core/listdir.hpp"
#include "qm/lists/core/subscribers.hpp"
#include "qm/lists/core/texts.hpp"
#include "qm/lists/manage/ezmlmrc.hpp"

#include <pwd.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace qm::lists {

namespace {

constexpr std::string_view old_default_headeradd = "Precedence: bulk\n";

bool has_flag_file(const std::string& dir, const std::string& name) {
    struct stat st {};
    return ::stat((dir + "/" + name).c_str(), &st) == 0;
}

Status make_dir(const std::string& path, unsigned mode) {
    if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST)
        return fail(from_errno(errno, "unable to create " + path));
    return {};
}

Status put(const std::string& path, std::string_view text, unsigned mode = 0644) {
    if (auto w = write_file_atomic(path, text, mode); !w)
        return fail(temp("4.3.0", "unable to write " + path + ": " + w.error().text));
    return {};
}

Status put_if_missing(const std::string& path, std::string_view text, unsigned mode = 0644) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0)
        return {};
    return put(path, text, mode);
}

Status set_flag(const std::string& path, bool on) {
    if (on)
        return put_if_missing(path, "");
    if (::unlink(path.c_str()) != 0 && errno != ENOENT)
        return fail(from_errno(errno, "unable to remove " + path));
    return {};
}

// Points link at target, replacing whatever is there in one rename.
Status link_to(const std::string& target, const std::string& link) {
    std::string tmp = link + ".ezmlm-make." + std::to_string(::getpid());
    ::unlink(tmp.c_str());
    if (::symlink(target.c_str(), tmp.c_str()) != 0)
        return fail(from_errno(errno, "unable to create " + link));
    if (::rename(tmp.c_str(), link.c_str()) != 0) {
        int e = errno;
        ::unlink(tmp.c_str());
        return fail(from_errno(e, "unable to create " + link));
    }
    return {};
}

Result<std::string> random_key() {
    std::string key(64, '\0');
    size_t got = 0;
    while (got < key.size()) {
        ssize_t n = ::getrandom(key.data() + got, key.size() - got, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return fail(from_errno(errno, "unable to read random bytes for the list key"));
        }
        got += static_cast<size_t>(n);
    }
    return key;
}

std::string program(const MakeRequest& r, const std::string& name) {
    return shell_quote(r.bin_dir + "/" + name);
}

// ezmlm-clean after each moderation step, as ezmlm-idx's template has it; its failures
// must not bounce the post or the answer. Posts to -u lists held from strangers are not
// worth returning (-R).
std::string clean_line(const MakeRequest& r, const std::map<char, bool>& on) {
    return "|" + program(r, "ezmlm-clean") + (on.at('u') ? " -R " : " ") + shell_quote(r.dir) +
           " || exit 0\n";
}

// What a request decides beyond the switches.
struct Settings {
    std::map<char, bool> on;
    std::optional<std::string> parent; // the list is a sublist of it
};

// -a (archived): ezmlm-webindex (web-archive/) brings the web archive's index up to date
// after each post is archived, so that the post is on the web at once. Only where it was
// built beside ezmlm-send: a platform without the web archive gets no line that would
// fail on every post.
std::string web_index_line(const MakeRequest& r, const std::map<char, bool>& on) {
    if (!on.at('a') || ::access((r.bin_dir + "/ezmlm-webindex").c_str(), X_OK) != 0)
        return {};
    return "|" + program(r, "ezmlm-webindex") + " " + shell_quote(r.dir) + " || exit 0\n";
}

// The programs run after a post is archived: ezmlm-webindex (above), and for -i
// (threaded) ezmlm-archive, which brings the thread, subject and author files up to date
// as ezmlm-idx 7's ezmlmrc has it. Neither one's trouble holds up the delivery (a
// temporary failure would have qmail-local run the whole file again, ezmlm-send
// included); the next post's run catches up.
std::string after_archiving_lines(const MakeRequest& r, const std::map<char, bool>& on) {
    std::string lines = web_index_line(r, on);
    if (on.at('i'))
        lines += "|" + program(r, "ezmlm-archive") + " " + shell_quote(r.dir) + " || exit 0\n";
    return lines;
}

std::string editor(const MakeRequest& r, const Settings& st) {
    const std::string d = shell_quote(r.dir);
    // A sublist's posts come from the main list, which has rejected, moderated and
    // restricted them already (ezmlm-reject would even refuse them: they are addressed
    // to the main list). ezmlm-send takes only those whose SENDER is the main list's
    // return path (sublist.hpp), so it alone guards the sublist.
    if (st.parent)
        return "|" + program(r, "ezmlm-send") + " " + d + "\n";
    const auto& on = st.on;
    std::string text = "|" + program(r, "ezmlm-reject") + " " + d + "\n";
    // As ezmlm-idx 7's ezmlmrc: on a -u list the subscribers of the list, its digest,
    // allow and mod databases may post.
    const std::string posters = " " + d + " . digest allow mod";
    if (on.at('m') && on.at('u'))
        return text + "|" + program(r, "ezmlm-gate") + posters + "\n" + clean_line(r, on) +
               after_archiving_lines(r, on);
    if (on.at('u') && !on.at('m'))
        text += "|" + program(r, "ezmlm-issubn") + posters +
                " || { echo \"Sorry, only subscribers may post to this list. (#5.7.2)\"; "
                "exit 100; }\n";
    // ezmlm-store also asks posters to confirm (-y), moderated or not.
    if (on.at('m') || on.at('y'))
        return text + "|" + program(r, "ezmlm-store") + " " + d + "\n" + clean_line(r, on) +
               after_archiving_lines(r, on);
    text += "|" + program(r, "ezmlm-send") + " " + d + "\n";
    return text + after_archiving_lines(r, on);
}

// ezmlm-warn runs whenever the list gets mail (there is no daemon), unless -w. Its
// trouble must not fail the delivery: the post or request was handled already.
std::string warn_line(const MakeRequest& r, const std::map<char, bool>& on) {
    if (on.at('w'))
        return {};
    return "|" + program(r, "ezmlm-warn") + " " + shell_quote(r.dir) + " || exit 0\n";
}

// Moderated lists answer list-accept-* and list-reject-* through dir/moderator. Without
// -m the file goes (as ezmlm-make -e does), leaving the links to find nothing.
Status write_moderator(const MakeRequest& r, const std::map<char, bool>& on) {
    const std::string& d = r.dir;
    for (const char* sub : {"mod/pending", "mod/accepted", "mod/rejected", "mod/unconfirmed"})
        if (auto s = make_dir(d + "/" + sub, 0700); !s)
            return s;
    if (!on.at('m'))
        return set_flag(d + "/moderator", false);
    if (auto s = put(d + "/moderator", "|" + program(r, "ezmlm-moderate") + " " + shell_quote(d) +
                                           "\n" + after_archiving_lines(r, on) + clean_line(r, on));
        !s)
        return s;
    for (const char* suffix : {"-accept-default", "-reject-default"})
        if (auto s = link_to(d + "/moderator", r.dot + suffix); !s)
            return s;
    return {};
}

// headerremove is the admin's to edit: an edit that turns a list into a sublist or back
// rewrites it only while it is still the default of what the list was (a list without
// one, from ezmlm 0.53 say, keeps having none).
Status write_headerremove(const MakeRequest& r, const Settings& st) {
    const std::string path = r.dir + "/headerremove";
    if (r.edit) {
        auto current = qm::lists::read_file(r.dir, "headerremove");
        if (!current)
            return fail(current.error());
        if (!*current ||
            (**current != default_headerremove(false) && **current != default_headerremove(true)))
            return {};
    }
    return put(path, default_headerremove(st.parent.has_value()));
}

// Removes link if it points at target (a link the owner pointed elsewhere stays).
Status unlink_if_to(const std::string& target, const std::string& link) {
    std::error_code ec;
    if (std::filesystem::read_symlink(link, ec) != target)
        return {};
    if (::unlink(link.c_str()) != 0 && errno != ENOENT)
        return fail(from_errno(errno, "unable to remove " + link));
    return {};
}

// Posters confirm their posts (-y) through list-confirm-* and list-discard-*, which
// dir/confirmer answers. Without -y the file and its links go, so that such mail falls
// through to list-default, which knows nothing of them.
Status write_confirmer(const MakeRequest& r, const std::map<char, bool>& on) {
    const std::string& d = r.dir;
    const std::string confirmer = d + "/confirmer";
    const auto suffixes = {"-confirm-default", "-discard-default"};
    if (!on.at('y')) {
        for (const char* suffix : suffixes)
            if (auto s = unlink_if_to(confirmer, r.dot + suffix); !s)
                return s;
        return set_flag(confirmer, false);
    }
    if (auto s =
            put(confirmer, "|" + program(r, "ezmlm-weed") + "\n|" + program(r, "ezmlm-confirm") +
                               " " + shell_quote(d) + "\n" + after_archiving_lines(r, on) +
                               clean_line(r, on) + warn_line(r, on));
        !s)
        return s;
    for (const char* suffix : suffixes)
        if (auto s = link_to(confirmer, r.dot + suffix); !s)
            return s;
    return {};
}

// headeradd is the admin's to edit: an edit writes ezmlm-idx 7's default only where the
// list has none or still has the one this platform's ezmlm-make wrote before (and ezmlm
// 0.53's), "Precedence: bulk" alone, with which ezmlm-send made the List-* fields itself.
Status write_headeradd(const MakeRequest& r, const Settings& st) {
    const std::string path = r.dir + "/headeradd";
    if (r.edit) {
        auto current = qm::lists::read_file(r.dir, "headeradd");
        if (!current)
            return fail(current.error());
        if (*current && **current != old_default_headeradd &&
            **current != default_headeradd(false) && **current != default_headeradd(true))
            return {};
    }
    return put(path, default_headeradd(st.parent.has_value()));
}

Status write_settings(const MakeRequest& r, const Settings& st) {
    const std::string& d = r.dir;
    const auto& on = st.on;
    for (auto [name, value] : {std::pair<const char*, const std::string&>{"inlocal", r.local},
                               {"inhost", r.host},
                               {"outlocal", r.local},
                               {"outhost", r.host},
                               {"dot", r.dot}})
        if (auto s = put(d + "/" + name, value + "\n"); !s)
            return s;
    if (auto s =
            put(d + "/mailinglist", "contact " + r.local + "-help@" + r.host + "; run by ezmlm\n");
        !s)
        return s;
    // As ezmlm-idx 7.2.2's ezmlm-make: the flag files alone say what the list is; a
    // flags file or config left there would overrule them (has_flag).
    for (const char* stale : {"flags", "config"})
        if (auto s = set_flag(d + "/" + stale, false); !s)
            return s;
    if (auto s =
            st.parent ? put(d + "/sublist", *st.parent + "\n") : set_flag(d + "/sublist", false);
        !s)
        return s;
    if (auto s = write_headerremove(r, st); !s)
        return s;
    for (const auto& sw : switches())
        if (*sw.file)
            if (auto s = set_flag(d + "/" + sw.file, on.at(sw.letter)); !s)
                return s;
    // ezmlm-idx 7: -a is archived and indexed; held posts of a -mu list's strangers go
    // unreturned.
    if (auto s = set_flag(d + "/indexed", on.at('a')); !s)
        return s;
    if (auto s = set_flag(d + "/noreturnposts", on.at('m') && on.at('u')); !s)
        return s;
    if (auto s = write_headeradd(r, st); !s)
        return s;
    if (on.at('f')) {
        if (auto s = put_if_missing(d + "/prefix", "[" + r.local + "]\n"); !s)
            return s;
    } else if (auto s = set_flag(d + "/prefix", false); !s) {
        return s;
    }
    const std::string qd = shell_quote(d);
    // ezmlm-get: a digest after each post when one is due; archive requests before
    // ezmlm-manage sees them. ezmlm-split hands (un)subscribe requests for addresses a
    // dir/split rule gives to a sublist over to it; it is there on every list so that a
    // split file written later takes effect at once (without one it just exits 0).
    // ezmlm-request answers list-request (a command in the Subject or body, sent on to
    // its command address), before ezmlm-manage as in ezmlm-idx 7; it lets every other
    // address by. ezmlm-warn last, as in ezmlm-idx.
    const std::string get = "|" + program(r, "ezmlm-get") + " " + qd + "\n";
    if (auto s = put(d + "/editor", editor(r, st) + (on.at('d') ? get : "") + warn_line(r, on)); !s)
        return s;
    if (auto s = put(d + "/manager", get + "|" + program(r, "ezmlm-split") + " " + qd + "\n|" +
                                         program(r, "ezmlm-request") + " " + qd + "\n|" +
                                         program(r, "ezmlm-manage") + " " + qd + "\n" +
                                         warn_line(r, on));
        !s)
        return s;
    if (auto s = put(d + "/bouncer", "|" + program(r, "ezmlm-weed") + "\n|" +
                                         program(r, "ezmlm-return") + " " + qd + "\n");
        !s)
        return s;
    if (auto s = put(d + "/owner", r.owner ? "&" + *r.owner + "\n" : d + "/Mailbox\n"); !s)
        return s;
    for (auto [suffix, file] : {std::pair<const char*, const char*>{"", "editor"},
                                {"-default", "manager"},
                                {"-owner", "owner"},
                                {"-return-default", "bouncer"}})
        if (auto s = link_to(d + "/" + file, r.dot + suffix); !s)
            return s;
    if (on.at('d')) {
        for (auto [suffix, file] : {std::pair<const char*, const char*>{"-digest-owner", "owner"},
                                    {"-digest-return-default", "bouncer"}})
            if (auto s = link_to(d + "/" + file, r.dot + suffix); !s)
                return s;
        if (auto s = prepare_digest_state(d, now()); !s)
            return s;
    }
    if (auto s = write_moderator(r, on); !s)
        return s;
    return write_confirmer(r, on);
}

// The directories of a list, those that exist kept as they are. An edit adds the ones a
// list made by ezmlm 0.53 lacks (ezmlm-idx's mod/, allow/, deny/, digest/).
Status make_directories(const std::string& d) {
    for (auto [sub, mode] : {std::pair<const char*, unsigned>{"archive", 0755},
                             {"subscribers", 0700},
                             {"bounce", 0700},
                             {"text", 0755},
                             {"mod", 0755},
                             {"mod/subscribers", 0700},
                             {"allow", 0755},
                             {"allow/subscribers", 0700},
                             {"deny", 0755},
                             {"deny/subscribers", 0700},
                             {"digest", 0755},
                             {"digest/subscribers", 0700}})
        if (auto s = make_dir(d + "/" + sub, mode); !s)
            return s;
    return {};
}

Status create_skeleton(const MakeRequest& r) {
    const std::string& d = r.dir;
    if (::mkdir(d.c_str(), 0755) != 0) {
        if (errno == EEXIST)
            return fail(perm("5.3.0", d + " already exists (use -e to edit a list)"));
        return fail(from_errno(errno, "unable to create " + d));
    }
    if (auto s = make_directories(d); !s)
        return s;
    for (const char* f :
         {"lock", "lockbounce", "mod/lock", "allow/lock", "deny/lock", "digest/lock"})
        if (auto s = put(d + "/" + f, ""); !s)
            return s;
    if (auto s = put(d + "/num", "0:0\n"); !s)
        return s;
    auto key = random_key();
    if (!key)
        return fail(key.error());
    if (auto s = put(d + "/key", *key, 0600); !s)
        return s;
    return {};
}

// The subscriber databases ezmlm-idx 7 keeps (sub-std.c's _mktab): those a list has are
// re-filed where ezmlm-idx 7 looks for their records.
Status refile_all(const std::string& dir) {
    for (const char* db : {"", "/mod", "/allow", "/deny", "/digest"}) {
        const std::string subscribers = dir + db + "/subscribers";
        struct stat st {};
        if (::stat(subscribers.c_str(), &st) != 0) {
            if (errno == ENOENT)
                continue;
            return fail(from_errno(errno, "unable to stat " + subscribers));
        }
        if (auto r = refile_subscribers(dir + db); !r)
            return fail(r.error());
    }
    return {};
}

// The ezmlm-idx 7 cookie window after this run of ezmlm-make (make.hpp).
Status settle_ezmlm7_window(const MakeRequest& req, bool made_by_ezmlm_idx) {
    if (req.ezmlm7_cookies_until)
        return set_ezmlm7_window(req.dir, *req.ezmlm7_cookies_until);
    if (!made_by_ezmlm_idx)
        return {};
    auto window = read_ezmlm7_window(req.dir);
    if (!window)
        return fail(window.error());
    if (*window)
        return {};
    return set_ezmlm7_window(req.dir, now() + bounce_cookie_lifetime);
}

// The address given with -0: nullopt for none ('' removes), else normalised.
Result<std::optional<std::string>> parent_of(const MakeRequest& r) {
    if (r.parent) {
        if (r.parent->empty())
            return std::optional<std::string>{};
        auto a = normalise_address(*r.parent);
        if (!a)
            return fail(perm("5.3.5", "-0 " + *r.parent + ": " + a.error().text));
        return std::optional<std::string>{std::move(*a)};
    }
    if (!r.edit)
        return std::optional<std::string>{};
    return read_setting(r.dir, "sublist");
}

// A sublist's posts are the main list's: prefix, trailer and posting rules happen there
// once. Asked for explicitly they are an error; kept from before an edit, they go off.
Status apply_sublist_rules(const MakeRequest& r, Settings& st) {
    if (!st.parent)
        return {};
    for (char letter : sublist_ignored_switches()) {
        if (auto it = r.set.find(letter); it != r.set.end() && it->second)
            return fail(perm("5.3.5", std::string("-") + letter +
                                          " does not apply to a sublist (-0): the main list " +
                                          *st.parent +
                                          " prefixes, trails and moderates its posts"));
        st.on[letter] = false;
    }
    return {};
}

} // namespace

std::string default_headeradd(bool sublist) {
    // ezmlm-idx 7's ezmlmrc, with List-Id and List-Owner, which ezmlm-send made on this
    // platform's lists before. A sublist passes on the main list's Sender, List-Post and
    // List-Id (default_headerremove) and adds its own (un)subscribe and help addresses,
    // and Precedence (7.x's sublists lose the main list's to headerremove and add none).
    if (sublist)
        return "Precedence: bulk\n"
               "List-Help: <mailto:<#l#>-help@<#h#>>\n"
               "List-Unsubscribe: <mailto:<#l#>-unsubscribe@<#h#>>\n"
               "List-Subscribe: <mailto:<#l#>-subscribe@<#h#>>\n";
    return "Sender: <<#l#>@<#h#>>\n"
           "Precedence: bulk\n"
           "X-No-Archive: yes\n"
           "List-Post: <mailto:<#L#>@<#H#>>\n"
           "List-Id: <<#l#>.<#h#>>\n"
           "List-Help: <mailto:<#l#>-help@<#h#>>\n"
           "List-Unsubscribe: <mailto:<#l#>-unsubscribe@<#h#>>\n"
           "List-Subscribe: <mailto:<#l#>-subscribe@<#h#>>\n"
           "List-Owner: <mailto:<#l#>-owner@<#h#>>\n";
}

std::string default_headerremove(bool sublist) {
    // A sublist passes on what names the list as a whole: the main list's identity, its
    // posting address and archive, and its Sender (for DKIM).
    const std::vector<std::string_view> kept_by_sublists = {"list-post", "list-archive", "list-id",
                                                            "sender"};
    std::string text;
    for (std::string_view name : {"return-path", "return-receipt-to", "content-length",
                                  "precedence", "x-confirm-reading-to", "x-pmrqc", "list-subscribe",
                                  "list-unsubscribe", "list-unsubscribe-post", "list-help",
                                  "list-post", "list-owner", "list-archive", "list-id", "sender"})
        if (!sublist || std::find(kept_by_sublists.begin(), kept_by_sublists.end(), name) ==
                            kept_by_sublists.end())
            text += std::string(name) + "\n";
    return text;
}

std::string_view sublist_ignored_switches() {
    return "fmotuy";
}

const std::vector<Switch>& switches() {
    static const std::vector<Switch> all = {
        {'a', true, "archived", "archive and index every post (archived, indexed)"},
        {'b', false, "modgetonly", "archive retrieval for moderators only"},
        {'d', false, "digested", "digest list (dir/digest)"},
        {'f', false, "", "subject prefix [local] (dir/prefix)"},
        {'g', false, "subgetonly", "archive retrieval for subscribers only"},
        {'h', false, "nosubconfirm", "subscribe without confirmation"},
        {'i', false, "threaded", "thread indexes for the web archive (threaded)"},
        {'j', false, "nounsubconfirm", "unsubscribe without confirmation"},
        {'l', false, "modcanlist", "moderators may ask for the subscriber list"},
        {'m', false, "modpost", "posts are moderated"},
        {'n', false, "modcanedit", "moderators may edit text/ files by mail (with -r)"},
        {'o', false, "modpostonly", "only moderators may post"},
        {'p', true, "public", "anyone may subscribe and get the archive by mail"},
        {'r', false, "remote", "moderators may (un)subscribe others by mail"},
        {'s', false, "modsub", "subscriptions are moderated"},
        {'t', false, "addtrailer", "add text/trailer to every post"},
        {'u', false, "subpostonly", "only subscribers may post"},
        {'w', false, "nowarn", "no bounce warnings (ezmlm-warn)"},
        {'y', false, "confirmpost", "posters confirm their own posts"},
    };
    return all;
}

std::string shell_quote(const std::string& word) {
    std::string out = "'";
    for (char c : word) {
        if (c == '\'')
            out += "'\\''";
        else
            out += c;
    }
    return out + "'";
}

Result<std::map<char, bool>> current_switches(const std::string& dir) {
    auto stated = read_stated_flags(dir);
    if (!stated)
        return fail(stated.error());
    // What ezmlm-idx 7's programs take the list to be: a letter stated in flags (or
    // config's F: line) wins, the others come from their flag files. The i of the flags
    // this platform wrote before meant indexed, which -a has now: it is not read.
    std::map<char, bool> on;
    for (const auto& sw : switches()) {
        const std::string file = *sw.file ? sw.file : std::string(flag_file_of(sw.letter));
        const auto& said = stated->letter[static_cast<size_t>(sw.letter - 'a')];
        on[sw.letter] = said ? *said : !file.empty() && has_flag_file(dir, file);
    }
    return on;
}

namespace {

// Which ezmlmrc to use: -C's file (a directory means its ezmlmrc), -c's .ezmlmrc beside
// the dot file, or, when editing, the one the list was made from (not for root).
Result<std::optional<std::string>> ezmlmrc_path(const MakeRequest& req) {
    std::optional<std::string> path;
    if (req.dot_ezmlmrc) {
        path = req.dot.substr(0, req.dot.rfind('/') + 1) + ".ezmlmrc";
    } else if (req.ezmlmrc && !req.ezmlmrc->empty()) {
        path = *req.ezmlmrc;
    } else if (req.edit && ::geteuid() != 0) {
        auto recorded = read_setting(req.dir, "ezmlmrc");
        if (!recorded)
            return fail(recorded.error());
        path = std::move(*recorded);
    }
    if (!path)
        return path;
    struct stat st {};
    if (::stat(path->c_str(), &st) != 0)
        return fail(errno == ENOENT ? perm("5.3.0", *path + " does not exist")
                                    : from_errno(errno, "unable to stat " + *path));
    if (S_ISDIR(st.st_mode))
        *path += "/ezmlmrc";
    return path;
}

// A list's switches as ezmlm-idx 7's ezmlm-make reads them to edit it: dir/flags, else
// the F: line of dir/config, else the files its ezmlmrc makes for them (k and q always
// on there).
Result<std::array<bool, 26>> ezmlm_idx_flags(const std::string& dir) {
    std::array<bool, 26> flags{};
    auto word = read_setting(dir, "flags");
    if (!word)
        return fail(word.error());
    if (!*word) {
        auto config = read_file(dir, "config");
        if (!config)
            return fail(config.error());
        if (*config) {
            for (size_t p = 0, nl; (nl = (*config)->find('\n', p)) != std::string::npos; p = nl + 1)
                if ((*config)->compare(p, 2, "F:") == 0)
                    word = std::optional<std::string>((*config)->substr(p + 2, nl - p - 2));
        }
    }
    if (*word) {
        for (char c : **word)
            if (c >= 'a' && c <= 'z')
                flags[static_cast<size_t>(c - 'a')] = true;
        flags['e' - 'a'] = false;
        return flags;
    }
    static const std::pair<char, const char*> files[] = {
        {'a', "archived"},    {'b', "modgetonly"},   {'d', "digested"},   {'f', "prefix"},
        {'g', "subgetonly"},  {'h', "nosubconfirm"}, {'i', "threaded"},   {'j', "nounsubconfirm"},
        {'l', "modcanlist"},  {'m', "modpost"},      {'n', "modcanedit"}, {'o', "modpostonly"},
        {'p', "public"},      {'r', "remote"},       {'s', "modsub"},     {'t', "addtrailer"},
        {'u', "subpostonly"}, {'w', "nowarn"},       {'x', "mimeremove"}, {'y', "confirmpost"}};
    for (auto [letter, name] : files) {
        struct stat st {};
        flags[static_cast<size_t>(letter - 'a')] = ::stat((dir + "/" + name).c_str(), &st) == 0;
    }
    flags['k' - 'a'] = flags['q' - 'a'] = true;
    return flags;
}

// The first line of dir/name, or "" (for <#0#>..<#9#> while editing).
Result<std::string> first_line(const std::string& dir, const char* name) {
    auto v = read_setting(dir, name);
    if (!v)
        return fail(v.error());
    return v->value_or("");
}

} // namespace

// An ezmlmrc (7.x's or an owner's) knows nothing of the web archive. In the files that
// archive posts (the editor, and the moderator's and confirmer's, which send what they
// accept), the index line goes after the line running ezmlm-archive, which 7.x's ezmlmrc
// puts where a post has just been archived, else after the last line running a program
// that archives posts. A file that runs none, or runs ezmlm-webindex already, is kept.
std::string with_web_index(const std::string& text, const std::string& line) {
    if (line.empty() || text.find("/ezmlm-webindex") != std::string::npos)
        return text;
    size_t after = std::string::npos;
    for (const char* program : {"/ezmlm-send", "/ezmlm-store", "/ezmlm-gate", "/ezmlm-moderate",
                                "/ezmlm-confirm", "/ezmlm-archive"}) {
        for (size_t at = text.find(program); at != std::string::npos;
             at = text.find(program, at + 1)) {
            const size_t end = text.find('\n', at);
            const size_t next = end == std::string::npos ? text.size() : end + 1;
            if (after == std::string::npos || next > after)
                after = next;
        }
    }
    if (after == std::string::npos)
        return text;
    std::string out = text.substr(0, after);
    if (!out.empty() && out.back() != '\n')
        out += '\n';
    return out + line + text.substr(after);
}

Status make_from_ezmlmrc(const MakeRequest& req) {
    auto path = ezmlmrc_path(req);
    if (!path)
        return fail(path.error());
    if (!*path)
        return fail(perm("5.3.5", "no ezmlmrc to make the list from"));
    auto text = qm::read_file(**path);
    if (!text)
        return fail(temp("4.3.0", "unable to read " + **path + ": " + text.error().text));

    EzmlmrcValues v;
    if (req.edit) {
        auto old = ezmlm_idx_flags(req.dir);
        if (!old)
            return fail(old.error());
        v.flags = *old;
    } else {
        v.flags['a' - 'a'] = v.flags['p' - 'a'] = true; // ezmlm-idx's defaults
    }
    for (auto [letter, value] : req.set)
        if (letter >= 'a' && letter <= 'z')
            v.flags[static_cast<size_t>(letter - 'a')] = value;
    for (auto [letter, value] : req.other_letters)
        if (letter >= 'a' && letter <= 'z')
            v.flags[static_cast<size_t>(letter - 'a')] = value;
    v.flags['e' - 'a'] = req.edit;
    v.flags['c' - 'a'] = req.dot_ezmlmrc;
    v.edit = req.edit;
    v.force = req.force;
    v.bin = req.bin_dir;
    v.dir = req.dir;
    v.dot = req.dot;
    v.local = req.local;
    v.host = req.host;
    v.code = req.digest_code;
    v.rc_name = req.ezmlmrc.value_or("");
    const auto ext = dot_extensions(req.dot);
    v.args[1] = ext[0];
    v.args[2] = ext[1];
    if (req.parent)
        v.args[0] = *req.parent;
    if (req.owner)
        v.args[5] = *req.owner;
    for (auto [digit, arg] : req.args)
        v.args[static_cast<size_t>(digit - '0')] = arg;
    if (req.edit) {
        // What the list has keeps its value unless given again (ezmlm-idx's read_files).
        const std::pair<size_t, const char*> kept[] = {
            {0, "sublist"}, {3, "fromheader"}, {4, "tstdigopts"}, {5, "owner"},
            {6, "subdb"},   {7, "modpost"},    {8, "modsub"},     {9, "remote"}};
        for (auto [i, name] : kept) {
            if (!v.args[i].empty() || (i == 0 && req.parent) || (i == 5 && req.owner))
                continue;
            auto line = first_line(req.dir, name);
            if (!line)
                return fail(line.error());
            v.args[i] = std::move(*line);
        }
        if (v.code.empty()) {
            auto code = first_line(req.dir, "digestcode");
            if (!code)
                return fail(code.error());
            v.code = std::move(*code);
        }
        if (v.rc_name.empty() && !req.dot_ezmlmrc)
            v.rc_name = **path;
    }

    auto exists = [&](const std::string& name) {
        struct stat st {};
        return ::lstat((req.dir + name).c_str(), &st) == 0;
    };
    auto script = interpret_ezmlmrc(*text, v, exists);
    if (!script)
        return fail(temp("4.3.5", **path + ": " + script.error().text));
    if (!script->version_matches)
        std::fprintf(stderr, "ezmlm-make: warning: %s is not for ezmlm-idx 7.2\n",
                     path->value().c_str());

    if (::mkdir(req.dir.c_str(), 0755) != 0) {
        if (errno != EEXIST)
            return fail(from_errno(errno, "unable to create " + req.dir));
        if (!req.edit)
            return fail(perm("5.3.0", req.dir + " already exists (use -e to edit a list)"));
    }
    const std::string index_line = web_index_line(req, {{'a', v.flags['a' - 'a']}});
    for (const auto& step : script->steps) {
        const std::string path_in_dir = req.dir + step.name;
        switch (step.kind) {
        case EzmlmrcStep::Kind::make_dir:
            if (::mkdir(path_in_dir.c_str(), 0755) != 0 && (errno != EEXIST || !req.edit))
                return fail(from_errno(errno, "unable to create " + path_in_dir));
            break;
        case EzmlmrcStep::Kind::remove:
            if (::unlink(path_in_dir.c_str()) != 0 && errno != ENOENT)
                return fail(from_errno(errno, "unable to remove " + path_in_dir));
            break;
        case EzmlmrcStep::Kind::link: {
            const std::string link = req.dot + step.name;
            const std::string target = req.dir + step.target;
            if (req.edit) {
                if (auto s = link_to(target, link); !s)
                    return s;
            } else if (::symlink(target.c_str(), link.c_str()) != 0) {
                return fail(from_errno(errno, "unable to create " + link));
            }
            break;
        }
        case EzmlmrcStep::Kind::write: {
            const bool archives_posts =
                step.name == "/editor" || step.name == "/moderator" || step.name == "/confirmer";
            const std::string content =
                archives_posts ? with_web_index(step.text, index_line) : step.text;
            if (auto s = put(path_in_dir, content); !s)
                return s;
            break;
        }
        }
    }
    if (!req.edit) {
        auto key = random_key();
        if (!key)
            return fail(key.error());
        if (auto s = put(req.dir + "/key", *key, 0600); !s)
            return s;
    }
    // The subscriber databases (ezmlm-idx's mktab for its std databases).
    for (const char* db : {"/subscribers", "/allow/subscribers", "/deny/subscribers",
                           "/digest/subscribers", "/mod/subscribers"})
        if (::mkdir((req.dir + db).c_str(), 0700) != 0 && errno != EEXIST)
            return fail(from_errno(errno, "unable to create " + req.dir + db));
    if (req.edit)
        return refile_all(req.dir);
    return {};
}

Status become_list_owner(const std::string& dir) {
    if (::geteuid() != 0)
        return {};
    std::string path = dir;
    while (path.size() > 1 && path.back() == '/')
        path.pop_back();
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
        if (errno != ENOENT)
            return fail(temp("4.3.0", "unable to stat " + path + ": " + std::strerror(errno)));
        const auto slash = path.rfind('/');
        const std::string parent =
            slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
        if (::lstat(parent.c_str(), &st) != 0)
            return fail(temp("4.3.0", "unable to stat " + parent + ": " + std::strerror(errno)));
    }
    if (st.st_uid == 0)
        return {};
    errno = 0;
    const passwd* pw = ::getpwuid(st.st_uid);
    const gid_t gid = pw != nullptr ? pw->pw_gid : st.st_gid;
    const std::string who = pw != nullptr
                                ? std::string(pw->pw_name) + ", the owner of " + path
                                : "uid " + std::to_string(st.st_uid) + ", the owner of " + path;
    return become_ids(st.st_uid, gid, who);
}

Status make_list(MakeRequest req) {
    if (req.dir.empty() || req.dir.front() != '/')
        return fail(perm("5.3.5", "dir must start with a slash"));
    while (req.dir.size() > 1 && req.dir.back() == '/')
        req.dir.pop_back();
    for (const auto* field : {&req.dir, &req.dot, &req.local, &req.host})
        if (field->find('\n') != std::string::npos)
            return fail(perm("5.3.5", "arguments must not contain newlines"));
    std::map<char, bool> on;
    bool made_by_ezmlm_idx = false;
    if (req.edit) {
        struct stat st {};
        if (::stat((req.dir + "/outlocal").c_str(), &st) != 0)
            return fail(perm("5.3.5", req.dir + " is not a list directory (no outlocal)"));
        // ezmlm-idx 7's ezmlm-make writes dir/ezmlmrc into every list it makes or edits.
        made_by_ezmlm_idx = ::lstat((req.dir + "/ezmlmrc").c_str(), &st) == 0;
        auto cur = current_switches(req.dir);
        if (!cur)
            return fail(cur.error());
        on = std::move(*cur);
        auto keep = [&](std::string& field, const char* name) -> Status {
            if (!field.empty())
                return {};
            auto v = require_setting(req.dir, name);
            if (!v)
                return fail(v.error());
            field = std::move(*v);
            return {};
        };
        for (auto [field, name] : {std::pair<std::string*, const char*>{&req.dot, "dot"},
                                   {&req.local, "outlocal"},
                                   {&req.host, "outhost"}})
            if (auto s = keep(*field, name); !s)
                return s;
        if (!req.owner) {
            auto owner = read_setting(req.dir, "owner");
            if (!owner)
                return fail(owner.error());
            if (*owner && (*owner)->starts_with("&"))
                req.owner = (*owner)->substr(1);
        }
    } else {
        for (const auto& sw : switches())
            on[sw.letter] = sw.on_by_default;
        if (req.dot.empty() || req.local.empty() || req.host.empty())
            return fail(perm("5.3.5", "dot, local and host are required"));
    }
    for (auto [letter, value] : req.set)
        on[letter] = value;
    bool from_ezmlmrc = (req.ezmlmrc && !req.ezmlmrc->empty()) || req.dot_ezmlmrc;
    if (!from_ezmlmrc && req.edit && ::geteuid() != 0) {
        auto recorded = read_setting(req.dir, "ezmlmrc");
        if (!recorded)
            return fail(recorded.error());
        from_ezmlmrc = recorded->has_value();
    }
    if (from_ezmlmrc) {
        if (auto s = make_from_ezmlmrc(req); !s)
            return s;
        return settle_ezmlm7_window(req, made_by_ezmlm_idx);
    }
    Settings st{std::move(on), {}};
    auto parent = parent_of(req);
    if (!parent)
        return fail(parent.error());
    st.parent = std::move(*parent);
    if (auto s = apply_sublist_rules(req, st); !s)
        return s;
    if (auto s = req.edit ? make_directories(req.dir) : create_skeleton(req); !s)
        return s;
    if (auto s = write_settings(req, st); !s)
        return s;
    for (const auto& [name, text] : default_texts()) {
        if (name == "trailer" && !st.on.at('t'))
            continue;
        if (name.starts_with("edit-") && !st.on.at('n'))
            continue;
        if (auto s = put_if_missing(req.dir + "/text/" + std::string(name), text); !s)
            return s;
    }
    if (req.edit)
        if (auto s = refile_all(req.dir); !s)
            return s;
    return settle_ezmlm7_window(req, made_by_ezmlm_idx);
}

} // namespace qm::lists
