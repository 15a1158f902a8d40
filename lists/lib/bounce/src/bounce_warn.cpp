#include "qm/lists/bounce/bounce_warn.hpp"

#include "qm/fd.hpp"
#include "qm/lists/bounce/bounce_store.hpp"
#include "qm/lists/core/command_address.hpp"
#include "qm/lists/core/cookie.hpp"
#include "qm/lists/core/listdir.hpp"
#include "qm/lists/core/reply.hpp"
#include "qm/lists/core/subscribers.hpp"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <memory>
#include <vector>

namespace qm::lists {

namespace {

// Purging the history is a full scan: ezmlm does it at most once per 100,000 s.
constexpr std::time_t purge_interval = 100'000;

struct DirCloser {
    void operator()(DIR* d) const { ::closedir(d); }
};

// Entry names of a directory, sorted; a missing directory has none.
Result<std::vector<std::string>> entries(const std::string& dir) {
    std::unique_ptr<DIR, DirCloser> d(::opendir(dir.c_str()));
    std::vector<std::string> out;
    if (!d) {
        if (errno == ENOENT)
            return out;
        return fail(from_errno(errno, "unable to open " + dir));
    }
    while (auto* e = ::readdir(d.get())) {
        std::string name = e->d_name;
        if (name != "." && name != "..")
            out.push_back(std::move(name));
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::time_t number_in(std::string_view s) {
    long long v = 0;
    std::from_chars(s.data(), s.data() + s.size(), v);
    return static_cast<std::time_t>(v);
}

Status remove(const std::string& path) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT)
        return fail(from_errno(errno, "unable to remove " + path));
    return {};
}

struct Warner {
    const WarnRequest& request;
    ListInfo list; // outlocal is outlocal-digest for the digest list
    std::string work;
    std::string key;
    WarnOutcome outcome;

    [[nodiscard]] CookieScope scope() const {
        return request.digest ? CookieScope::digest : CookieScope::main;
    }

    // A warning (probe = false) or a probe about the bounce kept in file.
    Status send(const std::string& file, bool probe) {
        auto data = read_existing(file);
        if (!data)
            return fail(data.error());
        if (!*data)
            return {};
        const KeptBounce kept = parse_kept_bounce(**data);
        if (kept.address.empty())
            return remove(file);
        auto sub = is_subscriber(work, kept.address);
        if (!sub)
            return fail(sub.error());
        auto found = current_bounce_history_path(work, kept.address);
        if (!found)
            return fail(found.error());
        const std::string history = std::move(*found);
        if (!*sub) {
            ++outcome.not_subscribed;
            return remove(file);
        }
        const TextTags tags{{'A', kept.address}};
        std::string body;
        std::vector<std::string_view> names{"top", probe ? "bounce-probe" : "bounce-warn"};
        if (!probe)
            names.push_back(request.digest ? "dig-bounce-num" : "bounce-num");
        for (auto name : names) {
            auto t = render_text(list, name, tags);
            if (!t)
                return fail(t.error());
            body += *t;
        }
        if (!probe) {
            auto numbers = read_existing(history);
            if (!numbers)
                return fail(numbers.error());
            body += numbers->value_or("");
        }
        if (!has_flag(request.dir, "omitbottom")) {
            auto bottom = render_text(list, "bottom", tags);
            if (!bottom)
                return fail(bottom.error());
            body += *bottom;
        }
        auto below = render_text(list, "bounce-bottom", tags);
        if (!below)
            return fail(below.error());
        body += *below + kept.text;

        const Confirmation c{
            request.now,
            make_cookie(key, scope(), request.now, cookie_subject(kept.address),
                        probe ? CookieAction::bounce_probe : CookieAction::bounce_warning)};
        Reply reply;
        reply.to = kept.address;
        auto subject = list_message(list, probe ? "SUB_PROBE" : "SUB_WARNING");
        if (!subject)
            return fail(subject.error());
        reply.subject = std::move(*subject);
        reply.body = std::move(body);
        reply.envelope_sender =
            confirmation_address(list, probe ? "return-probe-" : "return-warn-", c, kept.address);
        auto queued = send_reply(list, reply, request.now);
        if (!queued)
            return fail(queued.error());
        ++(probe ? outcome.probes : outcome.warnings);
        // The history is what this warning reported; the next bounce starts a new one.
        if (!probe)
            if (auto r = remove(history); !r)
                return r;
        return remove(file);
    }

