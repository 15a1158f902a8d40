#include "qm/lists/core/subscribers.hpp"

#include "qm/address.hpp"
#include "qm/ascii.hpp"
#include "qm/fd.hpp"
#include "qm/lists/core/listdir.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <optional>
#include <set>
#include <unordered_map>
#include <unordered_set>

namespace qm::lists {

namespace {

constexpr unsigned files = subscriber_files;

// djb's hash as ezmlm's subhash computes it, a byte at a time: ezmlm 0.53 in 32-bit words
// (subhash32), ezmlm-idx in unsigned long (subhash64; 64 bits on LP64, where its lists live
// today), each byte through (unsigned int)(char), so a byte above 127 is sign-extended to
// 32 bits on machines where char is signed. filing_file shares the 64-bit step.
constexpr std::uint32_t subhash32_start = 5381;
constexpr std::uint32_t subhash32_step(std::uint32_t h, unsigned char c) {
    return (h + (h << 5)) ^ c;
}
constexpr std::uint64_t subhash64_start = 5381;
constexpr std::uint64_t subhash64_step(std::uint64_t h, char c) {
    return (h + (h << 5)) ^ static_cast<std::uint32_t>(static_cast<std::int32_t>(c));
}

// The all-lower-case form of a record: its "T" stays as it is.
std::string lower_record(std::string_view rec) {
    return rec.empty() ? std::string() : rec[0] + qm::address::lowercase(rec.substr(1));
}

std::string file_path(const std::string& db, char ch) {
    return db + "/subscribers/" + std::string(1, ch);
}

char file_name(unsigned file) {
    return static_cast<char>('@' + file);
}

// The file a new record for address goes to, where ezmlm-idx 7 files it (sub-std.c's
// lcch): subhash64 of "T" + the all-lower-case address, without building that string.
// ezmlm-idx 7 looks there first, then under the hash of the record as given; a record
// anywhere else (ezmlm 0.53's 32-bit places, and ours before we filed as 7.x does) only
// our programs and the whole-list readers (ezmlm-list, ezmlm-send) see: refile_subscribers
// brings such records home. For an existing record's address, the file where a new record
// equal to it ignoring case would go.
unsigned filing_file(std::string_view address) {
    std::uint64_t h = subhash64_step(subhash64_start, 'T');
    for (char c : address)
        h = subhash64_step(h, qm::ascii_lower(c));
    return static_cast<unsigned>(h % files);
}

// The address of a record, if it is one a "T" + address record can equal ignoring case.
std::optional<std::string_view> record_address(std::string_view rec) {
    if (rec.empty() || qm::ascii_lower(rec[0]) != 't')
        return std::nullopt;
    return rec.substr(1);
}

// Equality and hash ignoring ASCII letter case, as ezmlm-idx compares addresses.
struct CaseBlindEqual {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const {
        if (a.size() != b.size())
            return false;
        for (size_t i = 0; i < a.size(); ++i)
            if (qm::ascii_lower(a[i]) != qm::ascii_lower(b[i]))
                return false;
        return true;
    }
};
struct CaseBlindHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const {
        std::uint64_t h = 14695981039346656037u; // FNV-1a
        for (char c : s)
            h = (h ^ static_cast<unsigned char>(qm::ascii_lower(c))) * 1099511628211u;
        return static_cast<size_t>(h);
    }
};

// Calls fn with each record of data ("T" + address, NUL-terminated); a trailing partial
// record is ignored, as ezmlm's getln leaves it.
template <class Fn>
void for_each_record(std::string_view data, Fn&& fn) {
    size_t start = 0;
    while (start < data.size()) {
        size_t end = data.find('\0', start);
        if (end == std::string_view::npos)
            break;
        fn(data.substr(start, end - start));
        start = end + 1;
    }
}

// The complete records of data, each with its NUL: what rewriting them leaves.
std::string_view complete_records(std::string_view data) {
    auto last = data.rfind('\0');
    return last == std::string_view::npos ? std::string_view{} : data.substr(0, last + 1);
}

// A subscriber file's bytes; a missing file is an empty one.
Result<std::string> read_subscriber_file(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
        if (errno == ENOENT)
            return std::string{};
        return fail(from_errno(errno, "unable to read " + path));
    }
    auto data = read_all(fd.get());
    if (!data)
        return fail(from_errno(errno, "unable to read " + path));
    return data;
}

Status write_subscriber_file(const std::string& path, std::string_view data) {
    if (auto w = write_file_atomic(path, data, 0644); !w)
        return fail(temp("4.3.0", "unable to write " + path + ": " + w.error().text));
    return {};
}

