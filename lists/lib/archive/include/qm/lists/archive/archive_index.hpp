// The subject/author index of an ezmlm-idx archive (reference lists.md 1.9): one file
// archive/<m>/index per hundred messages, two lines per message,
//
//   N: <subject hash> [Re: ]<normalised subject>
//   \t<date of the first Received:>;<author hash> <author name>
//
// kept byte for byte as ezmlm-idx's ezmlm-send writes it, so that ezmlm-get, ezmlm-cgi,
// ezmlm-archive and our web archive read one another's archives. The two hashes are
// ezmlm-idx's makehash: SURF-PCS under an all-zero seed over the text with spaces and
// tabs left out and ASCII capitals lower-cased (letter case does not count: the real
// ezmlm-idx 7.2.2 gives the same hashes, tested); byte i of the 32-byte output gives the
// letter
// 'a' + (byte & 15), i < 20. Messages with the same hash belong to one thread.
#pragma once

#include "qm/lists/core/parsed_post.hpp"
#include "qm/result.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qm::lists {

inline constexpr size_t index_hash_length = 20;

// makehash over text (see above).
[[nodiscard]] std::string ezmlm_hash(std::string_view text);

// ezmlm's case rules for header text and commands: ASCII only, whatever the locale.
[[nodiscard]] char ascii_lower(char c);
[[nodiscard]] bool starts_with_ignoring_case(std::string_view s, std::string_view prefix);

// A header field value as one line: each physical line trimmed of surrounding blanks,
// joined by single spaces (ezmlm's concatHDR, which leaves one trailing space).
[[nodiscard]] std::string unfold_field(std::string_view value);
// RFC 2047 encoded words (=?charset?B|Q?text?=) decoded to their raw bytes, blanks
// between adjacent encoded words dropped (ezmlm's decodeHDR; the charset is not
// converted).
[[nodiscard]] std::string decode_encoded_words(std::string_view text);

struct NormalisedSubject {
    std::string text;        // without reply markers, list prefix and trailing blanks
    bool reply = false;      // "Re:", "Aw:", "Re[2]:", "... -Reply" were found
    bool had_prefix = false; // the list prefix was found (and removed)
};
// The subject as ezmlm-idx indexes it (unfoldHDR with trimming): raw is the Subject
// field's value as it appears in the message; prefix the list's subject prefix ('#'
// standing for the message number), empty for none.
[[nodiscard]] NormalisedSubject normalise_subject(std::string_view raw, std::string_view prefix);

// The author's display name from a From: value ("Joe Cool <joe@x>" -> "Joe Cool";
// "joe@x (Joe)" -> "Joe"; a bare address with its '@' turned into '.'), as ezmlm-idx's
// author_name.
[[nodiscard]] std::string author_name(std::string_view from);
// The author hash: makehash over the address's local part up to its first '-' (posters
// who tag their addresses stay one author) and its domain, as ezmlm-idx's mkauthhash.
[[nodiscard]] std::string author_hash(std::string_view from);

struct IndexEntry {
    unsigned long number = 0;
    std::string subject_hash;
    std::string subject; // as listed: "Re: " + normalised subject for a reply
    // ezmlm-idx's entries have an author line; ezmlm 0.53-era ones ("N subject") do not.
    bool has_author_line = true;
    std::string date; // after the first Received:'s ';', e.g. "7 May 2017 21:55:05 -0000"
    std::string author_hash;
    std::string author;
};

// The entry ezmlm-send makes for post number n (as it arrived, before any From rewrite):
// from its first Subject, From and Received fields.
[[nodiscard]] IndexEntry make_index_entry(unsigned long n, const ParsedPost& post,
                                          std::string_view prefix);
// The entry's two lines (one for an entry without author line), each ending in '\n'.
[[nodiscard]] std::string format_index_entry(const IndexEntry& e);
// The entries of one index file in order; malformed lines are skipped.
[[nodiscard]] std::vector<IndexEntry> parse_index(std::string_view text);

// dir/archive/<block>/index.
[[nodiscard]] std::string index_path(const std::string& dir, unsigned long block);
// The entries of archive/<block>/index; a missing file gives none.
[[nodiscard]] Result<std::vector<IndexEntry>> read_index(const std::string& dir,
                                                         unsigned long block);
// The entry for message n, if the index has one.
[[nodiscard]] Result<std::optional<IndexEntry>> find_index_entry(const std::string& dir,
                                                                 unsigned long n);

// Puts e into its index file: entries before e.number are kept, e follows, and any
// entries from e.number on are dropped (a number that ezmlm-send handed out again after
// a failed queueing). The file is replaced by a durable rename, mode 0744 as ezmlm's.
// The caller holds dir/lock.
[[nodiscard]] Status add_index_entry(const std::string& dir, const IndexEntry& e);

// ezmlm-send's step for an indexed list: the entry for post n, added to its index.
[[nodiscard]] Status index_post(const std::string& dir, unsigned long n, const ParsedPost& post,
                                std::string_view prefix);

// ezmlm-idx(1): the index made anew from the archived posts, block by block from the
// one holding message from (0: the first) up to num, each index file replaced by a
// durable rename; posts whose owner-execute bit is off (not yet, or no longer, archived)
// are left out, as ezmlm-idx 7 leaves them. date_field: the date from the Date: field,
// its year made four digits (for archives brought in by mail from elsewhere), instead of
// the first Received:. Creates dir/indexed. Holds dir/lock.
[[nodiscard]] Status rebuild_index(const std::string& dir, unsigned long from, bool date_field);
// The date of a Date: field value as ezmlm-idx 7 -d indexes it: "[Day,] DD Mon YY[YY]
// HH:MM:SS zone" -> "DD Mon YYYY HH:MM:SS zone" (two-digit years from 70 are 19xx, else
// 20xx); "" when the value is not of that shape.
[[nodiscard]] std::string index_date_from_date_field(std::string_view value);

} // namespace qm::lists