    // bounce/d/<T/10000>/ directories whose newest possible bounce is a timeout old.
    Status scan_days() {
        const std::string root = work + "/bounce/d";
        auto days = entries(root);
        if (!days)
            return fail(days.error());
        for (const auto& day : *days) {
            const std::string path = root + "/" + day;
            std::time_t start = number_in(day);
            // The directory holds a whole 10,000 s; wait for its last second to age,
            // except with a zero timeout, which means "everything now".
            if (request.timeout > 0)
                ++start;
            if (request.now < start * 10000 + request.timeout)
                continue;
            struct stat st {};
            if (::lstat(path.c_str(), &st) != 0)
                continue;
            if (!S_ISDIR(st.st_mode)) { // an interrupted writer's leftover
                if (auto r = remove(path); !r)
                    return r;
                continue;
            }
            auto files = entries(path);
            if (!files)
                return fail(files.error());
            for (const auto& f : *files) {
                const std::string file = path + "/" + f;
                const bool temporary = f.find(".tmp.") != std::string::npos;
                Status s = !temporary && (f[0] == 'd' || f[0] == 'w') ? send(file, f[0] == 'w')
                                                                      : remove(file);
                if (!s)
                    return s;
            }
            if (::rmdir(path.c_str()) != 0 && errno != ENOENT && errno != ENOTEMPTY)
                return fail(from_errno(errno, "unable to remove " + path));
        }
        return {};
    }

    // Histories untouched for three timeouts belong to addresses that stopped bouncing
    // (or left); uncounted lines that old are history too.
    Status purge() {
        const std::string lasth = work + "/bounce/lasth";
        auto last = read_setting(work, "bounce/lasth");
        if (!last)
            return fail(last.error());
        const std::time_t when = *last ? number_in(**last) : 0;
        if (when < request.now && request.now < when + purge_interval)
            return {};
        const std::time_t cutoff = request.now - 3 * request.timeout;
        const std::string hroot = work + "/bounce/h";
        auto buckets = entries(hroot);
        if (!buckets)
            return fail(buckets.error());
        for (const auto& b : *buckets) {
            auto files = entries(hroot + "/" + b);
            if (!files)
                return fail(files.error());
            for (const auto& f : *files) {
                const std::string path = hroot + "/" + b + "/" + f;
                struct stat st {};
                if (::stat(path.c_str(), &st) == 0 && st.st_mtime < cutoff) {
                    if (auto r = remove(path); !r)
                        return r;
                    ++outcome.purged;
                }
            }
        }
        if (auto s = purge_uncounted(cutoff); !s)
            return s;
        if (auto w = write_file_atomic(
                lasth, std::to_string(static_cast<long long>(request.now)) + "\n", 0600);
            !w)
            return fail(temp("4.3.0", "unable to write " + lasth + ": " + w.error().text));
        return {};
    }

    Status purge_uncounted(std::time_t cutoff) {
        auto lines = read_lines(work, "bounce/uncounted");
        if (!lines)
            return fail(lines.error());
        std::string kept;
        size_t dropped = 0;
        for (const auto& l : *lines) {
            if (number_in(l) < cutoff)
                ++dropped;
            else
                kept += l + "\n";
        }
        if (dropped == 0)
            return {};
        outcome.purged += dropped;
        if (auto w = write_file_atomic(work + "/bounce/uncounted", kept, 0600); !w)
            return fail(
                temp("4.3.0", "unable to write " + work + "/bounce/uncounted: " + w.error().text));
        return {};
    }
};

} // namespace

Result<WarnOutcome> run_warn(const WarnRequest& request) {
    WarnOutcome none;
    if (has_flag(request.dir, "nowarn"))
        return none;
    auto list = read_list(request.dir);
    if (!list)
        return fail(list.error());
    if (request.digest)
        list->outlocal += "-digest";
    const std::string work = request.digest ? request.dir + "/digest" : request.dir;

    const std::time_t lockout = request.lockout.value_or(request.timeout / 50);
    auto lastd = read_setting(work, "bounce/lastd");
    if (!lastd)
        return fail(lastd.error());
    const std::time_t last = *lastd ? number_in(**lastd) : 0;
    // The second test keeps a lastd from the future (a clock set back) from locking
    // the list out for good.
    if (last + lockout > request.now && last < request.now) {
        none.locked_out = true;
        return none;
    }
    auto key = read_list_key(request.dir);
    if (!key)
        return fail(key.error());
    auto lock = Lock::acquire(work + "/lockbounce");
    if (!lock)
        return fail(lock.error());
    Warner w{request, std::move(*list), work, std::move(*key), {}};
    if (auto s = w.scan_days(); !s)
        return fail(s.error());
    if (::mkdir((work + "/bounce").c_str(), 0700) != 0 && errno != EEXIST)
        return fail(from_errno(errno, "unable to create " + work + "/bounce"));
    if (auto s =
            write_file_atomic(work + "/bounce/lastd",
                              std::to_string(static_cast<long long>(request.now)) + "\n", 0600);
        !s)
        return fail(temp("4.3.0", "unable to write " + work + "/bounce/lastd: " + s.error().text));
    if (auto s = w.purge(); !s)
        return fail(s.error());
    return w.outcome;
}

} // namespace qm::lists
