#include "qm/lists/post/send.hpp"

#include "qm/address.hpp"
#include "qm/envelope.hpp"
#include "qm/fd.hpp"
#include "qm/lists/archive/archive_index.hpp"
#include "qm/lists/core/clock.hpp"
#include "qm/lists/core/cookie.hpp"
#include "qm/lists/core/mime.hpp"
#include "qm/lists/core/reply.hpp"
#include "qm/lists/core/sublist.hpp"
#include "qm/lists/core/subscribers.hpp"
#include "qm/lists/manage/one_click.hpp"
#include "qm/lists/post/dmarc.hpp"
#include "qm/queue_client.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <set>

namespace qm::lists {

namespace {

std::string lowercase(std::string_view s) {
    std::string out(s);
    for (auto& c : out)
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    return out;
}

enum class TrailerWay : std::uint8_t { none, plain, quoted_printable, base64, own_part };

// How the trailer goes on: on a text/plain post that is not multipart (ezmlm-idx 7 puts
// it on any single part, base64 images included), in the body's encoding; as a part of
// its own on a multipart/mixed, digest or parallel post (ezmlm-idx 7's three).
TrailerWay trailer_way(const std::vector<HeaderField>& fields) {
    TrailerWay way = TrailerWay::plain;
    bool typed = false;
    for (const auto& f : fields) {
        auto v = lowercase(f.text.substr(f.text.find(':') + 1));
        if (f.name == "content-type" && !typed) {
            typed = true; // the first Content-Type field is the post's, as for the boundary
            if (v.find("text/plain") != std::string::npos)
                continue;
            auto type = parse_media_type(v);
            if (type && (type->type == "multipart/mixed" || type->type == "multipart/digest" ||
                         type->type == "multipart/parallel"))
                return TrailerWay::own_part;
            return TrailerWay::none;
        }
        if (f.name == "content-transfer-encoding") {
            if (v.find("base64") != std::string::npos)
                way = TrailerWay::base64;
            else if (v.find("quoted-printable") != std::string::npos)
                way = TrailerWay::quoted_printable;
        }
    }
    return way;
}

// Adds the prefix ('#' = message number) unless the subject already carries it (a reply
// to an earlier post, whatever its number).
std::string prefixed_subject(const HeaderField& f, const std::string& prefix, unsigned long n) {
    auto colon = f.text.find(':');
    std::string value = f.text.substr(colon + 1);
    const std::string probe = prefix.substr(0, prefix.find('#'));
    if (!probe.empty() && lowercase(value).find(lowercase(probe)) != std::string::npos)
        return f.text;
    std::string numbered = prefix;
    if (auto h = numbered.find('#'); h != std::string::npos)
        numbered.replace(h, 1, std::to_string(n));
    size_t lead = value.find_first_not_of(" \t");
    if (lead == std::string::npos)
        lead = value.size();
    return f.text.substr(0, colon + 1) + " " + numbered + " " + value.substr(lead);
}

Status archive(const std::string& path, std::string_view text) {
    std::string dir = dirname_of(path);
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
        return fail(from_errno(errno, "unable to create " + dir));
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd)
        return fail(from_errno(errno, "unable to write " + path));
    if (auto w = write_all(fd.get(), text); !w)
        return fail(temp("4.3.0", "unable to write " + path + ": " + w.error().text));
    if (auto s = fsync_fd(fd.get(), path); !s)
        return s;
    // Readers (ezmlm-get, ezmlm-cgi) take a message only once its owner-exec bit is set.
    if (::fchmod(fd.get(), 0744) != 0)
        return fail(from_errno(errno, "unable to chmod " + path));
    fd.reset();
    return fsync_dir(dir);
}

bool one_click_field(const std::string& name) {
    return name == "list-unsubscribe" || name == "list-unsubscribe-post";
}

// dir/headeradd's fields, tags expanded. With dir/unsubscribeurl, RFC 8058 (3.1) wants
// exactly one List-Unsubscribe, holding the https URI, and exactly one
// List-Unsubscribe-Post, and ours are made per recipient: a token that only the
// recipient's address can use. A fixed headeradd line cannot be that; kept beside ours,
// a mail client would see two of each and might offer the wrong one, or none (RFC 8058
// says a receiver may ignore duplicates altogether). The admin who wrote unsubscribeurl
// asked for one-click, and headeradd's mailto: lives on as the pair's fallback URI, so
// the generated pair wins and the headeradd line is dropped, with a warning so that the
// admin cleans headeradd up.
std::vector<HeaderField> added_fields(const PostSettings& s, unsigned long n,
                                      std::vector<std::string>& warnings) {
    std::vector<HeaderField> fields = ParsedPost(expand_header_tags(s.headeradd, s.list, n)).fields;
    if (s.unsubscribe_url)
        std::erase_if(fields, [&](const HeaderField& f) {
            if (!one_click_field(f.name))
                return false;
            std::string line = f.text.substr(0, f.text.find('\n'));
            warnings.push_back("dropped \"" + line + "\" from " + s.list.dir +
                               "/headeradd: with dir/unsubscribeurl each copy gets its own "
                               "RFC 8058 List-Unsubscribe and List-Unsubscribe-Post");
            return true;
        });
    return fields;
}

// RFC 8058: one copy per subscriber, each with a link only that subscriber's address
// can use. If qmail-queue fails part way, the post is retried whole (num goes back), so
// the subscribers queued before the failure may get it twice: duplicates, never a loss.
Result<Queued> queue_one_click_copies(const PostSettings& s, const std::string& text,
                                      const Envelope& all) {
    auto key = read_list_key(s.list.dir);
    if (!key)
        return fail(key.error());
    const std::time_t when = now();
    // After the first line (Mailing-List), so the fields sit with the other List-* ones.
    const size_t at = text.find('\n') + 1;
    Queued last;
    for (const auto& rcpt : all.recipients) {
        const std::string url =
            one_click_url(*s.unsubscribe_url, one_click_token(*key, CookieScope::main, when, rcpt));
        std::string copy = text;
        copy.insert(at, "List-Unsubscribe: <" + url +
                            ">, <mailto:" + s.list.command("unsubscribe") +
                            ">\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\n");
        Envelope one;
        one.sender = all.sender;
        one.recipients = {rcpt};
        auto q = queue_message(copy, one);
        if (!q)
            return fail(q.error());
        last = *q;
    }
    return last;
}

} // namespace

