#include "qm/lists/archive/thread_index.hpp"

#include "qm/fd.hpp"
#include "qm/lists/archive/archive_index.hpp"
#include "qm/lists/core/listdir.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <map>
#include <set>
#include <vector>

namespace qm::lists {

namespace {

constexpr size_t hash_length = index_hash_length;

// What stands in for a missing index entry or author: a hash of twenty 'a's and a blank
// (no newline: ezmlm-idx writes it so, and its readers take it so).
const std::string placeholder = std::string(hash_length, 'a') + " ";

struct Thread {
    std::string line; // "<hash> <subject>\n" of its first post in the run
    unsigned long first = 0;
    unsigned long last = 0;
    unsigned char posts = 0; // ezmlm-idx counts in a byte: 256 posts count as 0
};

struct Author {
    std::string line; // "<hash> <name>\n" of its first post in the run
    unsigned long first = 0;
};

struct Post {
    size_t thread = 0; // 1-based into Threading::threads; 0: none
    size_t author = 0; // 1-based into Threading::authors; 0: no author line
    unsigned month = 0;
};

struct MonthStart {
    unsigned long first_post = 0;
    unsigned month = 0;
};

// The posts from..to grouped by subject and author, in order of first appearance.
struct Threading {
    unsigned long from = 0, to = 0;
    std::vector<Post> posts; // [n - from]
    std::vector<Thread> threads;
    std::vector<Author> authors;
    std::map<std::string, size_t, std::less<>> thread_by_hash, author_by_hash;
    // Where the month goes up, and after the last one an end mark (to + 1).
    std::vector<MonthStart> months;

