#include "qm/fwd/cli.hpp"

#include "qm/cdb.hpp"
#include "qm/fd.hpp"

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace qm::fwd::cli {

Result<std::vector<std::pair<std::string, std::string>>> read_cdb_fd(int fd) {
    // tinycdb maps a file; a pipe is first copied into an anonymous file.
    UniqueFd copy;
    struct stat st {};
    if (::fstat(fd, &st) != 0)
        return fail(from_errno(errno, "unable to read input"));
    if (!S_ISREG(st.st_mode)) {
        copy.reset(::memfd_create("cdb", MFD_CLOEXEC));
        if (!copy)
            return fail(from_errno(errno, "unable to create temporary file"));
        auto data = read_all(fd);
        if (!data)
            return fail(data.error());
        if (auto w = write_all(copy.get(), *data); !w)
            return fail(w.error());
        fd = copy.get();
    }
    auto db = cdb::Reader::open("/proc/self/fd/" + std::to_string(fd));
    if (!db || !*db)
        return fail(perm("5.3.5", "bad database format"));
    return (*db)->records();
}

Status write_stdout(std::string_view bytes) {
    if (auto r = write_all(1, bytes); !r)
        return fail(temp("4.3.0", "unable to write output: " + r.error().text));
    return {};
}

} // namespace qm::fwd::cli
