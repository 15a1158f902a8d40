// Remote editing of a list's text/ files by its moderators (ezmlm-make -n, dir/modcanedit
// with dir/remote; reference lists.md 1.5-1.6). ezmlm-manage answers three addresses:
//   list-edit               the names of the editable files (text/edit-list)
//   list-edit.FILE          text/FILE between two marker lines (text/edit-do), with
//                           Reply-To list-ed.T.COOKIE-FILE@host
//   list-ed.T.COOKIE-FILE   the moderator's reply: the text between the markers replaces
//                           text/FILE (text/edit-done)
// The cookie binds the time, the file name, the moderator and a digest of the file's
// contents when it was sent: it is void for another file or moderator, after
// edit_cookie_lifetime (100,000 s), and as soon as the file has changed, so two
// moderators editing at once cannot silently overwrite each other.
//
// The reply body: the first text/plain part of the reply (or the body of a message
// without MIME), decoded from quoted-printable or base64 by mimetic. The text is the
// lines between the first line that reads "%%% START OF TEXT FILE" and the next that
// reads "%%% END OF TEXT FILE" (case and trailing blanks ignored). A mail client that
// quotes the reply puts a prefix of '>' characters and blanks before the start marker
// (at most 8 bytes, e.g. "> " or ">> "); that prefix is removed from every line of the
// text that starts with it (and a line that is only the prefix without its trailing
// blanks, as clients write an empty quoted line, becomes empty). Lines without the
// prefix are kept as they are, and the end marker counts with or without it.
#pragma once

#include "qm/result.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qm::lists {

inline constexpr std::string_view edit_start_marker = "%%% START OF TEXT FILE";
inline constexpr std::string_view edit_end_marker = "%%% END OF TEXT FILE";
// The largest text a reply may install (ezmlm-idx's limit).
inline constexpr size_t max_edited_text = 5120;

// A name under text/ that may be edited: letters, digits, '-', '_' and '.', not starting
// with '.', without ".." or ".tmp." (write_file_atomic's temporary files), at most 64
// bytes. Everything else (a '/', a hidden or temporary file) is refused before any file
// is looked at.
[[nodiscard]] bool is_editable_text_name(std::string_view name);

// What a list-ed. cookie is computed over: the file name, the moderator (domain in
// lower case) and a SHA-256 digest of the file's current contents, NUL-separated.
[[nodiscard]] std::string edit_cookie_subject(std::string_view file, std::string_view moderator,
                                              std::string_view contents);

enum class EditProblem { none, no_markers, too_large };
struct EditedText {
    EditProblem problem = EditProblem::none;
    std::string text; // the new contents (lines ending in \n) when problem is none
};

// The text between the markers of an already decoded body (see above).
[[nodiscard]] EditedText text_between_markers(std::string_view body);

// The moderator's reply as delivered (header, blank line, body): its plain text,
// decoded, then text_between_markers.
[[nodiscard]] EditedText edited_text_of(std::string_view message);

// The body block text/edit-do is followed by: the markers around contents.
[[nodiscard]] std::string text_between_marker_lines(std::string_view contents);

// dir/text/name, not following a symlink: nullopt when it is missing or not a regular
// file. Only for names is_editable_text_name accepts.
[[nodiscard]] Result<std::optional<std::string>> read_editable_text(const std::string& dir,
                                                                    std::string_view name);
// The editable files of dir/text (regular files with editable names), sorted.
[[nodiscard]] Result<std::vector<std::string>> editable_texts(const std::string& dir);
// Replaces dir/text/name with text: temporary file, fsync, rename (a symlink there is
// replaced, never written through).
[[nodiscard]] Status write_edited_text(const std::string& dir, std::string_view name,
                                       std::string_view text);

} // namespace qm::lists
