#include "qm/web/server/page_cache.hpp"

namespace qm::web::server {

namespace {

size_t size_of(const std::string& key, const Response& r) {
    size_t n = key.size() + r.body.size() + r.content_type.size() + 128;
    for (const auto& [name, value] : r.fields)
        n += name.size() + value.size();
    return n;
}

} // namespace

PageCache::PageCache(size_t max_bytes, size_t max_entry_bytes)
    : max_bytes_(max_bytes)
    , max_entry_bytes_(max_entry_bytes) {}

std::optional<Response> PageCache::find(const std::string& key, std::int64_t version) {
    const std::lock_guard lock(mutex_);
    const auto it = entries_.find(key);
    if (it == entries_.end())
        return std::nullopt;
    if (it->second.version != version) {
        drop(it);
        return std::nullopt;
    }
    recently_used_.splice(recently_used_.begin(), recently_used_, it->second.used);
    return it->second.response;
}

void PageCache::keep(const std::string& key, std::int64_t version, const Response& response) {
    if (response.status != 200 || response.deferred)
        return;
    const size_t n = size_of(key, response);
    if (n > max_entry_bytes_ || n > max_bytes_)
        return;
    const std::lock_guard lock(mutex_);
    if (const auto it = entries_.find(key); it != entries_.end())
        drop(it);
    while (bytes_ + n > max_bytes_ && !recently_used_.empty())
        drop(entries_.find(recently_used_.back()));
    recently_used_.push_front(key);
    entries_.emplace(key, Entry{version, response, n, recently_used_.begin()});
    bytes_ += n;
}

size_t PageCache::bytes() const {
    const std::lock_guard lock(mutex_);
    return bytes_;
}

void PageCache::drop(std::unordered_map<std::string, Entry>::iterator it) {
    bytes_ -= it->second.bytes;
    recently_used_.erase(it->second.used);
    entries_.erase(it);
}

} // namespace qm::web::server