    [[nodiscard]] Post& post(unsigned long n) { return posts[n - from]; }
};

// The complete lines of text (each with its '\n'); a last line without one is dropped,
// as ezmlm-idx's readers drop it.
class Lines {
public:
    explicit Lines(std::string_view text)
        : text_(text) {}
    std::optional<std::string_view> next() {
        const size_t nl = text_.find('\n', at_);
        if (nl == std::string_view::npos)
            return std::nullopt;
        std::string_view line = text_.substr(at_, nl + 1 - at_);
        at_ = nl + 1;
        return line;
    }

private:
    std::string_view text_;
    size_t at_ = 0;
};

// The number a line starts with (0 if none) and how many digits it took.
std::pair<unsigned long, size_t> leading_number(std::string_view s) {
    unsigned long n = 0;
    size_t i = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9')
        n = n * 10 + static_cast<unsigned long>(s[i++] - '0');
    return {n, i};
}

char at_or_nul(std::string_view s, size_t i) {
    return i < s.size() ? s[i] : '\0';
}

Result<std::optional<std::string>> read_if_there(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
        if (errno == ENOENT)
            return std::optional<std::string>();
        return fail(from_errno(errno, "unable to open " + path));
    }
    auto text = read_all(fd.get());
    if (!text)
        return fail(text.error());
    return std::optional<std::string>(std::move(*text));
}

// Replaces path by text through path + "n" (ezmlm-idx's temporary name, so that an
// interrupted run of either leaves the same litter), synced first unless told not to.
Status replace_file(const std::string& path, std::string_view text, bool sync) {
    const std::string next = path + "n";
    UniqueFd fd(::open(next.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd)
        return fail(from_errno(errno, "unable to create " + next));
    if (auto w = write_all(fd.get(), text); !w)
        return fail(w.error());
    if (sync)
        if (auto s = fsync_fd(fd.get(), next); !s)
            return fail(s.error());
    fd.reset();
    if (::rename(next.c_str(), path.c_str()) != 0)
        return fail(from_errno(errno, "unable to rename " + next + " to " + path));
    return {};
}

Status make_dir(const std::string& path) {
    if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST)
        return fail(from_errno(errno, "unable to create " + path));
    return {};
}

size_t find_or_add(std::map<std::string, size_t, std::less<>>& by_hash, std::string_view line,
                   size_t count, bool& added) {
    const std::string_view key = line.substr(0, hash_length);
    if (auto it = by_hash.find(key); it != by_hash.end()) {
        added = false;
        return it->second;
    }
    by_hash.emplace(std::string(key), count);
    added = true;
    return count;
}

// One post's index entry as ezmlm-archive takes it in: the subject line after "N: " and
// the author line, if any.
void add_post(Threading& t, unsigned long n, std::string_view subject,
              std::optional<std::string_view> author_line, unsigned& last_month) {
    bool added = false;
    const size_t ti = find_or_add(t.thread_by_hash, subject, t.threads.size(), added);
    if (added)
        t.threads.push_back({std::string(subject), n, n, 1});
    else {
        t.threads[ti].last = n;
        ++t.threads[ti].posts;
    }
    Post& p = t.post(n);
    p.thread = ti + 1;
    p.month = last_month;
    if (!author_line)
        return;
    std::string_view author = placeholder;
    const std::string_view line = *author_line;
    // The date starts after the line's first blank (the tab and day go before it).
    const size_t blank = line.find(' ');
    if (blank != std::string_view::npos && blank + 1 < line.size()) {
        const size_t date = blank + 1;
        if (const unsigned month = index_date_month(line.substr(date)); month != 0)
            p.month = month;
        if (p.month > last_month) {
            last_month = p.month;
            t.months.push_back({n, last_month});
        }
        // ";<hash> <name>": an older "; <name>" without hash counts as no author.
        const size_t semicolon = std::min(line.find(';'), line.size());
        if (line.size() > semicolon + hash_length + 1 && at_or_nul(line, date + 1) != ' ')
            author = line.substr(semicolon + 1);
    }
    const size_t ai = find_or_add(t.author_by_hash, author, t.authors.size(), added);
    if (added)
        t.authors.push_back({std::string(author), n});
    p.author = ai + 1;
}

// A hash names a file: anything that would lead elsewhere is a bad index (ezmlm-idx's
// would follow it).
bool usable_hash(std::string_view line) {
    const std::string_view hash = line.substr(0, hash_length);
    return hash.find('/') == std::string_view::npos && hash.find('\0') == std::string_view::npos;
}

Status bad_index(const std::string& path) {
    return fail(perm("5.3.0", "bad index entry in " + path));
}

// The index entries of one block's file, post by post from..to within it, read the way
// ezmlm-idx reads them: entries in ascending order, a post without one gets the
// placeholder subject, and reading stops at the first incomplete entry.
Status thread_block(Threading& t, const std::string& path, std::optional<std::string> text,
                    unsigned long block, unsigned& last_month) {
    bool exhausted = !text;
    Lines lines(text ? *text : std::string_view());
    unsigned long entry = 0; // the number of the entry last read
    std::string_view subject;
    std::optional<std::string_view> author_line;
    const unsigned long end = std::min(block * 100 + 99, t.to);
    for (unsigned long n = std::max(block * 100, 1UL); n <= end; ++n) {
        if (!exhausted && n > entry) {
            author_line.reset();
            auto line = lines.next();
            if (!line)
                exhausted = true;
            else {
                auto [number, digits] = leading_number(*line);
                entry = number;
                size_t at = digits + 1;
                if (at_or_nul(*line, digits) == ':') {
                    // "N: subject" has an author line after it; "N subject" (ezmlm
                    // 0.53's) has none.
                    author_line = lines.next();
                    if (!author_line)
                        exhausted = true;
                    ++at;
                }
                subject = line->substr(std::min(at, line->size()));
            }
        }
        if (n < t.from)
            continue;
        if (n == entry) {
            if (subject.size() <= hash_length || !usable_hash(subject))
                return bad_index(path);
            add_post(t, n, subject, author_line, last_month);
        } else
            add_post(t, n, placeholder, std::nullopt, last_month);
    }
    return {};
}

Result<Threading> read_threading(const std::string& dir, unsigned long from, unsigned long to,
                                 unsigned long num) {
    Threading t;
    t.from = from;
    t.to = to;
    t.posts.resize(to - from + 1);
    unsigned last_month = 0;
    for (unsigned long block = from / 100; block <= to / 100; ++block) {
        const std::string path = index_path(dir, block);
        // ezmlm-send may be writing the newest index file: read it under dir/lock.
        std::optional<Lock> lock;
        if (block == num / 100) {
            auto l = Lock::acquire(dir + "/lock");
            if (!l)
                return fail(l.error());
            lock.emplace(std::move(*l));
        }
        auto text = read_if_there(path);
        if (!text)
            return fail(text.error());
        if (auto s = thread_block(t, path, std::move(*text), block, last_month); !s)
            return fail(s.error());
    }
    t.months.push_back({to + 1, last_month + 1});
    return t;
}

class Writer {
public:
    Writer(const std::string& dir, Threading& t, bool sync)
        : archive_(dir + "/archive/")
        , t_(t)
        , sync_(sync) {}

    Status threads();
    Status subjects();
    Status authors();
    [[nodiscard]] const std::string& inconsistency() const { return inconsistency_; }
    [[nodiscard]] const std::set<std::string>& touched() const { return touched_; }

private:
    // A month's thread file: the lines of earlier runs for posts before the run, except
    // for threads the run has, whose counts there are added to theirs.
    Result<std::string> carried_threads(const std::string& path);
    // A subject or author file's first line and its lines for posts before the run, or
    // first_line for a new file.
    Result<std::string> carried_entries(const std::string& path, std::string_view first_line,
                                        std::string_view lacking);
    Result<std::string> file_for(const std::string& kind, std::string_view hash);
    Status replace(const std::string& path, std::string_view text) {
        if (sync_)
            touched_.insert(dirname_of(path));
        return replace_file(path, text, sync_);
    }
    void note(std::string_view what) { inconsistency_ = what; }

