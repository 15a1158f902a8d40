#include "qm/cdb.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace qm::cdb {

Result<std::optional<Reader>> Reader::open(const std::string& path) {
    Reader r;
    r.fd_.reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!r.fd_) {
        if (errno == ENOENT)
            return std::optional<Reader>{};
        return fail(from_errno(errno, "unable to open " + path));
    }
    r.db_ = std::make_unique<struct ::cdb>();
    if (::cdb_init(r.db_.get(), r.fd_.get()) != 0)
        return fail(temp("4.3.0", "unable to read cdb " + path));
    return std::optional<Reader>{std::move(r)};
}

Reader::Reader(Reader&&) noexcept = default;
Reader& Reader::operator=(Reader&&) noexcept = default;

Reader::~Reader() {
    if (db_)
        ::cdb_free(db_.get());
}

std::optional<std::string> Reader::find(std::string_view key) const {
    struct ::cdb* db = db_.get();
    if (::cdb_find(db, key.data(), static_cast<unsigned>(key.size())) <= 0)
        return std::nullopt;
    const char* v = static_cast<const char*>(::cdb_get(db, cdb_datalen(db), cdb_datapos(db)));
    if (!v)
        return std::nullopt;
    return std::string(v, cdb_datalen(db));
}

std::vector<std::string> Reader::find_all(std::string_view key) const {
    std::vector<std::string> out;
    struct ::cdb_find cf {};
    struct ::cdb* db = db_.get();
    if (::cdb_findinit(&cf, db, key.data(), static_cast<unsigned>(key.size())) < 0)
        return out;
    while (::cdb_findnext(&cf) > 0) {
        const char* v = static_cast<const char*>(::cdb_get(db, cdb_datalen(db), cdb_datapos(db)));
        if (v)
            out.emplace_back(v, cdb_datalen(db));
    }
    return out;
}

std::vector<std::pair<std::string, std::string>> Reader::records() const {
    std::vector<std::pair<std::string, std::string>> out;
    struct ::cdb* db = db_.get();
    unsigned pos = 0;
    cdb_seqinit(&pos, db);
    while (::cdb_seqnext(&pos, db) > 0) {
        const char* k = static_cast<const char*>(::cdb_get(db, cdb_keylen(db), cdb_keypos(db)));
        const char* v = static_cast<const char*>(::cdb_get(db, cdb_datalen(db), cdb_datapos(db)));
        if (k && v)
            out.emplace_back(std::string(k, cdb_keylen(db)), std::string(v, cdb_datalen(db)));
    }
    return out;
}

Result<Writer> Writer::create(const std::string& path, unsigned mode) {
    Writer w;
    w.path_ = path;
    w.tmp_ = path + ".tmp." + std::to_string(::getpid());
    w.fd_.reset(::open(w.tmp_.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
    if (!w.fd_)
        return fail(from_errno(errno, "unable to create " + w.tmp_));
    w.make_ = std::make_unique<struct ::cdb_make>();
    if (::cdb_make_start(w.make_.get(), w.fd_.get()) != 0)
        return fail(from_errno(errno, "unable to start cdb " + w.tmp_));
    return w;
}

Writer::Writer(Writer&& o) noexcept
    : path_(std::move(o.path_))
    , tmp_(std::move(o.tmp_))
    , fd_(std::move(o.fd_))
    , make_(std::move(o.make_))
    , committed_(o.committed_) {
    o.committed_ = true; // the moved-from object owns nothing to clean up
}

Writer::~Writer() {
    if (!committed_ && !tmp_.empty())
        ::unlink(tmp_.c_str());
}

Status Writer::add(std::string_view key, std::string_view value) {
    if (::cdb_make_add(make_.get(), key.data(), static_cast<unsigned>(key.size()), value.data(),
                       static_cast<unsigned>(value.size())) != 0)
        return fail(from_errno(errno, "unable to write " + tmp_));
    return {};
}

Status Writer::commit() {
    if (::cdb_make_finish(make_.get()) != 0)
        return fail(from_errno(errno, "unable to finish " + tmp_));
    if (auto s = fsync_fd(fd_.get(), tmp_); !s)
        return s;
    fd_.reset();
    if (::rename(tmp_.c_str(), path_.c_str()) != 0)
        return fail(from_errno(errno, "unable to move " + tmp_ + " to " + path_));
    committed_ = true;
    return fsync_dir(dirname_of(path_));
}

} // namespace qm::cdb
