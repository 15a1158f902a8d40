// libFuzzer target for ezmlm-idx 7's text language (qm/lists/core/text_render.hpp): a
// list's text/ files and its text/messages come from its owner, and by mail through
// ezmlm-manage's edit. Any input must render without a crash; the output must end in a
// newline unless empty and have no more lines than the input (every output line comes
// from one input line; no value here has a newline); the header form must not let the
// target address in (it may not depend on it); a messages entry must be one line.
#include "fuzz_check.hpp"
#include "qm/lists/core/text_render.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    qm::lists::TextValues values;
    values.tags = {{'l', "team"},
                   {'L', "team"},
                   {'h', "lists.example"},
                   {'A', "joe@far.example"},
                   {'R', "team-sc.1700000000.0123456789abcdefghij-joe=far.example@lists.example"}};
    values.derive("team");
    // Flags from the input's first byte, so conditions go both ways.
    const unsigned char seed = size > 0 ? static_cast<unsigned char>(data[0]) : 0;
    const auto flags = [seed](char c) { return ((static_cast<unsigned char>(c) + seed) & 1) != 0; };
    const std::string out = qm::lists::render_ezmlm_text(input, values, flags);
    QM_FUZZ_CHECK(out.empty() || out.back() == '\n');
    size_t input_lines = 1;
    for (char c : input)
        input_lines += c == '\n';
    size_t output_lines = 0;
    for (size_t pos = 0; pos < out.size();) {
        const size_t nl = out.find('\n', pos);
        ++output_lines;
        pos = nl + 1;
    }
    QM_FUZZ_CHECK(output_lines <= input_lines);
    // The header form must not depend on the target's domain (only <#A#> and <#t#> carry
    // it): the same input with another target domain gives the same header. Searching
    // the output for the address instead would be fooled by inputs that spell it out
    // around a vanishing tag ("j<###>oe@far.example").
    qm::lists::TextValues elsewhere = values;
    elsewhere.tags['A'] = "joe@near.example";
    elsewhere.tags['t'] = "joe=near.example";
    QM_FUZZ_CHECK(qm::lists::expand_text_tags(input, values, true) ==
                  qm::lists::expand_text_tags(input, elsewhere, true));
    if (auto entry = qm::lists::messages_entry(input, "SUB_HELP"))
        QM_FUZZ_CHECK(entry->find('\n') == std::string::npos);
    return 0;
}
