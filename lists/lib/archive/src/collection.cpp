#include "qm/lists/archive/collection.hpp"

#include "qm/fd.hpp"
#include "qm/inject/header.hpp"
#include "qm/lists/archive/rfc1153.hpp"
#include "qm/lists/core/reply.hpp"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <map>

namespace qm::lists {

namespace {

std::string random_boundary() {
    unsigned char bytes[20];
    size_t got = 0;
    while (got < sizeof bytes) {
        ssize_t n = ::getrandom(bytes + got, sizeof bytes - got, 0);
        if (n <= 0) {
            if (n < 0 && errno == EINTR)
                continue;
            break;
        }
        got += static_cast<size_t>(n);
    }
    if (got < sizeof bytes) // no entropy source: still unique enough for one message
        return ezmlm_hash(std::to_string(::getpid()) + "." + std::to_string(::time(nullptr)));
    std::string out(sizeof bytes, 'a');
    for (size_t i = 0; i < sizeof bytes; ++i)
        out[i] = static_cast<char>('a' + (bytes[i] & 15));
    return out;
}

// The fields the m and x formats keep (dir/digheaders, else ezmlm-idx's list).
Result<std::vector<std::string>> kept_fields(const std::string& dir) {
    auto lines = read_lines(dir, "digheaders");
    if (!lines)
        return fail(lines.error());
    std::vector<std::string> out;
    if (lines->empty())
        out = {"from",       "to", "subject",      "reply-to",     "date",
               "message-id", "cc", "mime-version", "content-type", "content-transfer-encoding"};
    for (const auto& l : *lines) {
        std::string name = l.substr(0, l.find(':'));
        std::transform(name.begin(), name.end(), name.begin(), ascii_lower);
        out.push_back(std::move(name));
    }
    return out;
}

std::string filtered_message(std::string_view text, const std::vector<std::string>& keep) {
    const auto split = qm::inject::split_message(text);
    std::string out;
    for (const std::string& f : split.fields) {
        std::string name(qm::inject::field_name(f));
        std::transform(name.begin(), name.end(), name.begin(), ascii_lower);
        if (std::find(keep.begin(), keep.end(), name) != keep.end())
            out += f;
    }
    out += split.body.empty() ? std::string("\n") : split.body;
    return out;
}

// Messages in the order they go out: grouped by subject in the order each subject first
// appears (ezmlm-idx's threading), or by number.
std::vector<std::vector<const CollectedMessage*>> groups(const std::vector<CollectedMessage>& msgs,
                                                         bool by_subject) {
    std::vector<std::vector<const CollectedMessage*>> out;
    std::map<std::string, size_t> group_of;
    for (const auto& m : msgs) {
        if (!by_subject) {
            out.push_back({&m});
            continue;
        }
        auto [it, fresh] = group_of.try_emplace(m.entry.subject_hash, out.size());
        if (fresh)
            out.emplace_back();
        out[it->second].push_back(&m);
    }
    return out;
}

using MessageOrder = std::vector<std::vector<const CollectedMessage*>>;

// The heading, the table of contents (unless toc is false) and the administrivia, ending
// in a line of 70 hyphens: the text part of the MIME formats, RFC 1153's preamble.
std::string preamble(const MessageOrder& order, const CollectionOptions& o, bool toc) {
    std::string text = o.heading + "\n\n";
    if (toc) {
        if (o.topics)
            text += "Topics (messages " + std::to_string(o.topics->from) + " through " +
                    std::to_string(o.topics->to) + "):\n";
        for (const auto& group : order) {
            const std::string& subject = group.front()->entry.subject;
            text += "\n" + (subject.empty() ? std::string("(no subject)") : subject) + "\n";
            for (const CollectedMessage* m : group)
                text += "\t" + std::to_string(m->number) + " by: " + m->entry.author + "\n";
        }
    }
    text += "\nAdministrivia:\n\n" + o.administrivia;
    if (!text.ends_with("\n"))
        text += "\n";
    text += "\n" + std::string(rfc1153_preamble_rule, '-') + "\n";
    return text;
}

CollectionText mime_collection(const ListInfo& list, const MessageOrder& order,
                               const std::string& text, const std::string& get_bad,
                               const std::vector<std::string>& keep, const CollectionOptions& o) {
    const bool whole = o.format == CollectionFormat::native || o.format == CollectionFormat::virgin;
    const std::string boundary = random_boundary();
    const std::string delimiter = "\n--" + boundary + "\n";
    std::string charset = o.charset;
    if (charset == "us-ascii" && has_eight_bit(text))
        charset = "utf-8";
    CollectionText out;
    out.content_type =
        std::string(o.format == CollectionFormat::mixed ? "multipart/mixed" : "multipart/digest") +
        "; boundary=" + boundary;
    std::string& body = out.body;
    body += delimiter + "Content-Type: text/plain; charset=" + charset + "\n\n" + text;
    for (const auto& group : order)
        for (const CollectedMessage* m : group) {
            const std::string name = list.outlocal + "_" + std::to_string(m->number) + ".eml";
            body += delimiter;
            if (!m->text) {
                body += "Content-Type: text/plain; charset=us-ascii\n"
                        "Content-Disposition: inline; filename=\"" +
                        name + "\"\n\n" + get_bad;
                continue;
            }
            body += "Content-Type: message/rfc822\n"
                    "Content-Disposition: inline; filename=\"" +
                    name + "\"\n\n";
            body += whole ? *m->text : filtered_message(*m->text, keep);
        }
    if (!body.ends_with("\n"))
        body += "\n";
    body += "\n--" + boundary + "--\n";
    return out;
}

// RFC 1153: the preamble and its blank line, each message followed by a blank line, the
// separator and a blank line, then the trailer. Every piece is made UTF-8 first, so the
// charset follows from the bytes.
CollectionText rfc1153_collection(const ListInfo& list, const MessageOrder& order,
                                  const std::string& text, const std::string& get_bad,
                                  const CollectionOptions& o) {
    CollectionText out;
    std::string& body = out.body;
    auto preamble_text = to_utf8(text, o.charset);
    body = (preamble_text ? *preamble_text : to_utf8(text, "utf-8").value_or("")) + "\n";
    const std::string separator = "\n" + std::string(rfc1153_separator) + "\n\n";
    for (const auto& group : order)
        for (const CollectedMessage* m : group) {
            if (m->text)
                body += rfc1153_message(*m->text);
            else
                body += rfc1153_message("From: " + list.address() + "\nSubject: message " +
                                        std::to_string(m->number) + " is not in the archive\n\n" +
                                        get_bad);
            body += separator;
        }
    body += rfc1153_trailer(list.outlocal, o.issue);
    out.content_type =
        std::string("text/plain; charset=") + (has_eight_bit(body) ? "utf-8" : "us-ascii");
    return out;
}

} // namespace

std::optional<CollectionFormat> collection_format(char c) {
    switch (c) {
    case 'm':
        return CollectionFormat::mime;
    case 'x':
        return CollectionFormat::mixed;
    case 'v':
        return CollectionFormat::virgin;
    case 'n':
        return CollectionFormat::native;
    case 'r':
        return CollectionFormat::rfc1153;
    default:
        return std::nullopt;
    }
}

Result<std::vector<CollectedMessage>> collect_messages(const std::string& dir, unsigned long from,
                                                       unsigned long to) {
    std::vector<CollectedMessage> out;
    std::map<unsigned long, std::vector<IndexEntry>> blocks;
    const bool indexed = has_flag(dir, "indexed");
    auto prefix = read_setting(dir, "prefix");
    if (!prefix)
        return fail(prefix.error());
    for (unsigned long n = from; n <= to && n != 0; ++n) {
        CollectedMessage m;
        m.number = n;
        const std::string path = archive_path(dir, n);
        UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
        struct stat st {};
        if (fd) {
            if (::fstat(fd.get(), &st) != 0)
                return fail(from_errno(errno, "unable to stat " + path));
            if ((st.st_mode & S_IXUSR) != 0) {
                auto text = read_all(fd.get());
                if (!text)
                    return fail(from_errno(errno, "unable to read " + path));
                m.text = std::move(*text);
            }
        } else if (errno != ENOENT) {
            return fail(from_errno(errno, "unable to open " + path));
        }
        bool found = false;
        if (indexed) {
            auto [it, fresh] = blocks.try_emplace(n / 100);
            if (fresh) {
                auto entries = read_index(dir, n / 100);
                if (!entries)
                    return fail(entries.error());
                it->second = std::move(*entries);
            }
            for (const auto& e : it->second)
                if (e.number == n) {
                    m.entry = e;
                    found = true;
                }
        }
        if (!found) {
            if (m.text)
                m.entry = make_index_entry(n, ParsedPost(*m.text), prefix->value_or(""));
            m.entry.number = n;
        }
        out.push_back(std::move(m));
        if (n == ~0UL)
            break;
    }
    return out;
}

Result<CollectionText> format_collection(const ListInfo& list,
                                         const std::vector<CollectedMessage>& msgs,
                                         const CollectionOptions& o) {
    const bool native = o.format == CollectionFormat::native;
    const auto order = groups(msgs, o.thread_order && !native);
    const std::string text = preamble(order, o, !native);
    auto get_bad = render_text(list, "get-bad", {});
    if (!get_bad)
        return fail(get_bad.error());
    if (o.format == CollectionFormat::rfc1153)
        return rfc1153_collection(list, order, text, *get_bad, o);
    auto keep = kept_fields(list.dir);
    if (!keep)
        return fail(keep.error());
    return mime_collection(list, order, text, *get_bad, *keep, o);
}

Result<CollectionFormat> default_format(const std::string& dir) {
    auto line = read_setting(dir, "digformat");
    if (!line)
        return fail(line.error());
    if (*line)
        if (auto f = collection_format(ascii_lower((*line)->front())))
            return *f;
    return CollectionFormat::mime;
}

Result<std::string> list_charset(const std::string& dir) {
    auto cs = read_list_charset(dir);
    if (!cs)
        return fail(cs.error());
    return cs->name.empty() ? std::string("us-ascii") : cs->name;
}

} // namespace qm::lists