// The addresses of one file's share of a batch, each mapped to the position of its first
// occurrence (positions count every record, repeats included).
using FirstSeen = std::unordered_map<std::string_view, size_t, CaseBlindHash, CaseBlindEqual>;

FirstSeen first_seen(std::string_view records, size_t count) {
    FirstSeen seen;
    seen.reserve(count);
    size_t n = 0;
    for_each_record(records, [&](std::string_view rec) { seen.emplace(rec.substr(1), n++); });
    return seen;
}

// What the store holds of a batch, found reading one subscriber file at a time.
struct Presence {
    // Per file, per record of the batch's share for it: the first with its address (ignoring
    // case), and whether a record equal to it (ignoring case) is in the store.
    std::array<std::vector<bool>, files> first, present;
    // The files that hold such a record.
    std::array<bool, files> holds{};
    // Addresses of such records that sit away from the file a new record for them goes to
    // (ezmlm 0.53's places, ezmlm-idx 7's case-sensitive one, ours before 7.x's filing).
    std::unordered_set<std::string, CaseBlindHash, CaseBlindEqual> strays;

    // A record adding the batch puts in: the first with its address, and not there yet.
    [[nodiscard]] bool is_new(unsigned file, size_t position) const {
        return first[file][position] && !present[file][position];
    }
};

// Calls fn(file, position) for every record of the batch.
template <class Fn>
void for_each_position(const AddressBatch& batch, Fn&& fn) {
    for (unsigned f = 0; f < files; ++f)
        for (size_t n = 0; n < batch.count(f); ++n)
            fn(f, n);
}

// Every writer reads all 53 files: a record filed by another hash (ezmlm 0.53's, or
// ezmlm-idx 7's case-sensitive one) can sit anywhere, and must neither be duplicated nor
// survive an unsubscribe. Records in the file their address belongs to are matched against
// that file's share of the batch as it is read; the others (most records of a list that
// ezmlm 0.53 filed and that refile_subscribers has not moved yet) are kept aside and matched
// once every file has been read.
Result<Presence> find_present(const std::string& db, const AddressBatch& batch) {
    Presence p;
    // By the file their address belongs to: where each one sits, and its address.
    std::array<std::vector<std::pair<unsigned, std::string>>, files> away;
    for (unsigned f = 0; f < files; ++f) {
        auto data = read_subscriber_file(file_path(db, file_name(f)));
        if (!data)
            return fail(data.error());
        const auto seen = first_seen(batch.records(f), batch.count(f));
        p.first[f].assign(batch.count(f), false);
        p.present[f].assign(batch.count(f), false);
        for (const auto& [address, position] : seen)
            p.first[f][position] = true;
        for_each_record(*data, [&](std::string_view rec) {
            auto address = record_address(rec);
            if (!address)
                return;
            unsigned home = filing_file(*address);
            if (home != f) {
                if (batch.count(home))
                    away[home].emplace_back(f, *address);
            } else if (auto it = seen.find(*address); it != seen.end()) {
                p.present[f][it->second] = true;
                p.holds[f] = true;
            }
        });
    }
    for (unsigned home = 0; home < files; ++home) {
        if (away[home].empty())
            continue;
        const auto seen = first_seen(batch.records(home), batch.count(home));
        for (auto& [f, address] : away[home]) {
            if (auto it = seen.find(address); it != seen.end()) {
                p.present[home][it->second] = true;
                p.holds[f] = true;
                p.strays.insert(std::move(address));
            }
        }
        away[home] = {};
    }
    return p;
}

// Replaces each dirty file with what rewrite(file, its bytes) makes of it; progress after
// each.
template <class Rewrite>
Status rewrite_files(const std::string& db, const std::array<bool, files>& dirty, Rewrite&& rewrite,
                     const std::function<void(size_t, size_t)>& progress) {
    const auto total = static_cast<size_t>(std::count(dirty.begin(), dirty.end(), true));
    size_t done = 0;
    for (unsigned f = 0; f < files; ++f) {
        if (!dirty[f])
            continue;
        const std::string path = file_path(db, file_name(f));
        auto data = read_subscriber_file(path);
        if (!data)
            return fail(data.error());
        if (auto w = write_subscriber_file(path, rewrite(f, std::move(*data))); !w)
            return fail(w.error());
        if (progress)
            progress(++done, total);
    }
    return {};
}

