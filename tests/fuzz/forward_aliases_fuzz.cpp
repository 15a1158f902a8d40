// libFuzzer target for the aliases parser (newaliases) and the newinclude and setforward
// grammars: any bytes must compile or fail with a permanent error, and whatever compiles
// must be a well-formed fastforward table that printforward and setforward round-trip.
#include "qm/fwd/aliases.hpp"
#include "qm/fwd/table.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

namespace {

const qm::fwd::Qualify q{"dh.example", "dd.example", "pd.example", "me.example"};

void check_table(const std::vector<qm::fwd::Record>& records) {
    bool has_nul_key = false;
    for (const auto& r : records) {
        if (r.key.empty() || (r.key[0] != ':' && r.key[0] != '?'))
            std::abort();
        if (r.key.find('\0') != std::string::npos)
            has_nul_key = true;
        if (r.key[0] != ':')
            continue;
        // Commands: NUL-terminated, each with a known first byte.
        if (r.data.empty() || r.data.back() != '\0')
            std::abort();
        std::string_view d = r.data;
        while (!d.empty()) {
            auto nul = d.find('\0');
            auto cmd = d.substr(0, nul);
            if (cmd.empty() || std::string_view("&/.|!").find(cmd[0]) == std::string_view::npos)
                std::abort();
            d.remove_prefix(nul + 1);
        }
    }
    if (has_nul_key)
        return; // setforward refuses NUL bytes by design
    std::vector<std::pair<std::string, std::string>> pairs;
    for (const auto& r : records)
        pairs.emplace_back(r.key, r.data);
    auto text = qm::fwd::format_printforward(pairs);
    if (!text)
        std::abort();
    auto back = qm::fwd::parse_setforward(*text);
    if (!back || *back != records)
        std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    std::vector<qm::fwd::Record> records;
    auto r = qm::fwd::compile_aliases(text, "aliases", q,
                                      [&](std::string_view k, std::string_view d) -> qm::Status {
                                          records.push_back({std::string(k), std::string(d)});
                                          return {};
                                      });
    if (r)
        check_table(records);
    else if (!r.error().permanent() || r.error().text.rfind("aliases:", 0) != 0)
        std::abort();

    auto inc = qm::fwd::compile_include(text, "list", q);
    if (inc) {
        auto listed = qm::fwd::format_maillist(*inc);
        if (!listed)
            std::abort();
    } else if (!inc.error().permanent()) {
        std::abort();
    }

    auto sf = qm::fwd::parse_setforward(text);
    if (sf) {
        bool has_nul = false;
        for (const auto& rec : *sf)
            has_nul |= rec.key.find('\0') != std::string::npos;
        if (!has_nul) {
            std::vector<std::pair<std::string, std::string>> pairs;
            for (const auto& rec : *sf)
                pairs.emplace_back(rec.key, rec.data);
            auto printed = qm::fwd::format_printforward(pairs);
            if (!printed)
                std::abort();
            auto again = qm::fwd::parse_setforward(*printed);
            if (!again || *again != *sf)
                std::abort();
        }
    } else if (!sf.error().permanent()) {
        std::abort();
    }
    return 0;
}
