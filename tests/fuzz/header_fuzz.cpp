// Fuzzes qmail-inject's header handling: the RFC 822 tokenizer, address-list splitting,
// address rewriting and the whole header fix (prepare). Any input must give a value or a
// permanent failure, never a crash; printed tokens must read back as the same tokens; the
// envelope must never carry a NUL byte; the fixed message must end in a newline.
#include "fuzz_check.hpp"
#include "qm/inject/address_list.hpp"
#include "qm/inject/header.hpp"
#include "qm/inject/inject.hpp"
#include "qm/inject/rewrite.hpp"
#include "qm/inject/token822.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

const qm::inject::Settings& settings() {
    static const qm::inject::Settings s = [] {
        qm::inject::Settings x;
        x.domains = {"host.example", "dom.example", "plus.example"};
        x.idhost = "id.example";
        x.user = "fuzz";
        x.sender_user = "fuzz";
        x.fullname = "F. Uzz";
        x.mft = std::vector<std::string>{"list@l.example"};
        x.now = 812090814;
        x.pid = 1;
        return x;
    }();
    return s;
}

bool has_nul(std::string_view s) {
    return s.find('\0') != std::string_view::npos;
}

void tokens_and_lists(std::string_view in) {
    auto t = qm::inject::tokenize(in);
    if (!t) {
        QM_FUZZ_CHECK(t.error().permanent());
        return;
    }
    const std::string printed = qm::inject::unparse(*t);
    QM_FUZZ_CHECK(!printed.empty() && printed.back() == '\n');
    auto again = qm::inject::tokenize(printed);
    QM_FUZZ_CHECK(again);
    QM_FUZZ_CHECK(*again == *t);

    auto pieces = qm::inject::split_address_list(*t);
    if (!pieces) {
        QM_FUZZ_CHECK(pieces.error().permanent());
        return;
    }
    auto same = qm::inject::join_pieces(*pieces, [](const qm::inject::Tokens& a) { return a; });
    QM_FUZZ_CHECK(same.size() >= t->size()); // only commas are ever inserted

    static const auto rw = qm::inject::Rewriter::make(settings().domains);
    QM_FUZZ_CHECK(rw);
    auto rewritten = rw->list(*t);
    QM_FUZZ_CHECK(rewritten);
    QM_FUZZ_CHECK(qm::inject::tokenize(qm::inject::unparse(*rewritten)));

    auto list = qm::inject::parse_address_list(in);
    QM_FUZZ_CHECK(list);
    for (const auto& a : *list)
        QM_FUZZ_CHECK(!has_nul(a.address) || has_nul(in));
}

void message(std::string_view in) {
    auto split = qm::inject::split_message(in);
    for (const std::string& f : split.fields) {
        QM_FUZZ_CHECK(!f.empty() && f.back() == '\n');
        QM_FUZZ_CHECK(qm::inject::valid_field_start(f) || f.starts_with("MBOX-Line: "));
        (void)qm::inject::unfold(qm::inject::field_value(f));
    }
    QM_FUZZ_CHECK(split.body.empty() || split.body.front() == '\n');

    qm::inject::Options opt;
    opt.source = qm::inject::RecipientSource::both;
    opt.recipients = {"arg@a.example"};
    auto p = qm::inject::prepare(in, opt, settings());
    if (!p) {
        QM_FUZZ_CHECK(p.error().permanent());
        return;
    }
    QM_FUZZ_CHECK(!p->message.empty() && p->message.back() == '\n');
    QM_FUZZ_CHECK(!has_nul(p->envelope.sender));
    QM_FUZZ_CHECK(!p->envelope.recipients.empty());
    for (const std::string& r : p->envelope.recipients)
        QM_FUZZ_CHECK(!r.empty() && !has_nul(r));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    tokens_and_lists(in);
    message(in);
    return 0;
}
