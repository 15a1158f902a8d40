// A list directory in ezmlm's layout (ezmlm(5)): one small file per setting, flags as
// files whose presence means "on", and dir/lock as the one lock every writer of the
// subscriber store, the archive and num takes.
#pragma once

#include "qm/fd.hpp"
#include "qm/result.hpp"

#include <optional>
#include <string>
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
// Every non-empty line of dir/name; a missing file gives an empty list.
[[nodiscard]] Result<std::vector<std::string>> read_lines(const std::string& dir,
                                                          const std::string& name);
// True if dir/name exists (a flag file such as public, archived, modpost).
[[nodiscard]] bool has_flag(const std::string& dir, const std::string& name);

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
