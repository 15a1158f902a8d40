// The subscriber store of ezmlm (ezmlm 0.53's subscribe.c and issub.c, ezmlm-idx 7's
// sub-std.c), kept byte-compatible so a list directory can move between ezmlm-idx 7 and us
// in both directions.
//
// A database is a directory (the list dir, or a sub-database such as dir/mod or
// dir/allow) holding subscribers/ with up to 53 files named '@' .. 't'. A record is
// "T" + address + NUL, address at most 400 bytes, with the domain lower-cased. It lives
// in file chr(64 + h % 53) where h is djb's hash over a form of the record without its NUL:
// h = 5381; h = (h + (h << 5)) ^ c. Every writer holds <db>/lock and replaces a file by
// writing a temporary and renaming it.
//
// Where a record lives is whose it is:
// - ezmlm 0.53 hashes the record as given, in 32-bit words, and looks only there;
// - ezmlm-idx 7 (the compatibility target) files a new record under the hash of its
//   all-lower-case form in unsigned long (64 bits on the LP64 machines its lists run on),
//   and looks there first, then under the 64-bit hash of the record as given.
// We file as ezmlm-idx 7 does, so its ezmlm-issubn, ezmlm-unsub and ezmlm-sub find what
// we subscribed, and match addresses ignoring case as it does. Lookups try the likely files
// first (all four hashes), then the rest; writers read all files, so a record any ezmlm
// filed anywhere is neither duplicated nor left behind. refile_subscribers moves a list's
// records from ezmlm 0.53's places into ezmlm-idx 7's (ezmlm-make -e does it).
#pragma once

#include "qm/result.hpp"

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace qm::lists {

inline constexpr size_t max_address = 400;
// Subscriber files '@' .. 't'.
inline constexpr unsigned subscriber_files = 53;

// djb's hash over bytes, in 32-bit (ezmlm 0.53) or 64-bit (ezmlm-idx on LP64) words.
[[nodiscard]] unsigned subhash32(std::string_view record);
[[nodiscard]] unsigned subhash64(std::string_view record);
// The file a new record goes to, for a normalised address, as ezmlm-idx 7 files it:
// '@' + subhash64 of the lower-cased "T" + address.
[[nodiscard]] char subscriber_file(std::string_view address);

// Checks an address as ezmlm does (no newline, has '@', at most 400 bytes) and lower-cases
// its domain. A bad address is a permanent failure with ezmlm's wording.
[[nodiscard]] Result<std::string> normalise_address(std::string_view address);

// db is the directory that holds subscribers/ (and lock).
[[nodiscard]] Result<bool> is_subscriber(const std::string& db, std::string_view address);
// True if the address was added (false: it was already there, in any letter case).
// after_change, if given, runs after a change while db/lock is still held, so that what it
// records (a Log line) is in place before another writer or reader takes the lock; its
// failure is the call's.
[[nodiscard]] Result<bool> subscribe(const std::string& db, std::string_view address,
                                     const std::function<Status()>& after_change = {});
// True if the address was removed (every record equal to it ignoring case goes).
[[nodiscard]] Result<bool> unsubscribe(const std::string& db, std::string_view address,
                                       const std::function<Status()>& after_change = {});

// Normalised addresses for bulk_update, each held once as the record it becomes
// ("T" + address + NUL), in one buffer per subscriber file it would be filed in: a
// million addresses cost about their own size, not a heap string each.
class AddressBatch {
public:
    void add(std::string_view normalised_address);
    // Addresses added, duplicates included.
    [[nodiscard]] size_t size() const { return size_; }
    // The records for file '@' + file, in the order they were added, and their number.
    [[nodiscard]] std::string_view records(unsigned file) const { return records_[file]; }
    [[nodiscard]] size_t count(unsigned file) const { return counts_[file]; }

private:
    std::array<std::string, subscriber_files> records_;
    std::array<size_t, subscriber_files> counts_{};
    size_t size_ = 0;
};

// Adding or removing many addresses under one lock: each subscriber file that changes is
// rewritten once, and only one of them is in memory at a time. The files come out as
// subscribing or unsubscribing the addresses one by one, in order, would leave them.
// progress(done_files, total_files) after each file written.
struct BulkResult {
    size_t changed = 0;   // added or removed
    size_t unchanged = 0; // already present (or repeated in the batch) / not present
};
[[nodiscard]] Result<BulkResult>
bulk_update(const std::string& db, const AddressBatch& addresses, bool add,
            const std::function<void(size_t, size_t)>& progress = {});
// The same for a few addresses, which must be normalised.
[[nodiscard]] Result<BulkResult>
bulk_update(const std::string& db, const std::vector<std::string>& addresses, bool add,
            const std::function<void(size_t, size_t)>& progress = {});

// Moves every record of db that is not in the file subscriber_file() names for it (one
// that ezmlm 0.53, or we before filing as ezmlm-idx 7, put elsewhere) into that file, under
// db/lock, so that ezmlm-idx 7's own lookups find it; a record whose address is already
// there in another letter case is dropped instead of copied. Crash-safe (every record is
// in its new place, durably, before any is taken from its old one) and idempotent: a run
// again after a crash finishes the job, and on a filed list changes nothing. Returns the
// number of records that were away from home.
[[nodiscard]] Result<size_t> refile_subscribers(const std::string& db);

// Every subscriber address, file by file in ezmlm's order ('@' .. 't'), as stored.
[[nodiscard]] Status for_each_subscriber(const std::string& db,
                                         const std::function<void(std::string_view)>& fn);

// ezmlm-rmtab for the standard store: the subscriber files of dir (the list) and of its
// allow, deny, digest and mod databases are deleted, and then their subscribers/
// directories, as ezmlm-idx 7 removes "the tables". A subscribers/ directory holding
// anything else stays, and that is a permanent failure naming it.
[[nodiscard]] Status remove_subscriber_tables(const std::string& dir);

} // namespace qm::lists
