// Rendered pages of public archives kept in memory. A message never changes once
// archived, and a list's other pages change only when a post is indexed, so a page is
// good while the list's index stays at the same last_indexed: each entry carries it and
// a lookup with another one misses (and drops the entry). Pages of private archives are
// never kept (they carry their reader's address). Bounded by bytes, the least recently
// used entries going first; one entry at most max_entry_bytes. Safe to call from every
// pool thread (one mutex: a lookup is a hash and a copy of the page).
#pragma once

#include "qm/web/server/site.hpp"

#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace qm::web::server {

class PageCache {
public:
    explicit PageCache(size_t max_bytes, size_t max_entry_bytes = 1 << 20);
    [[nodiscard]] std::optional<Response> find(const std::string& key, std::int64_t version);
    // Keeps a 200 response with its body (not a 304).
    void keep(const std::string& key, std::int64_t version, const Response& response);
    [[nodiscard]] size_t bytes() const;

private:
    struct Entry {
        std::int64_t version = 0;
        Response response;
        size_t bytes = 0;
        std::list<std::string>::iterator used;
    };
    void drop(std::unordered_map<std::string, Entry>::iterator it);

    mutable std::mutex mutex_;
    std::unordered_map<std::string, Entry> entries_;
    std::list<std::string> recently_used_; // most recent first
    size_t bytes_ = 0;
    size_t max_bytes_;
    size_t max_entry_bytes_;
};

} // namespace qm::web::server
