// Fuzzes the web index's reading of one archived message (index_message): any bytes must
// give a record whose every text is valid UTF-8 (the index and the pages built from it
// rely on it) and whose size stays within the limits, under the default limits and under
// tiny ones that make every limit bite; the search text of an HTML part never keeps a
// script's content.
#include "fuzz_check.hpp"
#include "qm/web/index/message.hpp"
#include "qm/web/index/text.hpp"

#include <cstdint>
#include <string_view>

namespace {

void check(std::string_view in, const qm::web::Limits& limits) {
    using qm::web::is_valid_utf8;
    const auto m = qm::web::index_message(in, limits);
    QM_FUZZ_CHECK(m.size == in.size());
    for (const std::string* s :
         {&m.message_id, &m.from_name, &m.from_address, &m.subject, &m.in_reply_to, &m.body_text})
        QM_FUZZ_CHECK(is_valid_utf8(*s));
    QM_FUZZ_CHECK(m.message_id.size() <= 998);
    for (const std::string* s : {&m.from_name, &m.from_address, &m.subject})
        QM_FUZZ_CHECK(s->size() <= limits.field_bytes);
    QM_FUZZ_CHECK(m.body_text.size() <= limits.text_bytes);
    QM_FUZZ_CHECK(m.references.size() <= limits.references);
    for (const auto& r : m.references) {
        QM_FUZZ_CHECK(is_valid_utf8(r));
        QM_FUZZ_CHECK(!r.empty() && r != m.message_id);
    }
    QM_FUZZ_CHECK(m.attachments.size() <= limits.attachments);
    unsigned previous = 0;
    for (const auto& a : m.attachments) {
        QM_FUZZ_CHECK(is_valid_utf8(a.filename));
        QM_FUZZ_CHECK(is_valid_utf8(a.content_type));
        QM_FUZZ_CHECK(a.filename.size() <= limits.field_bytes);
        QM_FUZZ_CHECK(a.part > previous && a.part <= limits.parts);
        QM_FUZZ_CHECK(a.size <= in.size());
        previous = a.part;
    }
    // Nothing is dropped silently: a message beyond a limit says so.
    if (in.size() > limits.message_bytes)
        QM_FUZZ_CHECK(m.truncated);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    check(in, qm::web::Limits{});
    qm::web::Limits tiny;
    tiny.message_bytes = 512;
    tiny.parts = 3;
    tiny.enclosed_depth = 1;
    tiny.text_bytes = 64;
    tiny.references = 2;
    tiny.attachments = 2;
    tiny.field_bytes = 16;
    check(in, tiny);
    const std::string text = qm::web::html_to_text(qm::web::to_utf8(in, "windows-1252"));
    QM_FUZZ_CHECK(qm::web::is_valid_utf8(text));
    QM_FUZZ_CHECK(qm::web::is_valid_utf8(qm::web::decode_header_text(in)));
    return 0;
}