    std::string archive_;
    Threading& t_;
    bool sync_;
    std::string inconsistency_;
    std::set<std::string> touched_; // directories of synced files, whose renames to sync
};

Result<std::string> Writer::carried_threads(const std::string& path) {
    auto old = read_if_there(path);
    if (!old)
        return fail(old.error());
    std::string out;
    if (!*old)
        return out;
    Lines lines(**old);
    while (auto line = lines.next()) {
        auto [number, digits] = leading_number(*line);
        if (number >= t_.from)
            continue;
        const size_t hash_at = digits + 1;
        if (line->size() < hash_at + hash_length) {
            note("a thread line without subject hash");
            continue;
        }
        auto it = t_.thread_by_hash.find(line->substr(hash_at, hash_length));
        if (it == t_.thread_by_hash.end()) {
            out += *line;
            continue;
        }
        const size_t after = hash_at + hash_length;
        if (at_or_nul(*line, after) == ' ' && at_or_nul(*line, after + 1) == '[') {
            auto [posts, count_digits] = leading_number(line->substr(after + 2));
            if (at_or_nul(*line, after + 2 + count_digits) == ']')
                t_.threads[it->second].posts =
                    static_cast<unsigned char>(t_.threads[it->second].posts + (posts & 0xff));
        } else
            note("a thread line without its count of posts");
    }
    return out;
}

Status Writer::threads() {
    const auto& months = t_.months;
    // Without a dated entry there is no month to file threads under (ezmlm-idx's
    // ezmlm-archive reads past its table then).
    if (months.size() < 2)
        return {};
    // Threads are in order of their first post. Each month's file gets the threads that
    // have posts in it or span it; after a month, the walk goes back to the first
    // thread that reached past it. A month in which no thread starts gets its file only
    // when a later month has one that does (as ezmlm-idx's).
    size_t month = 0;
    unsigned long month_first = 0, next_first = 0;
    std::optional<std::string> path;
    std::string text;
    std::optional<size_t> resume;
    size_t i = 0;
    while (i < t_.threads.size()) {
        const Thread& th = t_.threads[i];
        if (!resume && th.last >= next_first)
            resume = i;
        if (th.first >= next_first) {
            if (path)
                if (auto s = replace(*path, text); !s)
                    return s;
            i = *resume;
            resume.reset();
            month_first = next_first;
            path = archive_ + "threads/" + std::to_string(months[month].month);
            ++month;
            next_first = months[month].first_post;
            auto carried = carried_threads(*path);
            if (!carried)
                return fail(carried.error());
            text = std::move(*carried);
            continue;
        }
        if (th.first < next_first && th.last >= month_first) {
            text += std::to_string(th.last) + ":" + th.line.substr(0, hash_length) + " [" +
                    std::to_string(static_cast<unsigned>(th.posts)) + "]" +
                    th.line.substr(hash_length);
        }
        ++i;
    }
    if (path)
        return replace(*path, text);
    return {};
}

Result<std::string> Writer::carried_entries(const std::string& path, std::string_view first_line,
                                            std::string_view lacking) {
    auto old = read_if_there(path);
    if (!old)
        return fail(old.error());
    if (!*old)
        return std::string(first_line);
    std::string out;
    Lines lines(**old);
    if (auto head = lines.next()) {
        if (head->size() < hash_length + 1 || (*head)[hash_length] != ' ')
            note(lacking);
        out += *head;
        while (auto line = lines.next()) {
            if (leading_number(*line).first >= t_.from)
                break;
            out += *line;
        }
    }
    return out;
}

Result<std::string> Writer::file_for(const std::string& kind, std::string_view hash) {
    const std::string sub = archive_ + kind + "/" + std::string(hash.substr(0, 2));
    if (auto s = make_dir(sub); !s)
        return fail(s.error());
    return sub + "/" + std::string(hash.substr(2, hash_length - 2));
}

Status Writer::subjects() {
    for (size_t i = 0; i < t_.threads.size(); ++i) {
        const Thread& th = t_.threads[i];
        auto path = file_for("subjects", th.line);
        if (!path)
            return fail(path.error());
        auto text = carried_entries(*path, th.line, "a subject file without its subject");
        if (!text)
            return fail(text.error());
        for (unsigned long n = th.first; n <= th.last; ++n) {
            const Post& p = t_.post(n);
            if (p.thread != i + 1)
                continue;
            *text += std::to_string(n) + ":" + std::to_string(p.month) + ":";
            *text += p.author ? t_.authors[p.author - 1].line : "\n";
        }
        if (auto s = replace(*path, *text); !s)
            return s;
    }
    return {};
}

Status Writer::authors() {
    for (size_t i = 0; i < t_.authors.size(); ++i) {
        const Author& a = t_.authors[i];
        auto path = file_for("authors", a.line);
        if (!path)
            return fail(path.error());
        auto text = carried_entries(*path, a.line, "an author file without its author");
        if (!text)
            return fail(text.error());
        for (unsigned long n = a.first; n <= t_.to; ++n) {
            const Post& p = t_.post(n);
            if (p.author != i + 1)
                continue;
            *text += std::to_string(n) + ":" + std::to_string(p.month) + ":";
            if (p.thread)
                *text += t_.threads[p.thread - 1].line;
        }
        if (auto s = replace(*path, *text); !s)
            return s;
    }
    return {};
}

} // namespace

