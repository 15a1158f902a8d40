// What ezmlm-webarchive serves: the address it listens on and the lists, each a name in
// URLs and a list directory. Lists come from the command line (--list NAME=DIR) and from
// a file (--lists FILE: lines "NAME DIR", blank lines and "#" comments skipped).
#pragma once

#include "qm/result.hpp"

#include <chrono>
#include <map>
#include <string>
#include <string_view>

namespace qm::web::server {

struct Config {
    std::string address = "127.0.0.1";
    unsigned short port = 8080;
    std::map<std::string, std::string> lists; // name -> list directory
    // The most a client may take to send one request (headers) or read one response; a
    // slow client is cut off after it.
    std::chrono::seconds request_timeout{10};
    // Threads that run the pages (Site::handle: SQLite reads, archive files) beside the
    // one that runs the sockets: a slow search holds one of them, not every client.
    unsigned threads = 4;
    // The most memory rendered public pages may take (page_cache.hpp); 0: none kept.
    size_t page_cache_bytes = 32u << 20;
    // Private archives (login.hpp): the directory that keeps login links and sessions
    // (--state). Empty: private archives are not served at all (404, as unknown lists).
    std::string state_dir;
    // The scheme://host[:port] readers' browsers use (--origin): mailed login links start
    // with it and forms must come from it (their Origin header); https:// marks the
    // session cookie Secure. Empty: http://ADDRESS:PORT of --listen.
    std::string origin;
};

// Names in URLs: letters, digits, ".", "-", "_", not starting with "." (so "..", ".git" and
// anything with "/" or "%" are never names), at most 64 bytes.
[[nodiscard]] bool valid_list_name(std::string_view name);
// "ADDRESS:PORT" (IPv4, or [IPv6]:PORT) into config.
[[nodiscard]] Status parse_listen(std::string_view spec, Config& config);
// "NAME=DIR" into config.lists; DIR must be absolute.
[[nodiscard]] Status add_list(std::string_view name, std::string_view dir, Config& config);
[[nodiscard]] Status parse_list_spec(std::string_view spec, Config& config);
// A --lists file's text into config.lists.
[[nodiscard]] Status parse_lists_file(std::string_view text, Config& config);

// "scheme://host[:port]" with http or https, no path: into config.origin.
[[nodiscard]] Status parse_origin(std::string_view origin, Config& config);
// config.origin, else http://ADDRESS:PORT of --listen ([ADDRESS] for IPv6).
[[nodiscard]] std::string site_origin(const Config& config);

// Whether the list at dir has an archive (ezmlm-make -a: the flag "archived").
[[nodiscard]] bool list_is_archived(const std::string& dir);
// Whether anyone may read the list's archive on the web: archived, public (ezmlm-make -p)
// and open to all by mail as well (neither -b, "modgetonly", nor -g, "subgetonly", as
// ezmlm-get reads them): the web is never more open than the archive by mail. Any other
// archived list is private: readers log in (login.hpp).
[[nodiscard]] bool list_is_public(const std::string& dir);

} // namespace qm::web::server
