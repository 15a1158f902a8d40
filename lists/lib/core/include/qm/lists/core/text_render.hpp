// ezmlm-idx 7's text language, as its programs render the files in a list's text/
// directory and in its etc/<language>/text/ directories, so that a text an owner wrote
// for ezmlm-idx 7 comes out of ours the same:
//
//   - a line starting with '#' is a comment and is left out;
//   - a line "!R" or "!A" (anything after the two characters is ignored) becomes three
//     spaces and the reply address, or the target address;
//   - a line "<=FLAGS=>" is not sent: the lines after it, up to the next such line, are
//     sent only if every one of FLAGS is set for the list ("<==>" ends the condition).
//     A flag letter means the same in either case (ezmlm-idx reads 'S' as 's'); a
//     character that is no flag letter or digit is never set;
//   - <#X#> tags (exactly five characters) are replaced; a tag with an unknown letter is
//     removed; a known one whose value the program has not set renders as "?????"
//     (ezmlm-idx's placeholder, so a tag used in the wrong text shows up instead of
//     vanishing). Anything else - "<#", "<#x", "<#xy#>" - is copied as it is;
//   - a last line without a newline gets one.
//
// The tags, as ezmlm-idx 7 has them:
//   <#A#> target address            <#a#> its local part
//   <#R#> address to reply to       <#r#> its local part
//   <#c#> the reply address's local part after "LIST-" (sc.T.C-box=host)
//   <#X#> the action (e.g. "sc.")   <#T#> its time stamp  <#C#> its cookie
//   <#l#> outlocal (of the digest list for digest requests)
//   <#L#> the main list's outlocal  <#h#>, <#H#> outhost
//   <#d#> the list directory        <#t#> the target with '@' as '=' (for command addresses)
//   <#n#> a message number          <#0#>..<#9#> parameters (messages only; empty in texts)
// and one of ours: <#f#> the text being edited (ezmlm-manage's edit-do and edit-done),
// removed where it is not set, as ezmlm-idx removes it always.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace qm::lists {

// The values a text's tags take; a letter not here renders as ezmlm-idx's placeholder
// (if ezmlm-idx knows the letter) or is removed.
struct TextValues {
    std::map<char, std::string> tags;
    // Fills in what ezmlm-idx derives: a from A, r and c (and X, T, C when the address has
    // the "X.T.C-" shape of a confirmation) from R given the list's outlocal, t from A.
    // Values already present are kept.
    void derive(std::string_view outlocal);
};

// Whether the list has flag `letter` set (ezmlm-idx 7's flag_isset).
using FlagTest = std::function<bool(char)>;

// The rendered text: the rules above applied to `source`.
[[nodiscard]] std::string render_ezmlm_text(std::string_view source, const TextValues& values,
                                            const FlagTest& flag_is_set);

// One line with its tags replaced and no line rules (the header form ezmlm-idx uses for
// its messages file: target addresses are left out of headers, <#A#> and <#t#> then
// render empty).
[[nodiscard]] std::string expand_text_tags(std::string_view line, const TextValues& values,
                                           bool header);

// The value of `key` in a messages file ("KEY:value" lines, '#' comments), nullopt when
// the file does not have it.
[[nodiscard]] std::optional<std::string> messages_entry(std::string_view messages_file,
                                                        std::string_view key);

} // namespace qm::lists