unsigned index_date_month(std::string_view date) {
    size_t i = 0;
    while (i < date.size() && (date[i] == ' ' || (date[i] >= '0' && date[i] <= '9')))
        ++i;
    if (i + 3 > date.size())
        return 0;
    std::string abbreviation;
    for (size_t k = 0; k < 3; ++k)
        abbreviation +=
            static_cast<char>(date[i + k] >= 'a' ? date[i + k] - ('a' - 'A') : date[i + k]);
    static constexpr std::string_view names[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                 "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
    unsigned month = 0;
    for (unsigned m = 0; m < 12; ++m)
        if (abbreviation == names[m])
            month = m + 1;
    i += 3;
    if (month == 0 || at_or_nul(date, i) != ' ')
        return 0;
    ++i;
    unsigned year = 0;
    bool digits = false;
    while (i < date.size() && date[i] >= '0' && date[i] <= '9') {
        year = year * 10 + static_cast<unsigned>(date[i++] - '0');
        digits = true;
    }
    // ezmlm-idx's stops at the first non-digit, and a year of 0 is no year.
    if (!digits || year == 0)
        return 0;
    return year * 100 + month;
}

Result<ThreadIndexOutcome> update_thread_index(const std::string& dir,
                                               const ThreadIndexRequest& request) {
    unsigned long num = 0;
    {
        auto lock = Lock::acquire(dir + "/lock");
        if (!lock)
            return fail(lock.error());
        auto n = read_num(dir);
        if (!n)
            return fail(n.error());
        num = n->last;
    }
    if (num == 0)
        return fail(perm("5.3.0", "the list has no posts (dir/num)"));
    const unsigned long to =
        !request.to || *request.to == 0 || *request.to > num ? num : *request.to;

    auto archive_lock = Lock::acquire(dir + "/archive/lock");
    if (!archive_lock)
        return fail(archive_lock.error());
    unsigned long from = request.from.value_or(0) / 100 * 100;
    if (!request.create && from == 0) {
        auto done = read_setting(dir, "archnum");
        if (!done)
            return fail(done.error());
        // As ezmlm-idx's: the post after the number dir/archnum starts with; none: 0.
        const auto [done_last, digits] = *done ? leading_number(**done) : std::pair{0UL, size_t{0}};
        from = digits ? done_last + 1 : 0;
    }
    ThreadIndexOutcome outcome;
    if (from > to)
        return outcome;
    for (const char* kind : {"threads", "subjects", "authors"})
        if (auto s = make_dir(dir + "/archive/" + kind); !s)
            return fail(s.error());

    auto threading = read_threading(dir, from, to, num);
    if (!threading)
        return fail(threading.error());
    // An author line whose hash is not followed by a blank is refused before anything is
    // written (ezmlm-idx's refuses it halfway through the subject files).
    for (const Author& a : threading->authors)
        if (a.line.find(' ') != hash_length || !usable_hash(a.line))
            return fail(perm("5.3.0", "bad author in the index: " + a.line));

    // ezmlm-idx's leaves out the syncs when (re)creating with -c, unless -s.
    const bool sync = request.sync_always || !request.create;
    Writer writer(dir, *threading, sync);
    if (auto s = writer.threads(); !s)
        return fail(s.error());
    if (auto s = writer.subjects(); !s)
        return fail(s.error());
    if (auto s = writer.authors(); !s)
        return fail(s.error());
    // Everything is on disk before archnum says it is done: each file and its directory,
    // or, unsynced with -c, the file system at once.
    for (const auto& d : writer.touched())
        if (auto s = fsync_dir(d); !s)
            return fail(s.error());
    if (!sync) {
        UniqueFd d(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!d || ::syncfs(d.get()) != 0)
            return fail(from_errno(errno, "unable to sync " + dir));
    }
    if (auto s = replace_file(dir + "/archnum", std::to_string(to) + "\n", true); !s)
        return fail(s.error());
    if (auto s = fsync_dir(dir); !s)
        return fail(s.error());
    outcome.inconsistency = writer.inconsistency();
    return outcome;
}

} // namespace qm::lists
