// Fuzzes ezmlm-archive's reading of index files and of its own earlier files: the input
// is an index file (archive/0/index; after a line "--threads--", the rest is an earlier
// thread file for every month of 2017). Any input must end in the files written or a
// permanent failure (a bad index), never a crash, a temporary failure or a file outside
// the archive; a second run right after has nothing to do.
#include "fuzz_check.hpp"
#include "qm/lists/archive/thread_index.hpp"

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace fs = std::filesystem;

namespace {

const std::string& scratch() {
    static const std::string dir = [] {
        std::string t = (fs::temp_directory_path() / "qm-thread-index-fuzz.XXXXXX").string();
        QM_FUZZ_CHECK(::mkdtemp(t.data()) != nullptr);
        return t;
    }();
    return dir;
}

void spit(const std::string& path, std::string_view text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
}

size_t count_files(const std::string& dir) {
    size_t n = 0;
    for (const auto& e : fs::recursive_directory_iterator(dir))
        n += e.is_regular_file() ? 1 : 0;
    return n;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    const std::string list = scratch() + "/l";
    fs::remove_all(list);
    fs::create_directories(list + "/archive/0");
    fs::create_directories(list + "/archive/threads");
    const auto split = in.find("--threads--\n");
    spit(list + "/archive/0/index", in.substr(0, split));
    if (split != std::string_view::npos)
        for (int month = 201701; month <= 201712; ++month)
            spit(list + "/archive/threads/" + std::to_string(month), in.substr(split + 12));
    spit(list + "/num", "120:1\n");
    const size_t outside = count_files(list) - count_files(list + "/archive");
    const auto first = qm::lists::update_thread_index(list, {});
    if (!first) {
        QM_FUZZ_CHECK(first.error().permanent());
        return 0;
    }
    // Besides num, the locks and archnum, everything is under the archive.
    QM_FUZZ_CHECK(count_files(list) - count_files(list + "/archive") == outside + 2);
    QM_FUZZ_CHECK(fs::exists(list + "/archnum"));
    const auto second = qm::lists::update_thread_index(list, {});
    QM_FUZZ_CHECK(second.has_value() && second->inconsistency.empty());
    return 0;
}
