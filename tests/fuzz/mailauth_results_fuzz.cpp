// Fuzzes the Authentication-Results handling that is ours: finding the fields forged with
// our authserv-id in a message's header, reading a field's authserv-id, writing our field
// from outside text, and control/authcheck's parser.
// Properties: the forged ranges are whole fields of the header, in order, each named
// Authentication-Results; a message with them cut out has none left; our field is one
// header field of printable ASCII whose authserv-id reads back.
#include "fuzz_check.hpp"
#include "qm/mailauth/authentication_results.hpp"
#include "qm/mailauth/inbound.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace {

bool named_results(std::string_view field) {
    constexpr std::string_view name = "authentication-results";
    if (field.size() < name.size())
        return false;
    for (size_t i = 0; i < name.size(); ++i) {
        const char c = field[i];
        const char lower = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
        if (lower != name[i])
            return false;
    }
    return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    // The first line is the authserv-id, the rest the message.
    const size_t nl = input.find('\n');
    const std::string_view id = nl == std::string_view::npos ? input : input.substr(0, nl);
    const std::string_view message =
        nl == std::string_view::npos ? std::string_view() : input.substr(nl + 1);

    const auto ranges = qm::mailauth::forged_results(message, id);
    size_t previous = 0;
    std::string rest;
    for (const auto& [first, last] : ranges) {
        QM_FUZZ_CHECK(first >= previous && first < last && last <= message.size());
        QM_FUZZ_CHECK(first == 0 || message[first - 1] == '\n');
        QM_FUZZ_CHECK(named_results(message.substr(first)));
        rest.append(message.substr(previous, first - previous));
        previous = last;
    }
    rest.append(message.substr(previous));
    QM_FUZZ_CHECK(qm::mailauth::forged_results(rest, id).empty());

    (void)qm::mailauth::authserv_id_of(message);
    (void)qm::mailauth::parse_authcheck(message, "authcheck");

    // Our field from outside text: the id, and the message's first line as every part.
    const std::string outside(message.substr(0, message.find('\n')));
    const std::string field = qm::mailauth::authentication_results_field(
        id, {{outside, outside, outside, {{outside, outside}}}, {"dkim", "none", {}, {}}});
    QM_FUZZ_CHECK(field.ends_with("\n"));
    for (size_t i = 0; i < field.size(); ++i) {
        const char c = field[i];
        QM_FUZZ_CHECK((c >= 0x20 && c < 0x7f) || c == '\t' ||
                      (c == '\n' && (i + 1 == field.size() || field[i + 1] == '\t')));
    }
    const std::string printable_id = [&] {
        std::string s;
        for (const char c : id)
            s += (c >= 0x20 && c < 0x7f) ? c : '?';
        return s;
    }();
    const auto colon = field.find(':');
    if (!printable_id.empty())
        QM_FUZZ_CHECK(qm::mailauth::authserv_id_of(field.substr(colon + 1)) == printable_id);
    return 0;
}