// New records go to the end of their file, in the batch's order: as one by one.
Result<BulkResult> add_all(const std::string& db, const AddressBatch& batch, const Presence& p,
                           const std::function<void(size_t, size_t)>& progress) {
    BulkResult result;
    std::array<bool, files> dirty{};
    for_each_position(batch, [&](unsigned f, size_t n) {
        if (p.is_new(f, n)) {
            ++result.changed;
            dirty[f] = true;
        } else {
            ++result.unchanged;
        }
    });
    auto add = [&](unsigned f, std::string data) {
        data.resize(complete_records(data).size());
        size_t n = 0;
        for_each_record(batch.records(f), [&](std::string_view rec) {
            if (p.is_new(f, n)) {
                data += rec;
                data += '\0';
            }
            ++n;
        });
        return data;
    };
    if (auto s = rewrite_files(db, dirty, add, progress); !s)
        return fail(s.error());
    return result;
}

// Every record equal to an address of the batch (ignoring case) goes, wherever it is.
Result<BulkResult> remove_all(const std::string& db, const AddressBatch& batch, const Presence& p,
                              const std::function<void(size_t, size_t)>& progress) {
    BulkResult result;
    for_each_position(batch, [&](unsigned f, size_t n) {
        if (p.first[f][n])
            ++(p.present[f][n] ? result.changed : result.unchanged);
    });
    auto remove = [&](unsigned f, const std::string& data) {
        const auto seen = first_seen(batch.records(f), batch.count(f));
        std::string kept;
        kept.reserve(data.size());
        for_each_record(data, [&](std::string_view rec) {
            auto address = record_address(rec);
            bool gone = address && (filing_file(*address) == f ? seen.contains(*address)
                                                               : p.strays.contains(*address));
            if (!gone) {
                kept += rec;
                kept += '\0';
            }
        });
        return kept;
    };
    if (auto s = rewrite_files(db, p.holds, remove, progress); !s)
        return fail(s.error());
    return result;
}

// Every file a subscriber record may live in: ezmlm 0.53's (as given, 32 bits), ezmlm-idx's
// (all lower case), and the 64-bit variants of both.
std::set<char> candidate_files(std::string_view address) {
    std::string rec = "T" + std::string(address);
    std::string lc = lower_record(rec);
    return {static_cast<char>('@' + subhash32(rec)), static_cast<char>('@' + subhash32(lc)),
            static_cast<char>('@' + subhash64(rec)), static_cast<char>('@' + subhash64(lc))};
}

// after_change runs when something changed, still under the lock: what it records (a Log
// line) is there for whoever takes the lock next.
Result<BulkResult> update(const std::string& db, const AddressBatch& batch, bool add,
                          const std::function<void(size_t, size_t)>& progress,
                          const std::function<Status()>& after_change = {}) {
    auto lock = Lock::acquire(db + "/lock");
    if (!lock)
        return fail(lock.error());
    auto present = find_present(db, batch);
    if (!present)
        return fail(present.error());
    auto r =
        add ? add_all(db, batch, *present, progress) : remove_all(db, batch, *present, progress);
    if (r && r->changed && after_change)
        if (auto s = after_change(); !s)
            return fail(s.error());
    return r;
}

Result<bool> update_one(const std::string& db, std::string_view address, bool add,
                        const std::function<Status()>& after_change) {
    auto a = normalise_address(address);
    if (!a)
        return fail(a.error());
    AddressBatch batch;
    batch.add(*a);
    auto r = update(db, batch, add, {}, after_change);
    if (!r)
        return fail(r.error());
    return r->changed > 0;
}

} // namespace

unsigned subhash32(std::string_view record) {
    std::uint32_t h = subhash32_start;
    for (unsigned char c : record)
        h = subhash32_step(h, c);
    return h % files;
}

unsigned subhash64(std::string_view record) {
    std::uint64_t h = subhash64_start;
    for (char c : record)
        h = subhash64_step(h, c);
    return static_cast<unsigned>(h % files);
}

char subscriber_file(std::string_view address) {
    return file_name(filing_file(address));
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
    out += qm::address::lowercase(address.substr(at + 1));
    return out;
}

Result<bool> is_subscriber(const std::string& db, std::string_view address) {
    auto a = normalise_address(address);
    if (!a)
        return false; // ezmlm's issub: an address without @ is simply not subscribed
    auto lock = Lock::acquire(db + "/lock");
    if (!lock)
        return fail(lock.error());
    const std::string want = "T" + *a;
    auto in = [&](char ch) -> Result<bool> {
        auto data = read_subscriber_file(file_path(db, ch));
        if (!data)
            return fail(data.error());
        bool there = false;
        for_each_record(
            *data, [&](std::string_view rec) { there = there || CaseBlindEqual{}(rec, want); });
        return there;
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
        char ch = file_name(i);
        if (likely.contains(ch))
            continue;
        auto r = in(ch);
        if (!r || *r)
            return r;
    }
    return false;
}

Result<bool> subscribe(const std::string& db, std::string_view address,
                       const std::function<Status()>& after_change) {
    return update_one(db, address, true, after_change);
}

