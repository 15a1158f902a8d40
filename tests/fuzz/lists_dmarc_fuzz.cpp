// Fuzzes the DMARC mitigation's parsers: a TXT record (parse_dmarc_record), a domain
// (organizational_domain) and a post's header (from_domains, munge_from). Any input must
// give an answer, never a crash; a rewritten post must keep its body byte for byte, carry
// the list's address in its From and still read as a post whose From has exactly that
// one address.
#include "fuzz_check.hpp"
#include "qm/lists/post/dmarc.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    (void)qm::lists::parse_dmarc_record(in);
    const std::string org = qm::lists::organizational_domain(in);
    QM_FUZZ_CHECK(org.size() <= in.size());

    qm::lists::ListInfo list;
    list.outlocal = "team";
    list.outhost = "lists.example";
    const qm::lists::ParsedPost post(in);
    (void)qm::lists::from_domains(post);
    if (auto out = qm::lists::munge_from(post, list)) {
        const std::string text = out->text();
        const qm::lists::ParsedPost again(text);
        QM_FUZZ_CHECK(again.body == post.body);
        QM_FUZZ_CHECK(text.find("<team@lists.example>") != std::string::npos);
        QM_FUZZ_CHECK(qm::lists::from_domains(again) == std::vector<std::string>{"lists.example"});
    }
    return 0;
}
