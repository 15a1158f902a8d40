#include "qm/web/server/session.hpp"

#include "qm/address.hpp"
#include "qm/lists/core/clock.hpp"
#include "sqlite.hpp" // the index's SQLite layer (qm_web_index)

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>

#include <array>
#include <cerrno>

namespace qm::web::server {

namespace {

constexpr std::string_view schema = R"sql(
CREATE TABLE IF NOT EXISTS links (
    hash TEXT PRIMARY KEY,      -- SHA-256 of the secret, hex
    address TEXT NOT NULL,
    list TEXT NOT NULL,
    expires INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    hash TEXT PRIMARY KEY,
    address TEXT NOT NULL,
    expires INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS mails (
    address TEXT NOT NULL,      -- lower-cased: the rate limit ignores case
    sent INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS mails_by_address ON mails(address, sent);
)sql";

std::string hex(const unsigned char* bytes, size_t n) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(n * 2);
    for (size_t i = 0; i < n; ++i) {
        out += digits[bytes[i] >> 4];
        out += digits[bytes[i] & 15];
    }
    return out;
}

Result<std::string> new_secret() {
    std::array<unsigned char, 32> bytes{};
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1)
        return fail(temp("4.3.0", "no random bytes for a login secret (OpenSSL RAND_bytes)"));
    return hex(bytes.data(), bytes.size());
}

std::string digest(std::string_view secret) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned len = 0;
    if (EVP_Digest(secret.data(), secret.size(), md.data(), &len, EVP_sha256(), nullptr) != 1)
        throw sql::Error(0, "SHA-256 failed");
    return hex(md.data(), len);
}

// The address a statement's one row holds, if it finds one.
std::optional<std::string> single_address(sql::Statement& q) {
    std::optional<std::string> address;
    if (q.step())
        address = q.text(0);
    while (q.step()) {
    }
    q.reset();
    return address;
}

Status prepare_dir(const std::string& dir) {
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
        return fail(from_errno(errno, "unable to create " + dir));
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0)
        return fail(from_errno(errno, "unable to stat " + dir));
    if (!S_ISDIR(st.st_mode))
        return fail(perm("5.3.5", dir + " is not a directory"));
    if ((st.st_mode & 077) != 0)
        return fail(perm("5.3.5", dir + " may be read by others: chmod 700 it (it records who "
                                        "reads which private list)"));
    return {};
}

} // namespace

bool valid_secret(std::string_view s) {
    if (s.size() != 64)
        return false;
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    return true;
}

LoginStore::LoginStore(std::string path, Clock clock)
    : path_(std::move(path))
    , clock_(clock ? std::move(clock) : Clock(qm::lists::now)) {}

LoginStore::~LoginStore() = default;

Result<std::shared_ptr<LoginStore>> LoginStore::open(const std::string& state_dir, Clock clock) {
    if (auto s = prepare_dir(state_dir); !s)
        return fail(s.error());
    std::shared_ptr<LoginStore> store(
        new LoginStore(state_dir + "/logins.sqlite", std::move(clock)));
    try {
        store->db_ = std::make_unique<sql::Connection>(store->path_);
        sqlite3_busy_timeout(store->db_->get(), 2000);
        store->db_->exec("PRAGMA journal_mode=WAL");
        store->db_->exec(schema);
    } catch (const sql::Error& e) {
        return fail(sql::failure_of(e, store->path_));
    }
    return store;
}