// The fields whose presence together in headeradd says that it holds the list's List-*
// fields (as ezmlm-idx 7's ezmlm-make writes it, for a main list or a sublist).
constexpr std::string_view owned_list_fields[] = {"list-help", "list-unsubscribe",
                                                  "list-subscribe"};

Result<PostSettings> read_post_settings(const std::string& dir) {
    PostSettings s;
    auto list = read_list(dir);
    if (!list)
        return fail(list.error());
    s.list = std::move(*list);
    auto ml = read_setting(dir, "mailinglist");
    if (!ml)
        return fail(ml.error());
    s.mailinglist = *ml ? **ml : "contact " + s.list.command("help") + "; run by ezmlm";
    auto remove = read_lines(dir, "headerremove");
    if (!remove)
        return fail(remove.error());
    for (auto& r : *remove)
        s.headerremove.push_back(lowercase(r));
    auto add = read_lines(dir, "headeradd");
    if (!add)
        return fail(add.error());
    for (const auto& l : *add)
        if (!l.starts_with("#")) // comments, as ezmlm-idx 7's getconf skips them
            s.headeradd += l + "\n";
    auto prefix = read_setting(dir, "prefix");
    if (!prefix)
        return fail(prefix.error());
    s.prefix = *prefix;
    auto listid = read_setting(dir, "listid");
    if (!listid)
        return fail(listid.error());
    s.listid = *listid;
    s.reply_to_list = has_flag(dir, "replytolist");
    auto parent = read_parent(dir);
    if (!parent)
        return fail(parent.error());
    s.parent = *parent;
    auto parent_return = read_parent_return(dir);
    if (!parent_return)
        return fail(parent_return.error());
    s.parent_return = *parent_return;
    auto url = read_setting(dir, "unsubscribeurl");
    if (!url)
        return fail(url.error());
    if (*url && !(*url)->starts_with("https://"))
        return fail(temp("4.3.0", dir + "/unsubscribeurl must be an https:// URL (RFC 8058)"));
    s.unsubscribe_url = *url;
    if (has_flag(dir, "addtrailer")) {
        auto t = qm::lists::read_file(dir, "text/trailer");
        if (!t)
            return fail(t.error());
        s.trailer = *t;
        auto cs = read_list_charset(dir);
        if (!cs)
            return fail(cs.error());
        s.charset = std::move(*cs);
    }
    return s;
}

