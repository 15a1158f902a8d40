// Fuzzes ARC's wire format, which is ours (qm/dkim/canon.hpp, qm/dkim/arc.hpp): the
// split into header fields and body, RFC 6376's canonicalizations, tag lists, the b=
// blanking, the ARC chain's parser, the Authentication-Results result reader, and a seal
// over the input.
// Properties: relaxed and simple canonicalization are idempotent and give the same bytes
// for LF and CRLF line ends; the chain's fields are fields of the message and a
// well-formed chain has the sets 1..n; blanking b= leaves a tag list whose b= is empty;
// the input sealed (behind our Authentication-Results field) with a key read from a file
// validates with that key's record and no DNS, and fails once a line is added to it.
#include "fuzz_check.hpp"
#include "qm/dkim/arc.hpp"
#include "qm/dkim/canon.hpp"
#include "qm/dkim/keys.hpp"
#include "qm/mailauth/authentication_results.hpp"

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>

namespace {

qm::dkim::SigningKey key;
std::string record;

const qm::dkim::TxtLookup lookup =
    [](const std::string& name) -> qm::Result<std::vector<std::string>> {
    if (name == "fz._domainkey.fuzz.example")
        return std::vector<std::string>{record};
    return std::vector<std::string>{};
};

std::string with_crlf(std::string_view s) {
    std::string out;
    for (const char c : s) {
        if (c == '\n')
            out += '\r';
        out += c;
    }
    return out;
}

std::string_view without_line_end(std::string_view canonical) {
    return canonical.substr(0, canonical.size() - 2);
}

bool inside(std::string_view part, std::string_view whole) {
    return part.empty() || (part.data() >= whole.data() &&
                            part.data() + part.size() <= whole.data() + whole.size());
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    // RSA-1024 made once and read back from a file, as remote delivery reads its keys.
    auto pair = qm::dkim::generate_key(qm::dkim::Algorithm::rsa_sha256, 1024);
    if (!pair)
        std::abort();
    char dir[] = "/tmp/dkim_arc_fuzz.XXXXXX";
    if (::mkdtemp(dir) == nullptr)
        std::abort();
    const std::string path = std::string(dir) + "/fz.key";
    std::ofstream(path) << pair->private_pem;
    auto loaded = qm::dkim::load_signing_key("fuzz.example", "fz", path);
    if (!loaded)
        std::abort();
    key = *loaded;
    record = pair->txt;
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const bool has_cr = input.find('\r') != std::string_view::npos;

    // Canonicalization.
    const auto parts = qm::dkim::split_message(input);
    QM_FUZZ_CHECK(inside(parts.body, input));
    std::string relaxed_fields;
    for (const auto field : parts.fields) {
        QM_FUZZ_CHECK(inside(field, input));
        const std::string relaxed = qm::dkim::relaxed_header(field);
        QM_FUZZ_CHECK(relaxed.ends_with("\r\n"));
        QM_FUZZ_CHECK(qm::dkim::relaxed_header(without_line_end(relaxed)) == relaxed);
        relaxed_fields += relaxed;
    }
    const std::string relaxed_body = qm::dkim::relaxed_body(parts.body);
    QM_FUZZ_CHECK(qm::dkim::relaxed_body(relaxed_body) == relaxed_body);
    QM_FUZZ_CHECK(relaxed_body.empty() || relaxed_body.ends_with("\r\n"));
    const std::string simple_body = qm::dkim::simple_body(parts.body);
    QM_FUZZ_CHECK(qm::dkim::simple_body(simple_body) == simple_body);
    if (!has_cr) {
        // The queue's LF and the wire's CRLF canonicalize alike.
        const std::string crlf = with_crlf(input);
        const auto wire = qm::dkim::split_message(crlf);
        QM_FUZZ_CHECK(wire.fields.size() == parts.fields.size());
        std::string wire_fields;
        for (size_t i = 0; i < wire.fields.size(); ++i) {
            wire_fields += qm::dkim::relaxed_header(wire.fields[i]);
            QM_FUZZ_CHECK(qm::dkim::simple_header(wire.fields[i]) ==
                          qm::dkim::simple_header(parts.fields[i]));
        }
        QM_FUZZ_CHECK(wire_fields == relaxed_fields);
        QM_FUZZ_CHECK(qm::dkim::relaxed_body(wire.body) == relaxed_body);
        QM_FUZZ_CHECK(qm::dkim::simple_body(wire.body) == simple_body);
    }

    // Tag lists and b=.
    for (const auto field : parts.fields) {
        const size_t colon = field.find(':');
        if (colon == std::string_view::npos)
            continue;
        const auto tags = qm::dkim::parse_tags(field.substr(colon + 1));
        if (!tags || !qm::dkim::tag_value(*tags, "b"))
            continue;
        const std::string blank = qm::dkim::without_signature(field);
        const auto again = qm::dkim::parse_tags(std::string_view(blank).substr(colon + 1));
        QM_FUZZ_CHECK(again);
        QM_FUZZ_CHECK(qm::dkim::tag_value(*again, "b") == "");
    }
    (void)qm::mailauth::method_result(input, "arc");

    // The chain's structure.
    const auto chain = qm::dkim::parse_arc_chain(input);
    for (size_t i = 0; i < chain.sets.size(); ++i) {
        QM_FUZZ_CHECK(inside(chain.sets[i].results, input));
        QM_FUZZ_CHECK(inside(chain.sets[i].signature, input));
        QM_FUZZ_CHECK(inside(chain.sets[i].seal, input));
        QM_FUZZ_CHECK(i == 0 || chain.sets[i - 1].instance < chain.sets[i].instance);
        if (chain.well_formed)
            QM_FUZZ_CHECK(chain.sets[i].instance == i + 1);
    }
    if (chain.well_formed)
        QM_FUZZ_CHECK(chain.sets.size() == chain.highest && chain.highest <= 50);

    // A seal over the input validates with the key's record alone.
    const std::string message =
        "Authentication-Results: mx.fuzz.example; spf=pass\n" + std::string(input);
    const auto before = qm::dkim::parse_arc_chain(message);
    auto set = qm::dkim::arc_seal(message, key, "mx.fuzz.example", lookup, 1765036800);
    QM_FUZZ_CHECK(set);
    if (before.highest != 0 || !before.well_formed)
        return 0; // the input brought ARC fields: whether it is sealed depends on them
    QM_FUZZ_CHECK(set->starts_with("ARC-Seal: i=1; a=rsa-sha256; t=1765036800; cv=none;"));
    const std::string sealed = *set + message;
    const auto check = qm::dkim::validate_arc_chain(sealed, lookup, 1765036800);
    if (check.status != qm::dkim::ChainStatus::pass) {
        std::fprintf(stderr, "validate: %s\n", check.reason.c_str());
        QM_FUZZ_CHECK(check.status == qm::dkim::ChainStatus::pass);
    }
    // A line added at the end is a change: "\n\n" makes sure it is in a body, and the
    // body's canonical form then ends in that line.
    const auto changed = qm::dkim::validate_arc_chain(sealed + "\n\nmore\n", lookup, 1765036800);
    QM_FUZZ_CHECK(changed.status == qm::dkim::ChainStatus::fail);
    return 0;
}