Result<std::optional<std::string>> LoginStore::issue_link(std::string_view address,
                                                          std::string_view list) {
    const std::lock_guard lock(mutex_);
    auto secret = new_secret();
    if (!secret)
        return fail(secret.error());
    const std::time_t t = now();
    try {
        db_->exec("BEGIN IMMEDIATE");
        try {
            sql::Statement(db_->get(), "DELETE FROM mails WHERE sent <= ?1")
                .bind(1, std::int64_t{t - login_mail_window})
                .run();
            sql::Statement(db_->get(), "DELETE FROM links WHERE expires <= ?1").bind(1, t).run();
            sql::Statement count(db_->get(), "SELECT count(*) FROM mails WHERE address = ?1");
            count.bind(1, qm::address::lowercase(address));
            const bool limited = count.step() && count.integer(0) >= login_mails_per_window;
            count.reset();
            if (limited) {
                db_->exec("COMMIT");
                return std::optional<std::string>{};
            }
            sql::Statement(db_->get(), "INSERT INTO mails (address, sent) VALUES (?1, ?2)")
                .bind(1, qm::address::lowercase(address))
                .bind(2, t)
                .run();
            sql::Statement(
                db_->get(),
                "INSERT INTO links (hash, address, list, expires) VALUES (?1, ?2, ?3, ?4)")
                .bind(1, digest(*secret))
                .bind(2, address)
                .bind(3, list)
                .bind(4, std::int64_t{t + login_link_lifetime})
                .run();
            db_->exec("COMMIT");
        } catch (...) {
            db_->exec("ROLLBACK");
            throw;
        }
    } catch (const sql::Error& e) {
        return fail(sql::failure_of(e, path_));
    }
    return std::optional<std::string>{std::move(*secret)};
}

Result<std::optional<std::string>> LoginStore::link_address(std::string_view secret,
                                                            std::string_view list) {
    const std::lock_guard lock(mutex_);
    if (!valid_secret(secret))
        return std::optional<std::string>{};
    try {
        sql::Statement q(
            db_->get(), "SELECT address FROM links WHERE hash = ?1 AND list = ?2 AND expires > ?3");
        q.bind(1, digest(secret)).bind(2, list).bind(3, now());
        return single_address(q);
    } catch (const sql::Error& e) {
        return fail(sql::failure_of(e, path_));
    }
}

Result<std::optional<std::string>> LoginStore::spend_link(std::string_view secret,
                                                          std::string_view list) {
    const std::lock_guard lock(mutex_);
    if (!valid_secret(secret))
        return std::optional<std::string>{};
    try {
        // One statement finds and removes it: a link raced by two POSTs opens one session.
        sql::Statement q(db_->get(), "DELETE FROM links WHERE hash = ?1 AND list = ?2 AND "
                                     "expires > ?3 RETURNING address");
        q.bind(1, digest(secret)).bind(2, list).bind(3, now());
        return single_address(q);
    } catch (const sql::Error& e) {
        return fail(sql::failure_of(e, path_));
    }
}

Result<std::string> LoginStore::open_session(std::string_view address) {
    const std::lock_guard lock(mutex_);
    auto secret = new_secret();
    if (!secret)
        return fail(secret.error());
    const std::time_t t = now();
    try {
        sql::Statement(db_->get(), "DELETE FROM sessions WHERE expires <= ?1").bind(1, t).run();
        sql::Statement(db_->get(),
                       "INSERT INTO sessions (hash, address, expires) VALUES (?1, ?2, ?3)")
            .bind(1, digest(*secret))
            .bind(2, address)
            .bind(3, std::int64_t{t + session_lifetime})
            .run();
    } catch (const sql::Error& e) {
        return fail(sql::failure_of(e, path_));
    }
    return std::move(*secret);
}

Result<std::optional<std::string>> LoginStore::session_address(std::string_view secret) {
    const std::lock_guard lock(mutex_);
    if (!valid_secret(secret))
        return std::optional<std::string>{};
    try {
        sql::Statement q(db_->get(),
                         "SELECT address FROM sessions WHERE hash = ?1 AND expires > ?2");
        q.bind(1, digest(secret)).bind(2, now());
        return single_address(q);
    } catch (const sql::Error& e) {
        return fail(sql::failure_of(e, path_));
    }
}

Status LoginStore::close_session(std::string_view secret) {
    const std::lock_guard lock(mutex_);
    if (!valid_secret(secret))
        return {};
    try {
        sql::Statement(db_->get(), "DELETE FROM sessions WHERE hash = ?1")
            .bind(1, digest(secret))
            .run();
    } catch (const sql::Error& e) {
        return fail(sql::failure_of(e, path_));
    }
    return {};
}

} // namespace qm::web::server
