// tinycdb behind RAII. Reader maps a constant database; Writer builds one in a temporary
// file beside the target and renames it into place only when complete and fsynced, so a
// failed build leaves the old table untouched.
#pragma once

#include "qm/fd.hpp"
#include "qm/result.hpp"

#include <cdb.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qm::cdb {

class Reader {
public:
    // nullopt when the file does not exist.
    [[nodiscard]] static Result<std::optional<Reader>> open(const std::string& path);
    Reader(Reader&&) noexcept;
    Reader& operator=(Reader&&) noexcept;
    Reader(const Reader&) = delete;
    Reader& operator=(const Reader&) = delete;
    ~Reader();

    [[nodiscard]] std::optional<std::string> find(std::string_view key) const;
    [[nodiscard]] std::vector<std::string> find_all(std::string_view key) const;
    // Every record in file order.
    [[nodiscard]] std::vector<std::pair<std::string, std::string>> records() const;

private:
    Reader() = default;
    UniqueFd fd_;
    std::unique_ptr<struct ::cdb> db_;
};

class Writer {
public:
    [[nodiscard]] static Result<Writer> create(const std::string& path, unsigned mode = 0644);
    Writer(Writer&&) noexcept;
    Writer& operator=(Writer&&) = delete;
    Writer(const Writer&) = delete;
    Writer& operator=(const Writer&) = delete;
    ~Writer(); // removes the temporary file unless commit() succeeded

    [[nodiscard]] Status add(std::string_view key, std::string_view value);
    [[nodiscard]] Status commit();

private:
    Writer() = default;
    std::string path_, tmp_;
    UniqueFd fd_;
    std::unique_ptr<struct ::cdb_make> make_;
    bool committed_ = false;
};

} // namespace qm::cdb
