// Fuzzes the message renderer (render_message: MIME in, the HTML of a message page's body
// out) with the property the pages rely on: the fragment, parsed by a real HTML5 parser
// (gumbo) between a <div> of ours and a <p> after it, stays inside the <div>, holds only
// allow-listed elements and attributes, and links only to http(s) or the archive's own
// paths (tests/web/html_check.hpp, whose allow-lists are not the sanitizer's). The
// output is valid UTF-8 and bounded by the budget. Seeds: the hostile corpus
// (tests/web/hostile/*.eml).
#include "../web/html_check.hpp"
#include "fuzz_check.hpp"
#include "qm/web/index/text.hpp"
#include "qm/web/server/render.hpp"
#include "qm/web/server/sanitize.hpp"

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace {

void check(std::string_view html) {
    QM_FUZZ_CHECK(qm::web::is_valid_utf8(html));
    const auto problems = webtest::fragment_problems(html);
    for (const auto& p : problems)
        std::fprintf(stderr, "problem: %s\n", p.c_str());
    QM_FUZZ_CHECK(problems.empty());
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    qm::web::server::RenderOptions options;
    options.attachment_base = "/team/m%40x/";
    options.attachments.push_back({2, "a\"<b>.html", "text/html", 10});
    // Smaller than the pages' limits, so that the fuzzer reaches them.
    options.limits.parts = 50;
    qm::web::server::RenderBudget budget{.text_bytes = 64u << 10, .html_tags = 1000};
    const auto r = qm::web::server::render_message(in, options, budget);
    check(r.html);
    // Each part's text is escaped (at most 6 bytes for 1) and the rest is structure.
    // Enclosed messages add their escaped headers (3 fields of at most 2048 bytes).
    QM_FUZZ_CHECK(r.html.size() <= 6 * (64u << 10) + 50 * (48u << 10));
    // The sanitizer alone, on the input taken as HTML.
    const std::string utf8 = qm::web::repair_utf8(in);
    check(qm::web::server::sanitize_html(utf8, {.bytes = 64u << 10, .tags = 1000}).html);
    return 0;
}
