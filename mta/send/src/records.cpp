#include "qm/send/records.hpp"

#include <charconv>

namespace qm::send {

Result<TodoEntry> parse_todo(std::string_view bytes) {
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
            e.recipients.emplace_back(v);
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
    size_t pos = 0;
    while (pos < bytes.size()) {
        auto nul = bytes.find('\0', pos);
        if (nul == std::string_view::npos)
            break; // a torn final record (crash while writing) was never committed
        const char kind = bytes[pos];
        if (kind == 'T' || kind == 'D')
            out.push_back({static_cast<off_t>(pos), kind == 'D',
                           std::string(bytes.substr(pos + 1, nul - pos - 1))});
        pos = nul + 1;
    }
    return out;
}

std::string channel_record(std::string_view address) {
    std::string r = "T";
    r += address;
    r += '\0';
    return r;
}

} // namespace qm::send
