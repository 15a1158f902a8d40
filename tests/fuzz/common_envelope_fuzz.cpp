// Fuzzes qmail-queue's envelope parser (the bytes a client writes on fd 1): a decoded
// envelope re-encodes to exactly its input, failures carry one of qmail-queue's envelope
// exit codes, and any envelope we build (addresses without NUL, within qmail-queue's
// length limit) survives encode then decode unchanged.
#include "fuzz_check.hpp"
#include "qm/envelope.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);

    auto r = qm::decode_envelope(in);
    if (r) {
        QM_FUZZ_CHECK(qm::encode_envelope(*r) == in);
        QM_FUZZ_CHECK(r->sender.size() <= qm::max_envelope_address);
        QM_FUZZ_CHECK(r->sender.find('\0') == std::string::npos);
        for (const auto& rcpt : r->recipients) {
            QM_FUZZ_CHECK(rcpt.size() <= qm::max_envelope_address);
            QM_FUZZ_CHECK(rcpt.find('\0') == std::string::npos);
        }
    } else {
        const auto code = r.error().code;
        QM_FUZZ_CHECK(code == qm::QueueExit::address_too_long ||
                      code == qm::QueueExit::read_error || code == qm::QueueExit::envelope_format);
        // 11 is permanent, 54 and 91 temporary, as the callers translate them.
        QM_FUZZ_CHECK(qm::queue_exit_failure(static_cast<int>(code)).permanent() ==
                      (code == qm::QueueExit::address_too_long));
    }

    // Build an envelope from the input: lines are addresses (the first is the sender),
    // NULs dropped and each address cut to the limit.
    qm::Envelope env;
    std::string cur;
    bool have_sender = false;
    auto flush = [&] {
        if (cur.size() > qm::max_envelope_address)
            cur.resize(qm::max_envelope_address);
        if (!have_sender) {
            env.sender = cur;
            have_sender = true;
        } else {
            env.recipients.push_back(cur);
        }
        cur.clear();
    };
    for (char c : in) {
        if (c == '\n')
            flush();
        else if (c != '\0')
            cur += c;
    }
    flush();
    auto back = qm::decode_envelope(qm::encode_envelope(env));
    QM_FUZZ_CHECK(back);
    QM_FUZZ_CHECK(back->sender == env.sender);
    QM_FUZZ_CHECK(back->recipients == env.recipients);
    return 0;
}
