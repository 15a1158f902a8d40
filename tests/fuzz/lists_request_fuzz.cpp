// Fuzzes what ezmlm-request reads from mail (the command in a Subject or body line, and a
// whole message) and ezmlm-idx -d's reading of Date: fields. Any input gives a result or
// a permanent refusal, never a crash; a command that is taken makes an address of one
// '@' and only the characters ezmlm-idx 7 allows in one, so nothing from the mail can
// reach the queue unquoted.
#include "fuzz_check.hpp"
#include "qm/lists/archive/archive_index.hpp"
#include "qm/lists/core/parsed_post.hpp"
#include "qm/lists/manage/request.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace {

bool clean_address(const std::string& to) {
    size_t ats = 0;
    for (char c : to) {
        ats += c == '@' ? 1 : 0;
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_' || c == '+' ||
                        c == '=' || c == '@';
        if (!ok)
            return false;
    }
    return ats == 1;
}

void check(const qm::Result<qm::lists::RequestCommand>& r) {
    if (!r) {
        QM_FUZZ_CHECK(r.error().permanent());
        return;
    }
    const std::string to =
        qm::lists::request_target(*r, "dave@far.example", "list", "lists.example");
    QM_FUZZ_CHECK(clean_address(to));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    check(qm::lists::parse_request_line(in, "list"));
    check(
        qm::lists::request_from_message(qm::lists::ParsedPost(in), "list",
                                        "Delivered-To: request processor for list@lists.example"));
    const std::string date = qm::lists::index_date_from_date_field(in);
    QM_FUZZ_CHECK(date.find('\n') == std::string::npos);
    return 0;
}
