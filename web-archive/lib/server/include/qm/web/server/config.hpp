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

// Whether the list at dir is served: its archive is public (ezmlm-make -p leaves the
// flag file "public") and archived. Private archives are not served at all until logins
// exist (issue 17 item 3): they answer 404, as an unknown list does.
[[nodiscard]] bool list_is_public(const std::string& dir);

} // namespace qm::web::server
