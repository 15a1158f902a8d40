// Fuzzes the archive's wire formats: the index entry ezmlm-send makes from any message
// (subject normalisation, MIME words, author name and hash), index files as ezmlm-get
// reads them, and the ezmlm-get request syntax. Any input must give a result, never a
// crash; hashes are 20 letters a-p; an entry made from a message reads back unchanged
// from its two index lines; parsing what format_index_entry wrote is stable.
#include "fuzz_check.hpp"
#include "qm/lists/archive/archive_index.hpp"
#include "qm/lists/archive/get.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

bool is_hash(std::string_view h) {
    if (h.size() != qm::lists::index_hash_length)
        return false;
    for (char c : h)
        if (c < 'a' || c > 'p')
            return false;
    return true;
}

void entry_round_trip(std::string_view in) {
    // The first line, if short, doubles as a list prefix.
    const auto nl = in.find('\n');
    const std::string_view prefix = nl != std::string_view::npos && nl < 20 ? in.substr(0, nl) : "";
    const auto e = qm::lists::make_index_entry(42, qm::lists::ParsedPost(in), prefix);
    QM_FUZZ_CHECK(is_hash(e.subject_hash));
    QM_FUZZ_CHECK(is_hash(e.author_hash));
    const std::string lines = qm::lists::format_index_entry(e);
    size_t count = 0;
    for (char c : lines) {
        QM_FUZZ_CHECK(c != '\0');
        count += c == '\n' ? 1 : 0;
    }
    QM_FUZZ_CHECK(count == 2);
    const auto back = qm::lists::parse_index(lines);
    QM_FUZZ_CHECK(back.size() == 1);
    QM_FUZZ_CHECK(back[0].number == 42);
    QM_FUZZ_CHECK(back[0].subject_hash == e.subject_hash);
    QM_FUZZ_CHECK(back[0].subject == e.subject);
    QM_FUZZ_CHECK(back[0].date == e.date);
    QM_FUZZ_CHECK(back[0].author_hash == e.author_hash);
    QM_FUZZ_CHECK(back[0].author == e.author);
}

void index_file(std::string_view in) {
    const auto entries = qm::lists::parse_index(in);
    std::string again;
    for (const auto& e : entries) {
        QM_FUZZ_CHECK(e.number != 0);
        again += qm::lists::format_index_entry(e);
    }
    const auto twice = qm::lists::parse_index(again);
    QM_FUZZ_CHECK(twice.size() == entries.size());
    std::string third;
    for (const auto& e : twice)
        third += qm::lists::format_index_entry(e);
    QM_FUZZ_CHECK(third == again);
}

void request(std::string_view in) {
    const auto r = qm::lists::parse_request(in, std::string_view("code"));
    if (!r) {
        QM_FUZZ_CHECK(r.error().permanent());
        return;
    }
    const auto range = qm::lists::get_range(r->first, r->second, 1000, 500);
    QM_FUZZ_CHECK(range.from >= 1 && range.from <= range.to && range.to <= 1000);
    QM_FUZZ_CHECK(range.to - range.from < qm::lists::max_get);
    const auto blocks = qm::lists::index_blocks(r->first, r->second, 1000);
    QM_FUZZ_CHECK(blocks.from <= blocks.to && blocks.to <= 10);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    entry_round_trip(in);
    index_file(in);
    request(in);
    (void)qm::lists::author_name(in);
    return 0;
}
