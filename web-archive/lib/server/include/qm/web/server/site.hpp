// The archive's pages, independent of HTTP plumbing (http.cpp): a request's method,
// target and the few header fields that matter in; a status, header fields and a body
// out. Reads each list's index read-only (archive.hpp) and its archive/ files.
#pragma once

#include "qm/web/server/config.hpp"

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace qm::web::server {

class PageCache;

// The longest request target served; a longer one is answered 414. The longest URL the
// pages make is a message's by the longest Message-ID the index keeps (998 bytes, each
// percent-encoded as 3) with a list name (64) and "/t.mbox.gz", about 3.1 KiB; a search
// is shorter (max_query_bytes, encoded). 4 KiB is above all of them and below the 8 KiB
// header limit, so a long target gets 414, which names the problem, rather than 431.
inline constexpr size_t max_target_bytes = 4096;

struct Request {
    std::string method; // "GET", "HEAD", or "POST" for the pages takes_post() names
                        // (http.cpp answers 405 to the others)
    std::string target;
    std::string if_none_match;
    std::string body;         // POST: at most post_body_limit bytes
    std::string content_type; // POST
    std::string origin;       // the Origin field: forms check it (CSRF)
    std::string cookie;       // the Cookie field: a private archive's session
};

// The most a POST may send: forms of one address or RFC 8058's one pair, with room for
// a multipart/form-data wrapping.
inline constexpr size_t post_body_limit = 8192;

struct Response {
    int status = 200;
    std::string content_type = "text/html; charset=utf-8";
    std::vector<std::pair<std::string, std::string>> fields; // besides the safety fields
    std::string body;
    bool compressible = false; // HTML or Atom: gzip it when the client takes it
    // Work to do once the answer is out (a login mail: its subscriber lookup and queueing
    // must not show in the answer's timing). http.cpp runs it after sending; other
    // callers of Site::handle run it themselves.
    std::function<void()> deferred;
};

// The fields on every response: CSP, nosniff, no referrer.
[[nodiscard]] std::vector<std::pair<std::string, std::string>> safety_fields();

class LoginStore;

class Site {
public:
    // logins: where private archives keep login links and sessions (login.hpp); without
    // it private archives answer 404.
    explicit Site(Config config, std::shared_ptr<LoginStore> logins = nullptr);
    ~Site();
    Site(Site&&) noexcept;
    [[nodiscard]] Response handle(const Request& request) const;
    [[nodiscard]] const Config& config() const { return config_; }

private:
    Config config_;
    std::shared_ptr<LoginStore> logins_;
    std::unique_ptr<PageCache> cache_; // public pages (page_cache.hpp)
};

// The small page for an error status (404, 405, 400, 414, 431, 500...).
[[nodiscard]] Response error_page(int status);

// An HTML page of the site: title, the header's links (to list when not empty), content.
// A page with a form that posts to the site says referrer "same-origin": under
// "no-referrer" browsers send "Origin: null" with the form, which the check refuses.
[[nodiscard]] std::string page_html(std::string_view title, std::string_view list,
                                    std::string_view content,
                                    std::string_view referrer = "no-referrer");

} // namespace qm::web::server
