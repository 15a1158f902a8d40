// Fuzzes what a dynasub agent reads from the network: a message to a sublist, with the
// first line as its envelope sender, classified for every list manager (classify), the
// manager recognised from its headers (recognise_manager), the list a reader's sample post
// names (list_of_sample: header, return paths, message/rfc822 parts), a List-Subscribe value
// (mailto_of_list_field), and an agent state file (parse_agent). Any input gives an
// answer; an answer to a confirmation only ever goes to the remote list's host (or its
// robot there), and a sender on another host is always a stranger.
#include "fuzz_check.hpp"
#include "qm/dynasub/agent.hpp"
#include "qm/dynasub/remote_list.hpp"

#include <cstdint>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
    using namespace qm::dynasub;
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    const size_t nl = in.find('\n');
    const std::string_view sender = nl == std::string_view::npos ? in : in.substr(0, nl);
    const std::string_view message =
        nl == std::string_view::npos ? std::string_view{} : in.substr(nl + 1);
    const qm::lists::ParsedPost post(message);
    const std::string self = "dynasub-r-abcdefghijkl@this.test";
    for (Manager m : {Manager::ezmlm, Manager::mlmmj, Manager::mailman3, Manager::mailman2,
                      Manager::sympa, Manager::majordomo}) {
        const RemoteList list{"rl", "remote.test", m, m == Manager::mlmmj ? '+' : '-'};
        const Incoming got = classify(list, self, sender, post);
        const bool confirm = got.kind == Kind::confirm_join || got.kind == Kind::confirm_leave;
        QM_FUZZ_CHECK(confirm == got.answer.has_value());
        if (got.answer) {
            const std::string& to = got.answer->to;
            const size_t at = to.rfind('@');
            QM_FUZZ_CHECK(at != std::string::npos);
            std::string host = to.substr(at + 1);
            for (char& c : host)
                c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
            QM_FUZZ_CHECK(host == "remote.test");
            QM_FUZZ_CHECK(to.find('\n') == std::string::npos);
            QM_FUZZ_CHECK(got.answer->subject.find('\n') == std::string::npos);
        }
        const size_t sat = sender.rfind('@');
        std::string sender_host =
            sat == std::string_view::npos ? std::string() : std::string(sender.substr(sat + 1));
        for (char& c : sender_host)
            c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
        if (!sender.empty() && sender != "#@[]" && sender_host != "remote.test" &&
            got.kind != Kind::unknown)
            QM_FUZZ_CHECK(got.kind == Kind::stranger);
    }
    (void)recognise_manager("rl", post);
    if (auto sample = list_of_sample(message)) {
        // A list address, one line, with a local part and a host.
        const size_t at = sample->address.rfind('@');
        QM_FUZZ_CHECK(at != std::string::npos && at > 0 && at + 1 < sample->address.size());
        QM_FUZZ_CHECK(sample->address.find('\n') == std::string::npos);
    }
    if (auto o = mailto_of_list_field(in))
        QM_FUZZ_CHECK(o->to.find('@') != std::string::npos);
    if (auto a = parse_agent(in, "state"))
        QM_FUZZ_CHECK(parse_agent(format_agent(*a), "state").has_value());
    return 0;
}
