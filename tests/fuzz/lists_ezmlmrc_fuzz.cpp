// Fuzzes the ezmlmrc interpreter (ezmlm-make -C): the first two bytes pick flags and
// whether an edit is in progress, the rest is the template. Any input gives steps or a
// permanent failure, never a crash; no step may name anything with a '.' in it (a tag
// with a period is refused, so nothing can climb out of the list directory), every name
// in the list directory starts with '/', and a write's text is whole lines.
#include "fuzz_check.hpp"
#include "qm/lists/manage/ezmlmrc.hpp"

#include <cstdint>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
    if (size < 2)
        return 0;
    qm::lists::EzmlmrcValues v;
    for (size_t i = 0; i < 8; ++i)
        v.flags[i * 3 % 26] = (data[0] >> i) & 1;
    v.edit = data[1] & 1;
    v.force = data[1] & 2;
    if (data[1] & 4)
        v.args[3] = "From: x@y";
    v.bin = "/bin";
    v.dir = "/d";
    v.dot = "/h/.qmail-a-b-c";
    v.local = "l";
    v.host = "h";
    const std::string_view text(reinterpret_cast<const char*>(data) + 2, size - 2);
    auto script = qm::lists::interpret_ezmlmrc(
        text, v, [&](const std::string& name) { return (name.size() + data[1]) % 3 == 0; });
    if (!script) {
        QM_FUZZ_CHECK(script.error().permanent());
        return 0;
    }
    using Kind = qm::lists::EzmlmrcStep::Kind;
    for (const auto& step : script->steps) {
        QM_FUZZ_CHECK(step.name.find('.') == std::string::npos);
        QM_FUZZ_CHECK(step.target.find('.') == std::string::npos);
        if (step.kind == Kind::link)
            QM_FUZZ_CHECK(step.target.starts_with('/'));
        else
            QM_FUZZ_CHECK(step.name.starts_with('/'));
        if (step.kind == Kind::write)
            QM_FUZZ_CHECK(step.text.empty() || step.text.back() == '\n');
        else
            QM_FUZZ_CHECK(step.text.empty());
    }
    return 0;
}
