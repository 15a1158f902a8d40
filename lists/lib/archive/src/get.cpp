#include "qm/lists/archive/get.hpp"

#include "qm/inject/header.hpp"
#include "qm/lists/archive/digest.hpp"
#include "qm/lists/core/reply.hpp"
#include "qm/lists/core/subscribers.hpp"

#include <algorithm>
#include <charconv>

namespace qm::lists {

namespace {

bool equals_ignoring_case(std::string_view a, std::string_view b) {
    return a.size() == b.size() && starts_with_ignoring_case(a, b);
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

bool is_letter(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

Failure bad_format(char c) {
    return perm("5.5.4", std::string("there is no archive format '") + c +
                             "'; ask for m (MIME, the default), x (multipart/mixed), "
                             "v (whole messages), n (whole messages in numerical order) "
                             "or r (plain text, RFC 1153)");
}

unsigned long leading_number(std::string_view& s) {
    unsigned long n = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec == std::errc::result_out_of_range) {
        // A number beyond every archive: the largest, which the ranges then clamp.
        n = ~0UL;
        while (p < s.data() + s.size() && is_digit(*p))
            ++p;
    }
    s.remove_prefix(static_cast<size_t>(p - s.data()));
    return n;
}

// The part of the reply after the administrative text: the request's header, as
// ezmlm-get copies it (dir/copylines lines of the body are not copied).
std::string request_copy(std::string_view sender, std::string_view message) {
    std::string out = "Return-Path: <" + std::string(sender) + ">\n";
    for (const std::string& f : qm::inject::split_message(message).fields)
        out += f;
    return out;
}

struct Request {
    const ListInfo& list;
    const GetEnvironment& env;
    std::string_view action;
    std::string_view message;
    [[nodiscard]] const std::string& sender() const { return *env.sender; }
};

Result<std::string> administrivia(const Request& r) {
    std::string out;
    if (!r.env.omit_bottom.value_or(has_flag(r.list.dir, "omitbottom"))) {
        auto bottom = render_text(r.list, "bottom", {});
        if (!bottom)
            return fail(bottom.error());
        out += *bottom + "\n";
    }
    out += request_copy(r.sender(), r.message);
    return out;
}

Result<GetOutcome> queue_reply(const Request& r, Reply reply, std::string info) {
    reply.to = r.sender();
    reply.headers.push_back("Delivered-To: responder for " + r.list.address());
    auto q = send_reply(r.list, reply, r.env.now);
    if (!q)
        return fail(q.error());
    return GetOutcome{99, q->qp, std::move(info)};
}

// A plain-text answer with text/get-bad (thread of a message that is not there).
Result<GetOutcome> reply_get_bad(const Request& r, unsigned long n) {
    auto body = compose_body(r.list, {"get-bad"}, {});
    if (!body)
        return fail(body.error());
    auto subject = list_message(r.list, "SUB_DIGEST_OF", {std::string(r.action)});
    if (!subject)
        return fail(subject.error());
    Reply reply;
    reply.subject = std::move(*subject);
    reply.body = *body;
    return queue_reply(r, reply, "message " + std::to_string(n) + " is not in the archive");
}

Result<GetOutcome> reply_collection(const Request& r, const std::vector<CollectedMessage>& msgs,
                                    CollectionFormat format, std::optional<MessageRange> topics,
                                    std::string info) {
    CollectionOptions o;
    o.format = format;
    auto heading = list_message(r.list, "SUB_DIGEST_OF", {std::string(r.action)});
    if (!heading)
        return fail(heading.error());
    o.heading = std::move(*heading);
    o.topics = topics;
    o.thread_order = has_flag(r.list.dir, "indexed");
    auto admin = administrivia(r);
    if (!admin)
        return fail(admin.error());
    o.administrivia = std::move(*admin);
    auto charset = list_charset(r.list.dir);
    if (!charset)
        return fail(charset.error());
    o.charset = *charset;
    auto text = format_collection(r.list, msgs, o);
    if (!text)
        return fail(text.error());
    Reply reply;
    reply.subject = o.heading;
    reply.content_type = text->content_type;
    reply.body = std::move(text->body);
    return queue_reply(r, std::move(reply), std::move(info));
}

// ezmlm-get's access rules for get, index and thread.
Status check_access(const Request& r) {
    const std::string& dir = r.list.dir;
    if (!r.env.open_to_all.value_or(has_flag(dir, "public") && !has_flag(dir, "modgetonly"))) {
        // Only moderators, and only on lists with remote administration.
        auto denied = [] {
            return fail(perm("5.7.1", "the archive of this list is open to its moderators "
                                      "only, and you are not one"));
        };
        if (!has_flag(dir, "remote"))
            return denied();
        auto modsub = read_setting(dir, "modsub");
        if (!modsub)
            return fail(modsub.error());
        auto remote = read_setting(dir, "remote");
        if (!remote)
            return fail(remote.error());
        std::string db = *modsub ? **modsub : *remote ? **remote : "mod";
        if (db.front() != '/')
            db = dir + "/" + db;
        auto mod = is_subscriber(db, r.sender());
        if (!mod)
            return fail(mod.error());
        if (!*mod)
            return denied();
    }
    if (r.env.subscribers_only.value_or(has_flag(dir, "subgetonly"))) {
        for (const std::string& db : {dir, dir + "/digest", dir + "/allow"}) {
            auto sub = is_subscriber(db, r.sender());
            if (!sub)
                return fail(sub.error());
            if (*sub)
                return {};
        }
        return fail(perm("5.7.1", "only subscribers may get messages from the archive of "
                                  "this list, and your address is not subscribed"));
    }
    return {};
}

// A request that already went through a list, or came from this very responder, is not
// answered (mail loops).
Status check_loops(const Request& r) {
    const std::string mine = "delivered-to: responder for " + r.list.address();
    for (const std::string& f : qm::inject::split_message(r.message).fields) {
        std::string lc = f;
        std::transform(lc.begin(), lc.end(), lc.begin(), ascii_lower);
        while (!lc.empty() && (lc.back() == '\n' || lc.back() == '\r' || lc.back() == ' '))
            lc.pop_back();
        if (starts_with_ignoring_case(lc, "mailing-list:"))
            return fail(perm("5.7.2", "the request has a Mailing-List field: I do not answer "
                                      "mail that came from a mailing list"));
        if (equals_ignoring_case(lc, mine))
            return fail(perm("5.4.6", "this message is looping: it already has my "
                                      "Delivered-To line"));
    }
    return {};
}

Result<unsigned long> last_message(const std::string& dir) {
    auto num = read_num(dir);
    if (!num)
        return fail(num.error());
    if (num->last == 0)
        return fail(perm("5.1.1", "the archive of this list is empty"));
    return num->last;
}

// The request's own format, else ezmlm-get -f's, else the list's.
Result<CollectionFormat> request_format(const Request& r, const ArchiveRequest& req) {
    if (req.format)
        return *req.format;
    if (r.env.format)
        return *r.env.format;
    return default_format(r.list.dir);
}

Result<GetOutcome> do_get(const Request& r, const ArchiveRequest& req) {
    auto max = last_message(r.list.dir);
    if (!max)
        return fail(max.error());
    auto state = read_digest_state(r.list.dir);
    if (!state)
        return fail(state.error());
    const MessageRange range = get_range(req.first, req.second, *max, state->last);
    auto msgs = collect_messages(r.list.dir, range.from, range.to);
    if (!msgs)
        return fail(msgs.error());
    auto format = request_format(r, req);
    if (!format)
        return fail(format.error());
    return reply_collection(r, *msgs, *format, range,
                            "get " + std::to_string(range.from) + "-" + std::to_string(range.to));
}

Result<GetOutcome> do_index(const Request& r, const ArchiveRequest& req) {
    if (!has_flag(r.list.dir, "indexed"))
        return fail(perm("5.5.1", "this list keeps no subject index"));
    auto max = last_message(r.list.dir);
    if (!max)
        return fail(max.error());
    const MessageRange blocks = index_blocks(req.first, req.second, *max);
    std::string body = r.list.outlocal + " index: " + std::string(r.action) + "\n\n";
    for (unsigned long b = blocks.from; b <= blocks.to; ++b) {
        auto text = read_file(r.list.dir, "archive/" + std::to_string(b) + "/index");
        if (!text)
            return fail(text.error());
        if (!*text) {
            body += "(no index for messages " + std::to_string(b * 100) + " to " +
                    std::to_string(b * 100 + 99) + ")\n";
            continue;
        }
        // As ezmlm-get lists it: no hashes, the day without the time.
        for (const auto& e : parse_index(**text)) {
            if (!e.has_author_line) {
                body += std::to_string(e.number) + " " + e.subject + "\n";
                continue;
            }
            const std::string day =
                e.date.size() > 15 ? e.date.substr(0, e.date.size() - 15) : e.date;
            body +=
                std::to_string(e.number) + ": " + e.subject + "\n\t" + day + " " + e.author + "\n";
        }
    }
    auto admin = administrivia(r);
    if (!admin)
        return fail(admin.error());
    body += "\n" + *admin;
    auto subject = list_message(r.list, "SUB_RESULT_OF", {std::string(r.action)});
    if (!subject)
        return fail(subject.error());
    Reply reply;
    reply.subject = std::move(*subject);
    reply.body = std::move(body);
    return queue_reply(r, std::move(reply),
                       "index " + std::to_string(blocks.from * 100) + "-" +
                           std::to_string(blocks.to * 100 + 99));
}

Result<GetOutcome> do_thread(const Request& r, const ArchiveRequest& req) {
    if (!has_flag(r.list.dir, "indexed"))
        return fail(perm("5.5.1", "this list keeps no subject index, so it has no threads"));
    auto max = last_message(r.list.dir);
    if (!max)
        return fail(max.error());
    const unsigned long n = req.first;
    if (n == 0 || n > *max)
        return reply_get_bad(r, n);
    auto master = collect_messages(r.list.dir, n, n);
    if (!master)
        return fail(master.error());
    const CollectedMessage& m = master->front();
    if (!m.text && m.entry.subject_hash.empty())
        return reply_get_bad(r, n);
    const unsigned long from = n > thread_before ? n - thread_before : 1;
    const unsigned long to = std::min(*max, n + thread_after);
    std::vector<CollectedMessage> thread;
    for (unsigned long b = from / 100; b <= to / 100; ++b) {
        auto entries = read_index(r.list.dir, b);
        if (!entries)
            return fail(entries.error());
        for (const auto& e : *entries) {
            if (e.number < from || e.number > to || e.subject_hash != m.entry.subject_hash)
                continue;
            auto one = collect_messages(r.list.dir, e.number, e.number);
            if (!one)
                return fail(one.error());
            thread.push_back(std::move(one->front()));
        }
    }
    if (thread.empty()) // not indexed yet: the message alone
        thread.push_back(m);
    auto format = request_format(r, req);
    if (!format)
        return fail(format.error());
    const std::string info =
        "thread of " + std::to_string(n) + ": " + std::to_string(thread.size()) + " messages";
    return reply_collection(r, thread, *format, std::nullopt, info);
}

Result<GetOutcome> digest(const std::string& dir, DigestTrigger trigger,
                          std::optional<CollectionFormat> format, std::time_t now, int exit_code) {
    auto sent = send_digest(dir, trigger, format, now);
    if (!sent)
        return fail(sent.error());
    GetOutcome o;
    o.exit_code = exit_code;
    if (!*sent) {
        o.info = "no digest due";
        return o;
    }
    const DigestSent& d = **sent;
    o.qp = d.qp;
    o.info = "digest " + std::to_string(d.issue) + " (messages " + std::to_string(d.first) + "-" +
             std::to_string(d.last) + ") to " + std::to_string(d.recipients) +
             " digest subscribers";
    return o;
}

} // namespace

Result<ArchiveRequest> parse_request(std::string_view action,
                                     std::optional<std::string_view> digest_code) {
    ArchiveRequest r;
    if (starts_with_ignoring_case(action, "dig") && action.size() > 3 &&
        (action[3] == '.' || action[3] == '-')) {
        std::string_view rest = action.substr(4);
        if (!digest_code || digest_code->empty())
            return fail(perm("5.7.1", "digests of this list cannot be asked for by mail (it "
                                      "has no digest code)"));
        if (!starts_with_ignoring_case(rest, *digest_code))
            return fail(perm("5.7.1", "that is not this list's digest code"));
        rest.remove_prefix(digest_code->size());
        if (!rest.empty()) {
            auto f = collection_format(ascii_lower(rest.front()));
            if (!f || rest.size() > 1)
                return fail(bad_format(rest.front()));
            r.format = f;
        }
        r.kind = RequestKind::digest;
        return r;
    }
    if (equals_ignoring_case(action, "digest")) {
        r.kind = RequestKind::get;
        return r;
    }
    std::string_view rest = action;
    for (auto [word, kind] : {std::pair<std::string_view, RequestKind>{"get", RequestKind::get},
                              {"index", RequestKind::index},
                              {"thread", RequestKind::thread}}) {
        if (starts_with_ignoring_case(action, word)) {
            r.kind = kind;
            rest.remove_prefix(word.size());
            break;
        }
    }
    if (r.kind == RequestKind::none)
        return r;
    if (!rest.empty() && is_letter(rest.front())) {
        const char c = ascii_lower(rest.front());
        auto f = collection_format(c);
        if (!f)
            return fail(bad_format(c));
        r.format = f;
        rest.remove_prefix(1);
    }
    if (!rest.empty() && (rest.front() == '.' || rest.front() == '-'))
        rest.remove_prefix(1);
    r.first = leading_number(rest);
    if (!rest.empty()) {
        rest.remove_prefix(1); // any separator
        r.second = leading_number(rest);
    }
    return r;
}

MessageRange get_range(unsigned long u, unsigned long to, unsigned long max,
                       unsigned long last_digested) {
    if (u == 0 && to == 0) {
        // The messages since the last digest, or the last history_get ones.
        to = max;
        u = std::min(last_digested, max);
        if (u == 0)
            u = max > history_get ? max - history_get : 1;
        if (to - u >= max_get)
            u = to - max_get + 1;
    } else if (u > max) {
        if (to != 0) {
            // get.999999_x: history_get messages before the last digest and all since.
            to = max;
            u = std::min(last_digested, max);
            u = u > history_get ? u - history_get : 1;
            if (to - u >= max_get)
                u = to - max_get + 1;
        } else {
            u = max;
        }
    }
    if (u == 0)
        u = 1;
    if (to < u)
        to = u;
    if (to - u >= max_get)
        to = u + max_get - 1;
    if (to > max)
        to = max;
    if (u > to)
        u = to;
    return {u, to};
}

MessageRange index_blocks(unsigned long u, unsigned long to, unsigned long max) {
    if (u == 0 && to == 0) {
        to = max;
        u = max >= 100 ? max - 100 : max;
    }
    if (u == 0)
        u = 1;
    if (u > max)
        u = max;
    if (to < u)
        to = u;
    if (to - u > max_index)
        to = u + max_index;
    if (to > max)
        to = max;
    return {u / 100, to / 100};
}

Result<GetOutcome> run_get(const std::string& dir, const GetEnvironment& env,
                           std::string_view message) {
    auto list = read_list(dir);
    if (!list)
        return fail(list.error());
    std::optional<std::string> code = env.digest_code;
    if (!code) {
        auto c = read_setting(dir, "digestcode");
        if (!c)
            return fail(c.error());
        code = *c;
    }

    if (!env.local || env.local->empty()) // by hand or from cron: a digest now
        return digest(dir, DigestTrigger::now, env.format, env.now, 0);

    if (!env.sender)
        return fail(perm("5.1.7", "SENDER is not set"));
    if (env.sender->empty() || *env.sender == "#@[]")
        return fail(perm("5.7.1", "I do not reply to bounce messages"));
    if (env.sender->find('@') == std::string::npos)
        return fail(perm("5.1.7", "I do not reply to a sender without a domain"));

    if (!env.default_part) { // the editor, after a post: a digest if one is due
        if (!has_flag(dir, "archived"))
            return GetOutcome{0, 0, "not archived: no digests"};
        // The post has gone out already: a failure here must not make qmail-local
        // deliver it again. The digest stays due and goes with a later post.
        auto sent = digest(dir, DigestTrigger::when_due, env.format, env.now, 0);
        if (!sent)
            return GetOutcome{0, 0, "digest not sent, it stays due: " + sent.error().with_dsn()};
        return sent;
    }
    if (env.default_part->empty()) // list-@host: for ezmlm-manage's help
        return GetOutcome{0, 0, ""};

    auto req = parse_request(*env.default_part,
                             code ? std::optional<std::string_view>(*code) : std::nullopt);
    if (!req)
        return fail(req.error());
    if (req->kind == RequestKind::none)
        return GetOutcome{0, 0, ""};
    if (req->kind == RequestKind::digest)
        return digest(dir, DigestTrigger::now, req->format ? req->format : env.format, env.now, 99);

    if (!env.commands) // -C: get, index and thread are not ours to answer
        return GetOutcome{0, 0, ""};

    const Request r{*list, env, *env.default_part, message};
    if (auto s = check_loops(r); !s)
        return fail(s.error());
    if (auto s = check_access(r); !s)
        return fail(s.error());
    if (!has_flag(dir, "archived"))
        return fail(perm("5.5.1", "this list keeps no archive"));
    switch (req->kind) {
    case RequestKind::get:
        return do_get(r, *req);
    case RequestKind::index:
        return do_index(r, *req);
    case RequestKind::thread:
        return do_thread(r, *req);
    default:
        return GetOutcome{0, 0, ""};
    }
}

} // namespace qm::lists
