#include "qm/send/records.hpp"

#include <charconv>

namespace qm::send {

Result<TodoEntry> parse_todo(std::string_view bytes) {
    std::vector<std::string> recipients;
    auto e = parse_todo(bytes, [&](std::string_view r) { recipients.emplace_back(r); });
    if (e)
        e->recipients = std::move(recipients);
    return e;
}

Result<TodoEntry> parse_todo(std::string_view bytes,
                             const std::function<void(std::string_view)>& on_recipient) {
    TodoEntry e;
    bool have_sender = false;
    while (!bytes.empty()) {
        auto nul = bytes.find('\0');
        if (nul == std::string_view::npos)
            return fail(perm("5.3.0", "envelope record without its terminating NUL"));
        std::string_view rec = bytes.substr(0, nul);
        bytes.remove_prefix(nul + 1);
        if (rec.empty())
            continue; // qmail-queue's envelope terminator, harmless if present
        const std::string_view v = rec.substr(1);
        switch (rec.front()) {
        case 'u':
            e.uid = v;
            break;
        case 'p':
            e.pid = v;
            break;
        case 'F':
            e.sender = v;
            have_sender = true;
            break;
        case 'T':
            on_recipient(v);
            break;
        case 'j': {
            std::uint64_t id = 0;
            auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), id);
            if (ec != std::errc() || end != v.data() + v.size() || id == 0)
                return fail(perm("5.3.0", "bad journal id in envelope"));
            e.journal_id = id;
            break;
        }
        default:
            return fail(perm("5.3.0", "unknown record type in envelope"));
        }
    }
    if (!have_sender)
        return fail(perm("5.3.0", "envelope has no sender record"));
    return e;
}

std::vector<ChannelRecord> parse_channel(std::string_view bytes) {
    std::vector<ChannelRecord> out;
    for_each_channel_record(bytes, [&](size_t offset, bool done, std::string_view address) {
        out.push_back({static_cast<off_t>(offset), done, std::string(address)});
    });
    return out;
}

std::string channel_record(std::string_view address) {
    std::string r = "T";
    r += address;
    r += '\0';
    return r;
}

} // namespace qm::send
