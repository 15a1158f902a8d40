// Fuzzes the files that say who receives local mail: users/assign (parse_assign, what
// qmail-newu compiles), the users/cdb lookup qmail-lspawn makes over the compiled records
// (lookup_users), and qmail-pw2u over a passwd file and its optional users/ files.
// Properties: a parsed table's records are "!local\0" or "!prefix" keys with six
// NUL-separated fields and numeric ids; looking up the local part of any "=" record finds
// exactly the first record with that key; a failure is permanent and names the file;
// whatever pw2u writes, parse_assign reads.
//
// Input: the bytes up to the first "\n%%\n" are users/assign and the passwd file; later
// sections, when present, are users/include, exclude, mailnames, subusers and append.
#include "fuzz_check.hpp"
#include "qm/local/pw2u.hpp"
#include "qm/local/users.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

std::vector<std::string_view> sections(std::string_view in) {
    std::vector<std::string_view> out;
    for (;;) {
        const size_t sep = in.find("\n%%\n");
        if (sep == std::string_view::npos) {
            out.push_back(in);
            return out;
        }
        out.push_back(in.substr(0, sep + 1));
        in.remove_prefix(sep + 4);
    }
}

std::vector<std::string_view> split_nul(std::string_view v) {
    std::vector<std::string_view> f;
    for (;;) {
        const size_t z = v.find('\0');
        f.push_back(v.substr(0, z));
        if (z == std::string_view::npos)
            return f;
        v.remove_prefix(z + 1);
    }
}

void check_assign(std::string_view text) {
    auto table = qm::local::parse_assign(text, "users/assign");
    if (!table) {
        QM_FUZZ_CHECK(table.error().text.find("users/assign line ") != std::string::npos);
        QM_FUZZ_CHECK(table.error().severity == qm::Severity::permanent);
        return;
    }
    // cdb's find gives the first record of a key.
    std::map<std::string, std::string, std::less<>> cdb;
    for (const auto& r : table->records) {
        QM_FUZZ_CHECK(r.key.starts_with('!'));
        QM_FUZZ_CHECK(r.key.find('\0') == std::string::npos ||
                      r.key.find('\0') == r.key.size() - 1);
        const auto f = split_nul(r.value);
        QM_FUZZ_CHECK(f.size() == 6);
        QM_FUZZ_CHECK(!f[1].empty() &&
                      f[1].find_first_not_of("0123456789") == std::string_view::npos);
        QM_FUZZ_CHECK(!f[2].empty() &&
                      f[2].find_first_not_of("0123456789") == std::string_view::npos);
        cdb.emplace(r.key, r.value);
    }
    for (char c : table->wildchars)
        QM_FUZZ_CHECK(std::count(table->wildchars.begin(), table->wildchars.end(), c) == 1);
    cdb.emplace("", table->wildchars);
    const qm::local::CdbFind find = [&](std::string_view key) -> std::optional<std::string> {
        auto it = cdb.find(key);
        if (it == cdb.end())
            return std::nullopt;
        return it->second;
    };
    for (const auto& [key, value] : cdb) {
        if (key.empty() || key.back() != '\0')
            continue;
        const std::string_view local = std::string_view(key).substr(1, key.size() - 2);
        auto r = qm::local::lookup_users(find, local);
        QM_FUZZ_CHECK(r && *r);
        const auto f = split_nul(value);
        QM_FUZZ_CHECK((*r)->user == f[0] && (*r)->home == f[3] && (*r)->dash == f[4] &&
                      (*r)->ext == f[5]);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    const auto parts = sections(in);
    check_assign(parts[0]);

    qm::local::Pw2uOptions opt;
    opt.home = qm::local::Pw2uOptions::Home::ignore; // no stat of the fuzzer's paths
    opt.allow_uppercase = size % 2;
    opt.slash = size % 3 == 0;
    opt.conf_break = size % 5 == 0 ? '\0' : '-';
    qm::local::Pw2uFiles files;
    std::optional<std::string>* slots[] = {&files.include, &files.exclude, &files.mailnames,
                                           &files.subusers, &files.append};
    for (size_t i = 1; i < parts.size() && i <= 5; ++i)
        *slots[i - 1] = std::string(parts[i]);
    auto assign = qm::local::pw2u(parts[0], opt, files);
    if (assign) {
        QM_FUZZ_CHECK(assign->ends_with(".\n"));
        // The append file is copied as it is; what pw2u wrote itself must parse.
        if (!files.append)
            QM_FUZZ_CHECK(qm::local::parse_assign(*assign));
    }
    return 0;
}
