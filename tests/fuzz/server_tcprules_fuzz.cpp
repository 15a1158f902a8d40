// Fuzzes the tcprules text the admin writes for qmail-smtpd, qmail-qmtpd and qmail-qmqpd
// (compile_rules, as tcprules(1) reads it). Properties: any text compiles or fails with a
// permanent error naming the source and a line; every compiled key is a line's address
// (a range expanded to plain numbers), never holds a NUL or a newline; every data is a
// run of NUL-terminated records: at most one "D", first, then "+VAR=value" with a
// non-empty VAR without '='; compiling is deterministic.
#include "fuzz_check.hpp"
#include "qm/server/tcprules.hpp"

#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto rules = qm::server::compile_rules(text, "rules.txt");
    if (!rules) {
        QM_FUZZ_CHECK(rules.error().severity == qm::Severity::permanent);
        QM_FUZZ_CHECK(rules.error().text.starts_with("rules.txt line "));
        return 0;
    }
    QM_FUZZ_CHECK(rules->size() <= 256 * (size / 2 + 1));
    for (const auto& r : *rules) {
        QM_FUZZ_CHECK(r.key.find_first_of(std::string_view("\0\n:", 3)) == std::string::npos);
        QM_FUZZ_CHECK(text.find(r.key.substr(0, r.key.rfind('.') + 1)) != std::string_view::npos);
        QM_FUZZ_CHECK(r.data.empty() || r.data.back() == '\0');
        std::string_view d = r.data;
        bool first = true;
        while (!d.empty()) {
            const size_t z = d.find('\0');
            const std::string_view rec = d.substr(0, z);
            d.remove_prefix(z + 1);
            if (rec == "D") {
                QM_FUZZ_CHECK(first);
            } else {
                QM_FUZZ_CHECK(rec.starts_with('+'));
                const size_t eq = rec.find('=');
                QM_FUZZ_CHECK(eq != std::string_view::npos && eq > 1);
                QM_FUZZ_CHECK(rec.find('\n') == std::string_view::npos);
            }
            first = false;
        }
    }
    auto again = qm::server::compile_rules(text, "rules.txt");
    QM_FUZZ_CHECK(again && again->size() == rules->size());
    for (size_t i = 0; i < rules->size(); ++i)
        QM_FUZZ_CHECK((*again)[i].key == (*rules)[i].key && (*again)[i].data == (*rules)[i].data);
    return 0;
}
