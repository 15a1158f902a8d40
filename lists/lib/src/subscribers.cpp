#include "qm/lists/subscribers.hpp"

#include "qm/fd.hpp"
#include "qm/lists/listdir.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <set>
#include <unordered_set>

namespace qm::lists {

namespace {

constexpr unsigned files = 53;

char lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string lowercase(std::string_view s) {
    std::string out(s);
    for (auto& c : out)
        c = lower(c);
    return out;
}

// The all-lower-case form of a record: its "T" stays as it is.
std::string lower_record(std::string_view rec) {
    return rec.empty() ? std::string() : rec[0] + lowercase(rec.substr(1));
}

std::string file_path(const std::string& db, char ch) {
    return db + "/subscribers/" + std::string(1, ch);
}

// The records of one subscriber file, "T" + address each, NULs removed. A missing file is
// an empty one.
Result<std::vector<std::string>> read_records(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
        if (errno == ENOENT)
            return std::vector<std::string>{};
        return fail(from_errno(errno, "unable to read " + path));
    }
    auto data = read_all(fd.get());
    if (!data)
        return fail(from_errno(errno, "unable to read " + path));
    std::vector<std::string> out;
    size_t start = 0;
    while (start < data->size()) {
        size_t end = data->find('\0', start);
        if (end == std::string::npos)
            break; // a partial record, as ezmlm's getln leaves it: ignored
        out.emplace_back(*data, start, end - start);
        start = end + 1;
    }
    return out;
}

Status write_records(const std::string& path, const std::vector<std::string>& records) {
    std::string data;
    for (const auto& r : records) {
        data += r;
        data += '\0';
    }
    if (auto w = write_file_atomic(path, data, 0644); !w)
        return fail(temp("4.3.0", "unable to write " + path + ": " + w.error().text));
    return {};
}

// Every file a subscriber record may live in: ezmlm 0.53's (as given, 32 bits), ezmlm-idx's
// (all lower case), and the 64-bit variants of both.
std::set<char> candidate_files(std::string_view address) {
    std::string rec = "T" + std::string(address);
    std::string lc = lower_record(rec);
    return {static_cast<char>('@' + subhash32(rec)), static_cast<char>('@' + subhash32(lc)),
            static_cast<char>('@' + subhash64(rec)), static_cast<char>('@' + subhash64(lc))};
}

std::set<char> all_files() {
    std::set<char> all;
    for (unsigned i = 0; i < files; ++i)
        all.insert(static_cast<char>('@' + i));
    return all;
}

// Every writer reads all 53 files: a record ezmlm 0.53 filed under its case-sensitive hash
// can sit anywhere, and must neither be duplicated nor survive an unsubscribe.
Result<BulkResult> update(const std::string& db, const std::vector<std::string>& addresses,
                          bool add, const std::set<char>& load,
                          const std::function<void(size_t, size_t)>& progress) {
    auto lock = Lock::acquire(db + "/lock");
    if (!lock)
        return fail(lock.error());
    std::array<std::vector<std::string>, files> content;
    std::array<bool, files> dirty{};
    std::unordered_set<std::string> present; // lower-cased records in the loaded files
    for (char ch : load) {
        auto recs = read_records(file_path(db, ch));
        if (!recs)
            return fail(recs.error());
        for (const auto& r : *recs)
            present.insert(lowercase(r));
        content[static_cast<unsigned>(ch - '@')] = std::move(*recs);
    }
    BulkResult result;
    if (add) {
        for (const auto& a : addresses) {
            std::string rec = "T" + a;
            if (!present.insert(lowercase(rec)).second) {
                ++result.unchanged;
                continue;
            }
            unsigned i = subhash32(lower_record(rec));
            content[i].push_back(std::move(rec));
            dirty[i] = true;
            ++result.changed;
        }
    } else {
        std::unordered_set<std::string> gone;
        for (const auto& a : addresses)
            gone.insert(lowercase("T" + a));
        std::unordered_set<std::string> removed;
        for (char ch : load) {
            unsigned i = static_cast<unsigned>(ch - '@');
            auto& recs = content[i];
            std::vector<std::string> kept;
            for (auto& r : recs) {
                auto lc = lowercase(r);
                if (gone.contains(lc)) {
                    removed.insert(std::move(lc));
                    dirty[i] = true;
                } else {
                    kept.push_back(std::move(r));
                }
            }
            recs = std::move(kept);
        }
        result.changed = removed.size();
        result.unchanged = gone.size() - removed.size();
    }
    size_t total = 0, done = 0;
    for (bool d : dirty)
        total += d;
    for (unsigned i = 0; i < files; ++i) {
        if (!dirty[i])
            continue;
        if (auto w = write_records(file_path(db, static_cast<char>('@' + i)), content[i]); !w)
            return fail(w.error());
        if (progress)
            progress(++done, total);
    }
    return result;
}

} // namespace

