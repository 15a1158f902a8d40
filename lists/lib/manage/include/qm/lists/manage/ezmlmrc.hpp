// ezmlmrc: ezmlm-idx 7's list template (ezmlmrc(5)), which its ezmlm-make interprets to
// make or edit a list. ezmlm-make -C file (or -c: the .ezmlmrc beside the dot file) makes
// the list from such a file as ezmlm-idx 7 does, so an admin's customised ezmlmrc keeps
// working here; without them ours lays the list out itself.
//
// The format, line by line (a line starting with # is a comment, wherever it is; line 1
// is the version the file is for, "7.2..." expected):
//   </name#flags/>       the following lines (tags substituted) go to DIR/name, written
//                        afresh; </#flags/> goes on with the file of the previous tag
//   </-name#flags/>      remove DIR/name
//   </+name#flags/>      make the directory DIR/name
//   </:ext/name#flags/>  symlink DOT + ext -> DIR/name (".qmail-list-ext" -> ...)
// "#flags" is optional: each letter must be on (lower case) or off (upper case), a digit
// means that -N was given, and ^ negates the next one. E (and ^e) are special: while
// editing, the file is written only if it does not exist yet (unless forced by -ee, -++
// or a new list name). A '.' anywhere in a tag line is refused (no way out of DIR).
// Substitutions in content lines: <#B#> the programs' directory, <#C#> digest code,
// <#D#> DIR, <#F#> the flags ("-" + 26 letters, lower case on), <#H#> host, <#L#> local,
// <#T#> DOT, <#X#> the ezmlmrc's name, <#0#>..<#9#> the arguments of -0, -3..-9 (<#1#> and
// <#2#> are the dot file's ext1 and ext2); any other <#x#> stays as it is (for the list
// programs' texts).
#pragma once

#include "qm/result.hpp"

#include <array>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace qm::lists {

struct EzmlmrcValues {
    std::array<bool, 26> flags{}; // a..z, as finally set
    // <#0#>..<#9#>: -0, ext1, ext2, -3 .. -9; empty = not given.
    std::array<std::string, 10> args;
    std::string bin, code, dir, host, local, dot, rc_name;
    bool edit = false;
    bool force = false; // editing, but rewrite E files too
};

struct EzmlmrcStep {
    enum class Kind { make_dir, link, remove, write };
    Kind kind = Kind::write;
    std::string name;   // relative to DIR, starting with '/'; for link, the dot suffix
    std::string target; // link: the name in DIR it points to, starting with '/'
    std::string text;   // write: the whole file
};

struct EzmlmrcScript {
    bool version_matches = true; // line 1 names 7.2 (ezmlm-make warns otherwise)
    std::vector<EzmlmrcStep> steps;
};

// Interprets an ezmlmrc into the steps that make the list. exists(name) says whether
// DIR + name exists (for E while editing; files written earlier in the same run count
// too). A malformed tag is a permanent failure naming the line.
[[nodiscard]] Result<EzmlmrcScript>
interpret_ezmlmrc(std::string_view text, const EzmlmrcValues& values,
                  const std::function<bool(const std::string&)>& exists);

// ext1 and ext2 of a dot file path /path/.qmail-ext1-ext2-name (empty if it has none).
[[nodiscard]] std::array<std::string, 2> dot_extensions(std::string_view dot);

// <#F#>: "-" and, for each of a..z, the lower-case letter when on, else the upper case.
[[nodiscard]] std::string flags_word(const std::array<bool, 26>& flags);

} // namespace qm::lists