// The archive file is the copy as delivered, so it starts as qmail-local's would.
std::string archive_text(const std::optional<std::string>& sender, std::string_view copy) {
    return address::return_path_line(sender.value_or("")) + std::string(copy);
}

std::string verp_sender(const ListInfo& list, unsigned long n) {
    return list.outlocal + "-return-" + std::to_string(n) + "-@" + list.outhost + "-@[]";
}

Result<Post> build_post(const PostSettings& s, unsigned long n, const ParsedPost& message) {
    const std::vector<HeaderField>& fields = message.fields;
    const std::string dtline = "delivered-to: mailing list " + lowercase(s.list.address());
    for (const auto& f : fields) {
        std::string line = lowercase(f.text);
        while (!line.empty() && (line.back() == '\n' || line.back() == '\r' || line.back() == ' '))
            line.pop_back();
        if (line == dtline)
            return fail(
                perm("5.4.6", "this message is looping: it already has my Delivered-To line"));
        if (f.name == "mailing-list" && !s.parent) // a sublist keeps its parent's
            return fail(perm("5.7.2", "message already has Mailing-List: it came from a "
                                      "mailing list, so it is not distributed again"));
    }

    Post post;
    const std::vector<HeaderField> added = added_fields(s, n, post.warnings);
    std::string& out = post.text;
    if (!s.parent)
        out += "Mailing-List: " + s.mailinglist + "\n";
    auto removed = [&](const std::string& name) {
        return std::find(s.headerremove.begin(), s.headerremove.end(), name) !=
               s.headerremove.end();
    };
    auto has = [](const std::vector<HeaderField>& in, const std::string& name, auto&& also) {
        return std::any_of(in.begin(), in.end(),
                           [&](const HeaderField& f) { return f.name == name && also(f); });
    };
    auto any = [](const HeaderField&) { return true; };
    // The List-* names we write (ours or headeradd's): the post's own of those go, so
    // that each field is there once.
    std::set<std::string> emitted;
    // ezmlm-idx 7's lists keep their List-* fields in headeradd, where its ezmlm-make
    // (and ours now) writes List-Help, List-Unsubscribe and List-Subscribe at least; our
    // lists from before and ezmlm 0.53's had them made here, and an owner may have added
    // one (a List-Archive, an https List-Help) counting on the others being made.
    const bool headeradd_has_list_fields =
        std::all_of(std::begin(owned_list_fields), std::end(owned_list_fields),
                    [&](std::string_view name) { return has(added, std::string(name), any); });
    auto generated = [&](std::string_view name, const std::string& value) {
        const std::string lname = lowercase(name);
        if (headeradd_has_list_fields && !(lname == "list-id" && s.listid))
            return;
        emitted.insert(lname);
        if (!has(added, lname, any) || headeradd_has_list_fields)
            out += std::string(name) + ": " + value + "\n";
    };
    // A sublist's copy comes from the main list: what names the list as a whole stays
    // the main list's (its first, should there be more) when the sublist's headerremove
    // lets it through (ezmlm-make -0's does).
    std::set<std::string> passed_once;
    auto inherited = [&](std::string_view name, const std::string& value) {
        const std::string lname = lowercase(name);
        if (s.parent &&
            has(fields, lname, [&](const HeaderField& f) { return !removed(f.name); })) {
            passed_once.insert(lname);
            return;
        }
        generated(name, value);
    };
    inherited("List-Id", s.listid ? *s.listid : "<" + s.list.outlocal + "." + s.list.outhost + ">");
    // A sublist takes posts only from its parent: replies go to the parent.
    inherited("List-Post", "<mailto:" + (s.parent ? *s.parent : s.list.address()) + ">");
    generated("List-Help", "<mailto:" + s.list.command("help") + ">");
    if (s.unsubscribe_url) // per recipient, in send_post
        emitted.insert({"list-unsubscribe", "list-unsubscribe-post"});
    else
        generated("List-Unsubscribe", "<mailto:" + s.list.command("unsubscribe") + ">");
    generated("List-Subscribe", "<mailto:" + s.list.command("subscribe") + ">");
    generated("List-Owner", "<mailto:" + s.list.command("owner") + ">");
    for (const auto& f : added) {
        if (headeradd_has_list_fields && f.name == "list-id" && s.listid)
            continue; // dir/listid's, as ezmlm-send's List-ID
        out += f.text;
        if (f.name.starts_with("list-"))
            emitted.insert(f.name);
    }
    out += "Delivered-To: mailing list " + s.list.address() + "\n";
    if (s.reply_to_list) {
        out += "Reply-To: <" + s.list.address() + ">\n";
        emitted.insert("reply-to");
    }
    bool subject_seen = false;
    bool received_seen = false;
    for (const auto& f : fields) {
        const std::string& name = f.name;
        if (removed(name) || emitted.contains(name))
            continue;
        if (name == "received" && s.drop_received) {
            if (received_seen)
                continue;
            received_seen = true;
        }
        if (passed_once.contains(name)) {
            emitted.insert(name); // the next one of that name goes
            passed_once.erase(name);
        }
        if (name == "subject" && s.prefix && !subject_seen) {
            subject_seen = true;
            out += prefixed_subject(f, *s.prefix, n);
            continue;
        }
        out += f.text;
    }
    out += "\n";
    out += message.body;
    post.archive_size = out.size();
    if (!s.trailer)
        return post;
    const std::string trailer = expand_header_tags(*s.trailer, s.list, n);
    switch (trailer_way(fields)) {
    case TrailerWay::none:
        break;
    case TrailerWay::plain:
        if (!out.ends_with("\n"))
            out += "\n";
        out += trailer;
        break;
    case TrailerWay::quoted_printable:
        if (!out.ends_with("\n"))
            out += "\n";
        out += encode_quoted_printable(trailer);
        break;
    case TrailerWay::base64: {
        std::string text = decode_transfer_encoding("base64", message.body);
        const bool crlf = text.find("\r\n") != std::string::npos;
        if (!text.empty() && !text.ends_with("\n"))
            text += crlf ? "\r\n" : "\n";
        for (char c : trailer) {
            if (c == '\n' && crlf)
                text += '\r';
            text += c;
        }
        post.archived = out;
        out.resize(out.size() - message.body.size());
        out += encode_base64(text);
        break;
    }
    case TrailerWay::own_part: {
        // The boundary comes from the same field trailer_way read; the part goes before
        // the first close delimiter at a line start (nested parts have boundaries of
        // their own, RFC 2046 5.1.1). A post without one is broken MIME: no trailer.
        std::string boundary; // as written: boundaries are case-sensitive
        for (const auto& f : fields)
            if (f.name == "content-type") {
                if (auto type = parse_media_type(f.text.substr(f.text.find(':') + 1)))
                    boundary = type->boundary;
                break;
            }
        if (boundary.empty())
            break;
        const std::string close = "--" + boundary + "--";
        const size_t body_at = out.size() - message.body.size();
        size_t at = out.find(close, body_at);
        while (at != std::string::npos && at != body_at && out[at - 1] != '\n')
            at = out.find(close, at + 1);
        if (at == std::string::npos)
            break;
        std::string part = "--" + boundary + "\nContent-Type: text/plain; charset=" +
                           (s.charset.name.empty() ? (has_eight_bit(trailer) ? "utf-8" : "us-ascii")
                                                   : s.charset.name) +
                           "\n";
        if (s.charset.encoding == 'Q')
            part += "Content-Transfer-Encoding: quoted-printable\n\n" +
                    encode_quoted_printable(trailer);
        else if (s.charset.encoding == 'B')
            part +=
                "Content-Transfer-Encoding: base64\n\n" + encode_base64(crlf_line_ends(trailer));
        else
            part += std::string(has_eight_bit(trailer) ? "Content-Transfer-Encoding: 8bit\n" : "") +
                    "\n" + trailer;
        if (!part.ends_with("\n"))
            part += "\n";
        post.archived = out;
        // The delimiter's line end belongs to it (RFC 2046): the part starts on a line
        // of its own and ends with a line end before the close delimiter's.
        out.insert(at, part + "\n");
        break;
    }
    }
    return post;
}