unsigned subhash32(std::string_view record) {
    std::uint32_t h = 5381;
    for (unsigned char c : record)
        h = (h + (h << 5)) ^ c;
    return h % files;
}

unsigned subhash64(std::string_view record) {
    // ezmlm-idx's subhashb: unsigned long h, each byte through (unsigned int)(char), so a
    // byte above 127 is sign-extended to 32 bits on machines where char is signed.
    std::uint64_t h = 5381;
    for (char c : record)
        h = (h + (h << 5)) ^ static_cast<std::uint32_t>(static_cast<std::int32_t>(c));
    return static_cast<unsigned>(h % files);
}

char subscriber_file(std::string_view address) {
    return static_cast<char>('@' + subhash32(lower_record("T" + std::string(address))));
}

Result<std::string> normalise_address(std::string_view address) {
    if (address.find('\n') != std::string_view::npos)
        return fail(perm("5.1.3", "address contains newline"));
    if (address.find('\0') != std::string_view::npos)
        return fail(perm("5.1.3", "address contains NUL"));
    if (address.size() > max_address)
        return fail(perm("5.1.3", "address is too long"));
    auto at = address.rfind('@');
    if (at == std::string_view::npos)
        return fail(perm("5.1.3", "address does not contain @"));
    std::string out(address.substr(0, at + 1));
    out += lowercase(address.substr(at + 1));
    return out;
}

Result<bool> is_subscriber(const std::string& db, std::string_view address) {
    auto a = normalise_address(address);
    if (!a)
        return false; // ezmlm's issub: an address without @ is simply not subscribed
    auto lock = Lock::acquire(db + "/lock");
    if (!lock)
        return fail(lock.error());
    const std::string want = lowercase("T" + *a);
    auto in = [&](char ch) -> Result<bool> {
        auto recs = read_records(file_path(db, ch));
        if (!recs)
            return fail(recs.error());
        for (const auto& r : *recs)
            if (r.size() == want.size() && lowercase(r) == want)
                return true;
        return false;
    };
    // Where it should be first; then, for a record ezmlm 0.53 filed under another letter
    // case (its hash is case-sensitive), everywhere else.
    auto likely = candidate_files(*a);
    for (char ch : likely) {
        auto r = in(ch);
        if (!r || *r)
            return r;
    }
    for (unsigned i = 0; i < files; ++i) {
        char ch = static_cast<char>('@' + i);
        if (likely.contains(ch))
            continue;
        auto r = in(ch);
        if (!r || *r)
            return r;
    }
    return false;
}

Result<bool> subscribe(const std::string& db, std::string_view address) {
    auto a = normalise_address(address);
    if (!a)
        return fail(a.error());
    auto r = update(db, {*a}, true, all_files(), {});
    if (!r)
        return fail(r.error());
    return r->changed > 0;
}

Result<bool> unsubscribe(const std::string& db, std::string_view address) {
    auto a = normalise_address(address);
    if (!a)
        return fail(a.error());
    auto r = update(db, {*a}, false, all_files(), {});
    if (!r)
        return fail(r.error());
    return r->changed > 0;
}

Result<BulkResult> bulk_update(const std::string& db, const std::vector<std::string>& addresses,
                               bool add, const std::function<void(size_t, size_t)>& progress) {
    return update(db, addresses, add, all_files(), progress);
}

Status for_each_subscriber(const std::string& db, const std::function<void(std::string_view)>& fn) {
    for (unsigned i = 0; i < files; ++i) {
        auto recs = read_records(file_path(db, static_cast<char>('@' + i)));
        if (!recs)
            return fail(recs.error());
        for (const auto& r : *recs)
            if (!r.empty())
                fn(std::string_view(r).substr(1));
    }
    return {};
}

} // namespace qm::lists