Result<bool> unsubscribe(const std::string& db, std::string_view address,
                         const std::function<Status()>& after_change) {
    return update_one(db, address, false, after_change);
}

void AddressBatch::add(std::string_view normalised_address) {
    const unsigned f = filing_file(normalised_address);
    auto& records = records_[f];
    records += 'T';
    records += normalised_address;
    records += '\0';
    ++counts_[f];
    ++size_;
}

Result<BulkResult> bulk_update(const std::string& db, const AddressBatch& addresses, bool add,
                               const std::function<void(size_t, size_t)>& progress) {
    return update(db, addresses, add, progress);
}

Result<BulkResult> bulk_update(const std::string& db, const std::vector<std::string>& addresses,
                               bool add, const std::function<void(size_t, size_t)>& progress) {
    AddressBatch batch;
    for (const auto& a : addresses)
        batch.add(a);
    return update(db, batch, add, progress);
}

Status for_each_subscriber(const std::string& db, const std::function<void(std::string_view)>& fn) {
    for (unsigned i = 0; i < files; ++i) {
        auto data = read_subscriber_file(file_path(db, file_name(i)));
        if (!data)
            return fail(data.error());
        for_each_record(*data, [&](std::string_view rec) {
            if (!rec.empty())
                fn(rec.substr(1));
        });
    }
    return {};
}

Result<size_t> refile_subscribers(const std::string& db) {
    auto lock = Lock::acquire(db + "/lock");
    if (!lock)
        return fail(lock.error());
    // The records away from home, by their home file; a list ezmlm 0.53 filed has most of
    // its records here, so this holds about the list's size.
    std::array<std::string, files> incoming;
    std::array<bool, files> holds_strays{};
    size_t strays = 0;
    for (unsigned f = 0; f < files; ++f) {
        auto data = read_subscriber_file(file_path(db, file_name(f)));
        if (!data)
            return fail(data.error());
        for_each_record(*data, [&](std::string_view rec) {
            auto address = record_address(rec);
            if (!address)
                return;
            const unsigned home = filing_file(*address);
            if (home == f)
                return;
            incoming[home] += rec;
            incoming[home] += '\0';
            holds_strays[f] = true;
            ++strays;
        });
    }
    if (strays == 0)
        return size_t{0};
    // Every record reaches its home file before any leaves where it was: a crash in between
    // leaves some in two places (which a run again tidies), never one in none. A record
    // whose address is already at home, in any letter case, is not added twice.
    for (unsigned f = 0; f < files; ++f) {
        if (incoming[f].empty())
            continue;
        const std::string path = file_path(db, file_name(f));
        auto data = read_subscriber_file(path);
        if (!data)
            return fail(data.error());
        std::unordered_set<std::string_view, CaseBlindHash, CaseBlindEqual> there;
        for_each_record(*data, [&](std::string_view rec) {
            if (auto address = record_address(rec))
                there.insert(*address);
        });
        std::string out(complete_records(*data));
        for_each_record(incoming[f], [&](std::string_view rec) {
            if (there.insert(*record_address(rec)).second) {
                out += rec;
                out += '\0';
            }
        });
        if (out != *data)
            if (auto w = write_subscriber_file(path, out); !w)
                return fail(w.error());
    }
    for (unsigned f = 0; f < files; ++f) {
        if (!holds_strays[f])
            continue;
        const std::string path = file_path(db, file_name(f));
        auto data = read_subscriber_file(path);
        if (!data)
            return fail(data.error());
        std::string kept;
        kept.reserve(data->size());
        for_each_record(*data, [&](std::string_view rec) {
            auto address = record_address(rec);
            if (!address || filing_file(*address) == f) {
                kept += rec;
                kept += '\0';
            }
        });
        if (auto w = write_subscriber_file(path, kept); !w)
            return fail(w.error());
    }
    return strays;
}

Status remove_subscriber_tables(const std::string& dir) {
    for (const char* db : {"", "/allow", "/deny", "/digest", "/mod"}) {
        const std::string tables = dir + db + "/subscribers";
        for (unsigned file = 0; file < subscriber_files; ++file) {
            const std::string path = tables + "/" + static_cast<char>('@' + file);
            if (::unlink(path.c_str()) != 0 && errno != ENOENT)
                return fail(temp("4.3.0", "unable to remove " + path + ": " + error_text(errno)));
        }
        if (::rmdir(tables.c_str()) != 0 && errno != ENOENT)
            return fail(
                perm("5.3.0", "could not remove tables: " + tables + ": " + error_text(errno)));
    }
    return {};
}

} // namespace qm::lists
