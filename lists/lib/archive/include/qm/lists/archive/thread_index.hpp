// ezmlm-archive(1): the thread, subject and author files that ezmlm-cgi browses, made
// from the archive's index files (archive_index.hpp) byte for byte as ezmlm-idx 7.2.2's
// ezmlm-archive makes them, so that either program can carry on where the other stopped:
//
//   archive/threads/<yyyymm>   a line per thread with posts in that month:
//                              "<last post>:<subject hash> [<posts>] <subject>"
//   archive/subjects/<xx>/<y>  the subject hash xx.y's first index line ("<hash> <subject>"),
//                              then "<post>:<yyyymm>:<author hash> <author>" per post
//   archive/authors/<xx>/<y>   the author hash xx.y's "<hash> <author>", then
//                              "<post>:<yyyymm>:<subject hash> <subject>" per post
//   dir/archnum                the last post done
//
// A run covers the posts from..to; lines of earlier runs for posts from `from` on are
// replaced, the rest kept (a thread's count in a month file adds up over runs). The
// month of a post is that of its index date; a post without an index entry counts in a
// thread and under an author of twenty 'a's, as ezmlm-idx's does.
#pragma once

#include "qm/result.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace qm::lists {

struct ThreadIndexRequest {
    // -c: from the first post (unless `from` says otherwise), files written unsynced.
    bool create = false;
    // -f: from the hundred holding this post; nullopt or 0: from the post after
    // dir/archnum (from the first with -c, or when there is no dir/archnum).
    std::optional<unsigned long> from;
    // -t: up to this post; nullopt, 0 or beyond num: up to num.
    std::optional<unsigned long> to;
    // -s: sync every file even with -c.
    bool sync_always = false;
};

struct ThreadIndexOutcome {
    // Something in the existing files was not as ezmlm-archive writes it (the files are
    // written all the same): what, for the warning and exit 99; empty when all was well.
    std::string inconsistency;
};

// Updates the files above for the list in dir. Holds dir/archive/lock throughout and
// dir/lock while reading num and the newest index file (ezmlm-send writes it). An empty
// list (no num, or 0) is a permanent failure, and so is an index line too short to hold
// a subject hash and subject or an author line whose hash is not followed by a blank.
[[nodiscard]] Result<ThreadIndexOutcome> update_thread_index(const std::string& dir,
                                                             const ThreadIndexRequest& request);

// yyyymm (e.g. 201705) of an index date ("7 May 2017 21:55:05 -0000"): leading blanks and
// digits skipped, an English month abbreviation in any case, a blank, the year's digits;
// 0 when it is not of that shape. As ezmlm-idx's date2yyyymm.
[[nodiscard]] unsigned index_date_month(std::string_view date);

} // namespace qm::lists
