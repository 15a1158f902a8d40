// A list directory in ezmlm's layout (ezmlm(5)): one small file per setting, flags as
// files whose presence means "on", and dir/lock as the one lock every writer of the
// subscriber store, the archive and num takes.
#pragma once

#include "qm/fd.hpp"
#include "qm/result.hpp"

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qm::lists {

// First line of dir/name without its newline; nullopt when the file is missing or empty.
[[nodiscard]] Result<std::optional<std::string>> read_setting(const std::string& dir,
                                                              const std::string& name);
// Like read_setting, but a missing file is a temporary failure naming it (ezmlm's
// getconf_line with "required").
[[nodiscard]] Result<std::string> require_setting(const std::string& dir, const std::string& name);
// The whole of dir/name (a text, a binary key); nullopt when the file is missing.
[[nodiscard]] Result<std::optional<std::string>> read_file(const std::string& dir,
                                                           const std::string& name);
// dir/charset as ezmlm-idx 7 reads it: "NAME", or "NAME:Q" / "NAME:B" for the transfer
// encoding (quoted-printable, base64) in which the list's texts and trailers are sent.
struct ListCharset {
    std::string name;  // empty when the file is missing or names no MIME token
    char encoding = 0; // 'Q', 'B', or 0 for none
};
// A name with characters outside a MIME token is taken as none (it is never written
// into a header): the callers then choose their default (us-ascii, or utf-8 for 8-bit
// text).
[[nodiscard]] Result<ListCharset> read_list_charset(const std::string& dir);
// Every non-empty line of dir/name; a missing file gives an empty list.
[[nodiscard]] Result<std::vector<std::string>> read_lines(const std::string& dir,
                                                          const std::string& name);
// Whether the list has the setting whose flag file is dir/name, as ezmlm-idx 7 reads it
// (its getconf_isset): a name that stands for one of its switch letters (public for -p,
// archived for -a, threaded for -i: flag_file_of) takes the letter's state from
// dir/flags, or else from the F: line of dir/config, when that states the letter; any
// other name, or a letter not stated there, is on when dir/name exists.
[[nodiscard]] bool has_flag(const std::string& dir, const std::string& name);
// Whether ezmlm-idx 7 takes switch letter (a-z, either case) as set for the list (its
// flag_isset, which its texts' <=X=> lines ask): stated in dir/flags or config's F:
// line, else from the letter's flag file; e, q, v and z, which have none, are on.
[[nodiscard]] bool flag_letter(const std::string& dir, char letter);
// The flag file that stands for an ezmlm-idx 7 switch letter ("" for e, q, v, z).
[[nodiscard]] std::string_view flag_file_of(char letter);

// The switch letters dir/flags (or else the F: line of dir/config) states: index
// letter - 'a', true for a lower-case letter (on), false for upper case (off). ezmlm-idx
// 7 writes all 26 after a "-" (ezmlm-idx 5 to 7.1 wrote flags, earlier ones config;
// 7.2.2 removes both and keeps the flag files alone). The flags file this platform's
// ezmlm-make wrote before it followed ezmlm-idx 7 ("aBDFGHiJ...", 19 letters in
// alphabetical order, no "-") meant indexed by i: its i is left unstated
// (written_by_old_make), so that it does not read as threaded.
struct StatedFlags {
    std::array<std::optional<bool>, 26> letter{};
    bool written_by_old_make = false;
    bool from_config = false; // the F: line of dir/config, not dir/flags
    bool present = false;     // dir/flags or config's F: line exists
};
[[nodiscard]] Result<StatedFlags> read_stated_flags(const std::string& dir);

// An exclusive lock on a lock file (ezmlm's lock_ex: flock on a file opened for append),
// released when the object goes away.
class Lock {
public:
    [[nodiscard]] static Result<Lock> acquire(const std::string& path);

private:
    explicit Lock(UniqueFd fd)
        : fd_(std::move(fd)) {}
    UniqueFd fd_;
};

// What ezmlm-send and friends need to know about a list.
struct ListInfo {
    std::string dir;
    std::string outlocal, outhost;
    // Whether replies leave out text/bottom; nullopt: dir/omitbottom says (ezmlm-idx 7's
    // -B / -b of ezmlm-manage and ezmlm-get decide otherwise).
    std::optional<bool> omit_bottom;
    [[nodiscard]] std::string address() const { return outlocal + "@" + outhost; }
    // outlocal-suffix@outhost, e.g. command("help") = list-help@host.
    [[nodiscard]] std::string command(const std::string& suffix) const {
        return outlocal + "-" + suffix + "@" + outhost;
    }
};
[[nodiscard]] Result<ListInfo> read_list(const std::string& dir);

// The message number in num ("N" as ezmlm 0.53 writes it, "N:K" as ezmlm-idx does, K
// counting body size in 256-byte units). A missing num means no message yet.
struct Num {
    unsigned long last = 0;
    std::optional<unsigned long> kbytes; // present when the file had ":K"
};
[[nodiscard]] Result<Num> read_num(const std::string& dir);
[[nodiscard]] Status write_num(const std::string& dir, const Num& num);

// archive/<n/100>/<n%100, two digits> (ezmlm(5)).
[[nodiscard]] std::string archive_path(const std::string& dir, unsigned long n);

} // namespace qm::lists
