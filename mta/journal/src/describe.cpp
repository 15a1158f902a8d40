#include "qm/journal/describe.hpp"

namespace qm::journal {

Result<EnvelopeFields> parse_queue_envelope(std::string_view intd) {
    EnvelopeFields out;
    bool has_sender = false;
    std::size_t at = 0;
    while (at < intd.size()) {
        const std::size_t nul = intd.find('\0', at);
        if (nul == std::string_view::npos)
            return fail(perm("5.3.0", "an envelope field without its NUL"));
        const std::string_view field = intd.substr(at, nul - at);
        at = nul + 1;
        if (field.empty())
            continue;
        if (field[0] == 'F') {
            out.sender = field.substr(1);
            has_sender = true;
        } else if (field[0] == 'T') {
            out.recipients.emplace_back(field.substr(1));
        }
    }
    if (!has_sender)
        return fail(perm("5.3.0", "an envelope without its sender"));
    return out;
}

Result<std::string> describe_record(const Record& r, bool check) {
    switch (r.type) {
    case RecordType::message: {
        auto head = decode_message_head(r.payload);
        if (!head)
            return fail(head.error());
        auto env = parse_queue_envelope(head->envelope);
        if (!env)
            return fail(env.error());
        if (check)
            if (auto body = decompress_body(*head); !body)
                return fail(body.error());
        return "M id=" + std::to_string(head->journal_id) +
               " queue=" + std::to_string(head->queue_id) +
               " received=" + std::to_string(head->received) + " from <" + env->sender + "> to " +
               std::to_string(env->recipients.size()) + " recipients, " +
               std::to_string(head->body_size) + " bytes (" +
               std::to_string(head->compressed_body.size()) + " compressed)";
    }
    case RecordType::done: {
        auto d = decode_done(r.payload);
        if (!d)
            return fail(d.error());
        return "D id=" + std::to_string(d->journal_id) +
               (d->outcome == Outcome::delivered ? " delivered to <" : " bounced for <") +
               d->address + ">";
    }
    case RecordType::end: {
        auto e = decode_end(r.payload);
        if (!e)
            return fail(e.error());
        return "E id=" + std::to_string(*e);
    }
    }
    return fail(perm("5.3.0", "an unknown record type"));
}

} // namespace qm::journal
