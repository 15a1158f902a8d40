#include "ezmlm_idx.hpp"

#include "support.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string_view>

namespace fs = std::filesystem;

namespace qmtest {

namespace {

constexpr const char* version = "ezmlm-idx-7.2.2";

std::string tarball() {
    return std::string(QM_PEERS_DIR) + "/" + version + ".tar.gz";
}

// A program on PATH, as the build's shell finds it.
bool on_path(std::string_view name) {
    const char* path = std::getenv("PATH");
    std::string_view dirs = path != nullptr ? path : "/usr/bin:/bin";
    while (true) {
        const auto colon = dirs.find(':');
        const std::string dir(dirs.substr(0, colon));
        if (!dir.empty() && ::access((dir + "/" + std::string(name)).c_str(), X_OK) == 0)
            return true;
        if (colon == std::string_view::npos)
            return false;
        dirs.remove_prefix(colon + 1);
    }
}

// ezmlm-idx's own build, in sh: its conf-* files name the directory it is installed in
// (compiled into its programs), -fcommon lets gcc 12 link its tentative definitions, and
// an empty tests/ part stands in for its test suite, which the tarball leaves out but its
// makemake expects. "make it" leaves out the shell-script programs; they are made by name.
// Everything is readable by all: as root, the tests run the programs as the test user.
constexpr const char* build_script = R"SH(
set -eu
cd "$KEY"
mkdir src
tar -xzf "$TARBALL" -C src --strip-components=1
cd src
echo "$KEY/bin" > conf-bin
echo "$KEY/etc" > conf-etc
echo "$KEY/lib" > conf-lib
echo "$KEY/man" > conf-man
echo "$KEY/no-qmailhome" > conf-qmail
sed -i '1s/$/ -fcommon/' conf-cc
mkdir -p tests
: > tests/00-none
touch TARGETS Makefile
python3 tools/makemake
scripts=$(for s in bin/*=s; do echo "${s%=s}"; done)
nice make -j2 it installer $scripts
mkdir -p "$KEY/bin" "$KEY/etc" "$KEY/lib"
./installer "$KEY/bin" < BIN
./installer "$KEY/etc" < ETC
./installer "$KEY/lib" < LIB
ln -s en_US "$KEY/etc/default"
chmod -R go+rX "$KEY"
)SH";

std::string tarball_key() {
    auto r = run({"/bin/sh", "-c", "sha256sum < \"$0\"", tarball()});
    if (r.exit_code != 0 || r.out.size() < 16)
        throw std::runtime_error("cannot hash " + tarball() + ": " + r.err);
    return r.out.substr(0, 16);
}

// Holds an exclusive flock on path while it lives.
class FileLock {
public:
    explicit FileLock(const std::string& path)
        : fd_(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644)) {
        if (fd_ < 0)
            throw std::runtime_error("cannot open " + path);
        while (::flock(fd_, LOCK_EX) != 0)
            if (errno != EINTR)
                throw std::runtime_error("cannot lock " + path);
    }
    ~FileLock() { ::close(fd_); }
    FileLock(const FileLock&) = delete;
    FileLock& operator=(const FileLock&) = delete;

private:
    int fd_;
};

std::string build_once() {
    const std::string top = std::string(QM_PEER_CACHE_DIR) + "/" + version;
    const std::string key = top + "/" + tarball_key();
    const std::string done = key + "/built";
    if (fs::exists(done))
        return key;
    fs::create_directories(top);
    FileLock lock(top + ".lock");
    // Another test process may have built it while this one waited.
    if (fs::exists(done))
        return key;
    // A build interrupted half-way, and builds of other tarballs, go.
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(top, ec))
        fs::remove_all(e.path(), ec);
    fs::create_directories(key);
    auto r = run({"/bin/sh", "-c", build_script},
                 {.env = {{"KEY", key}, {"TARBALL", tarball()}}, .cwd = key});
    spit(key + "/build.log", r.out + r.err);
    if (r.exit_code != 0) {
        const std::string log = r.out + r.err;
        throw std::runtime_error(
            "building " + std::string(version) + " failed (" + key +
            "/build.log): " + log.substr(log.size() > 3000 ? log.size() - 3000 : 0));
    }
    spit(done, tarball() + "\n");
    return key;
}

} // namespace

std::optional<std::string> ezmlm_idx_unavailable() {
    if (!fs::exists(tarball()))
        return "no " + tarball() + " to build the real ezmlm-idx from";
    for (const char* tool : {"gcc", "cc", "make", "python3", "tar", "sha256sum"})
        if (!on_path(tool))
            return std::string("no ") + tool + " to build the real ezmlm-idx with";
    return std::nullopt;
}

const EzmlmIdx& ezmlm_idx() {
    static const EzmlmIdx peer(build_once());
    return peer;
}

bool skip_without_ezmlm_idx() {
    if (auto why = ezmlm_idx_unavailable()) {
        skip(*why);
        return true;
    }
    return false;
}

} // namespace qmtest
