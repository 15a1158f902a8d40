#include "qm/journal/state.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace qm::journal {

void LiveMessages::add(std::uint64_t segment, std::uint64_t id) {
    ++per_segment[segment];
    segment_of[id] = segment;
}

void LiveMessages::end(std::uint64_t id) {
    auto it = segment_of.find(id);
    if (it == segment_of.end())
        return;
    auto& n = per_segment[it->second];
    if (n > 0)
        --n;
    segment_of.erase(it);
}

std::vector<std::uint64_t> LiveMessages::retirable(std::uint64_t keep_from) const {
    std::vector<std::uint64_t> out;
    for (const auto& [seq, n] : per_segment) {
        if (n != 0 || seq >= keep_from)
            break;
        out.push_back(seq);
    }
    return out;
}

Result<JournalState> read_journal(const std::string& dir) {
    JournalState state;
    auto seqs = list_segments(dir);
    if (!seqs)
        return fail(seqs.error());
    for (auto seq : *seqs) {
        auto file = read_segment(dir + "/" + segment_name(seq));
        if (!file) {
            state.problems.push_back(file.error().text);
            continue;
        }
        if (file->scan.problem && !file->scan.torn_tail)
            state.problems.push_back(*file->scan.problem);
        state.live.per_segment[seq]; // known, if empty
        state.segments.push_back(std::move(*file));
    }
    // Ends first (an E may sit in a later segment than its M), then what is held.
    std::unordered_set<std::uint64_t> ended;
    for (const auto& f : state.segments)
        for (const auto& r : f.scan.records)
            if (r.type == RecordType::end)
                if (auto id = decode_end(r.payload))
                    ended.insert(*id);
    for (const auto& f : state.segments) {
        for (const auto& r : f.scan.records) {
            if (r.type != RecordType::message)
                continue;
            auto head = decode_message_head(r.payload);
            if (!head) {
                state.problems.push_back(f.path + " at offset " + std::to_string(r.offset) + ": " +
                                         head.error().text);
                continue;
            }
            if (ended.contains(head->journal_id))
                continue;
            state.held.push_back({f.scan.sequence, r.offset, *head});
            state.live.add(f.scan.sequence, head->journal_id);
            state.done[head->journal_id];
        }
    }
    for (const auto& f : state.segments)
        for (const auto& r : f.scan.records)
            if (r.type == RecordType::done)
                if (auto d = decode_done(r.payload))
                    if (auto it = state.done.find(d->journal_id); it != state.done.end())
                        it->second.insert(d->address);
    return state;
}

std::vector<std::string> retire_segments(const std::string& dir,
                                         const std::vector<std::uint64_t>& seqs,
                                         LiveMessages& live) {
    std::vector<std::string> trouble;
    for (auto seq : seqs) {
        const std::string path = dir + "/" + segment_name(seq);
        if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
            trouble.push_back("unable to remove " + path + ": " + std::strerror(errno));
            break; // the order matters: keep every later one
        }
        live.per_segment.erase(seq);
    }
    return trouble;
}

} // namespace qm::journal
