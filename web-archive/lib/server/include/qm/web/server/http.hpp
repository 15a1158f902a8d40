// ezmlm-webarchive's HTTP side (Boost.Beast over Asio): accepts connections, reads each
// request within Config::request_timeout with Beast's parser limits (header at most
// 8 KiB: 431 beyond; a body only on a POST, at most post_body_limit: 413 beyond), answers
// GET and HEAD through Site, POST where takes_post() says a page takes it, and 405 to the
// rest (before reading any body); adds the safety fields to every response, gzips HTML
// and Atom above 1 KiB for clients that accept it, and runs a response's deferred work
// once it is sent. Runs until SIGTERM or SIGINT.
//
// One thread runs every socket (the event loop: accepting, reading, writing, timers);
// Site::handle, which blocks on SQLite and on archive files, runs on a pool of
// Config::threads threads, and so does a response's deferred work (a login mail through
// qmail-queue). A session waits for its page without holding the loop, so a slow search
// costs one pool thread and the other clients go on being served; a session has at most
// one page in the pool at a time, so the queue is bounded by the connections (max 1024)
// and the pages being built at once by the pool's size.
#pragma once

#include "qm/result.hpp"
#include "qm/web/server/site.hpp"

namespace qm::web::server {

inline constexpr size_t header_limit = 8192;

[[nodiscard]] Status serve(const Site& site);

// body gzipped (RFC 1952).
[[nodiscard]] std::string gzip(std::string_view body);

} // namespace qm::web::server
