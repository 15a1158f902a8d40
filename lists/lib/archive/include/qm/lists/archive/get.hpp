// ezmlm-get: archive retrieval by mail (ezmlm-get(1), reference lists.md 1.5). Run from
// the list's manager file before ezmlm-manage, it answers
//   list-get[f].N[_M]   messages N..M (at most 100; default the last 30 or those since
//                       the last digest) as one MIME digest,
//   list-index[.N[_M]]  the subject/author index in blocks of 100,
//   list-thread[f].N    every message with message N's subject,
//   list-dig.CODE[f]    a digest now (see digest.hpp),
// and passes anything else on to the next program. The formats f are ezmlm-idx's m (the
// default), x, v, n and r; the answers are made as collection.hpp says.
#pragma once

#include "qm/lists/archive/collection.hpp"
#include "qm/lists/core/listdir.hpp"
#include "qm/result.hpp"

#include <sys/types.h>

#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qm::lists {

// ezmlm-idx's limits (idx.h).
inline constexpr unsigned long max_get = 100;
inline constexpr unsigned long history_get = 30;
inline constexpr unsigned long max_index = 2000;
inline constexpr unsigned long thread_before = 2000;
inline constexpr unsigned long thread_after = 2000;

enum class RequestKind { none, get, index, thread, digest };

struct ArchiveRequest {
    RequestKind kind = RequestKind::none;
    std::optional<CollectionFormat> format; // given with the request
    unsigned long first = 0, second = 0;    // 0: not given
};

// Parses the action ($DEFAULT, the local part after "outlocal-"). "get", "index" and
// "thread" may be followed by a format letter, then '.', '-' or nothing, then N, then any
// non-digit and M. "digest" alone is "get" with the default range. "dig.CODE[f]" (or
// "dig-CODE") is a digest request: CODE must match digest_code ignoring case. Anything
// else is RequestKind::none. An unknown format letter, or a wrong or missing digest code,
// is a permanent failure saying so.
[[nodiscard]] Result<ArchiveRequest> parse_request(std::string_view action,
                                                   std::optional<std::string_view> digest_code);

// ezmlm-get's range for get.N_M given the last message number max and dir/dignum's last
// digested message (0: no digest yet). Never more than max_get messages, never beyond max.
[[nodiscard]] MessageRange get_range(unsigned long first, unsigned long second, unsigned long max,
                                     unsigned long last_digested);
// The index blocks (archive/<block>/index) for index.N_M.
[[nodiscard]] MessageRange index_blocks(unsigned long first, unsigned long second,
                                        unsigned long max);

// What qmail-local tells the program (environment).
struct GetEnvironment {
    std::optional<std::string> local, default_part, sender;
    std::optional<std::string> digest_code; // the command-line argument
    std::time_t now = 0;
    // ezmlm-idx 7's switches; nullopt leaves it to the list's flag file.
    std::optional<bool> omit_bottom; // -B / -b: dir/omitbottom
    bool commands = true;            // -C: only digest requests (others go on: exit 0)
    std::optional<bool> open_to_all; // -p: as if public without modgetonly; -P: moderators only
    std::optional<bool> subscribers_only;   // -s / -S: dir/subgetonly
    std::optional<CollectionFormat> format; // -f: instead of dir/digformat's
};

struct GetOutcome {
    int exit_code = 0; // 0: not for us (or nothing to do), 99: handled
    pid_t qp = 0;      // the reply's or digest's qmail-queue, 0 if none
    std::string info;  // for the log line
};
// The whole of ezmlm-get for list directory dir and the message on stdin.
[[nodiscard]] Result<GetOutcome> run_get(const std::string& dir, const GetEnvironment& env,
                                         std::string_view message);

} // namespace qm::lists