Result<Sent> send_post(const std::string& dir, const std::optional<std::string>& sender,
                       std::string_view message, const SendOptions& options) {
    if (sender && (sender->empty() || *sender == "#@[]"))
        return fail(perm("5.7.2", "I don't distribute bounce messages"));
    auto lock = Lock::acquire(dir + "/lock");
    if (!lock)
        return fail(lock.error());
    auto settings = read_post_settings(dir);
    if (!settings)
        return fail(settings.error());
    auto num = read_num(dir);
    if (!num)
        return fail(num.error());
    if (settings->parent &&
        !(sender && from_parent(*settings->parent, *sender, settings->parent_return)))
        return fail(perm("5.7.2", "this list is a sublist of " + *settings->parent +
                                      " and takes posts only from it"));
    settings->drop_received = options.drop_received;
    Sent sent;
    sent.number = num->last + 1;
    const ParsedPost post_as_received(message);
    if (settings->parent && !options.sublist_field.empty()) {
        std::string want =
            lowercase(options.sublist_field.substr(0, options.sublist_field.find(':')));
        while (!want.empty() && (want.back() == ' ' || want.back() == '\t'))
            want.pop_back();
        if (!post_as_received.first(want))
            return fail(perm("5.7.2", "this list is a sublist of " + *settings->parent +
                                          " and takes only posts that carry " + want + ":"));
    }
    // DMARC mitigation: the From rewrite, when the poster's domain asks for it (dmarc.hpp).
    auto distributed = apply_dmarc(dir, settings->list, post_as_received, dns_txt_lookup());
    if (!distributed)
        return fail(distributed.error());
    auto post = build_post(*settings, sent.number, *distributed);
    if (!post)
        return fail(post.error());
    sent.warnings = post->warnings;

    Envelope env;
    env.sender = verp_sender(settings->list, sent.number);
    auto recipients = post_recipients(dir); // subscribers, or their sublists (dir/split)
    if (!recipients)
        return fail(recipients.error());
    env.recipients = std::move(*recipients);
    sent.recipients = env.recipients.size();

    const bool archived = has_flag(dir, "archived");
    const std::string apath = archive_path(dir, sent.number);
    if (archived)
        if (auto s = archive(apath, archive_text(sender, post->archived
                                                             ? std::string_view(*post->archived)
                                                             : std::string_view(post->text)
                                                                   .substr(0, post->archive_size)));
            !s)
            return fail(s.error());
    if (has_flag(dir, "indexed"))
        if (auto s = index_post(dir, sent.number, post_as_received, settings->prefix.value_or(""));
            !s)
            return fail(s.error());
    Num next = *num;
    next.last = sent.number;
    // ezmlm-idx 7's N:K, K the bodies' bytes so far in 256-byte units, each rounded.
    next.kbytes = num->kbytes.value_or(0) + (post_as_received.body.size() + 128) / 256;
    if (auto s = write_num(dir, next); !s)
        return fail(s.error());
    if (env.recipients.empty())
        return sent;
    auto queued = settings->unsubscribe_url ? queue_one_click_copies(*settings, post->text, env)
                                            : queue_message(post->text, env);
    if (!queued) {
        // As ezmlm-send: the number goes back, so the retry gets the same one.
        (void)write_num(dir, *num);
        if (archived)
            ::unlink(apath.c_str());
        return fail(queued.error());
    }
    sent.qp = queued->qp;
    return sent;
}

} // namespace qm::lists
