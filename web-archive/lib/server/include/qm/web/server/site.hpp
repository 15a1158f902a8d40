// The archive's pages, independent of HTTP plumbing (http.cpp): a request's method,
// target and the few header fields that matter in; a status, header fields and a body
// out. Reads each list's index read-only (archive.hpp) and its archive/ files.
#pragma once

#include "qm/web/server/config.hpp"

#include <string>
#include <utility>
#include <vector>

namespace qm::web::server {

// The longest request target served; a longer one is answered 414. The longest URL the
// pages make is a message's by the longest Message-ID the index keeps (998 bytes, each
// percent-encoded as 3) with a list name (64) and "/t.mbox.gz", about 3.1 KiB; a search
// is shorter (max_query_bytes, encoded). 4 KiB is above all of them and below the 8 KiB
// header limit, so a long target gets 414, which names the problem, rather than 431.
inline constexpr size_t max_target_bytes = 4096;

struct Request {
    std::string method; // "GET" or "HEAD" (http.cpp answers 405 to the others)
    std::string target;
    std::string if_none_match;
};

struct Response {
    int status = 200;
    std::string content_type = "text/html; charset=utf-8";
    std::vector<std::pair<std::string, std::string>> fields; // besides the safety fields
    std::string body;
    bool compressible = false; // HTML or Atom: gzip it when the client takes it
};

// The fields on every response: CSP, nosniff, no referrer.
[[nodiscard]] std::vector<std::pair<std::string, std::string>> safety_fields();

class Site {
public:
    explicit Site(Config config);
    [[nodiscard]] Response handle(const Request& request) const;
    [[nodiscard]] const Config& config() const { return config_; }

private:
    Config config_;
};

// The small page for an error status (404, 405, 400, 414, 431, 500...).
[[nodiscard]] Response error_page(int status);

} // namespace qm::web::server
