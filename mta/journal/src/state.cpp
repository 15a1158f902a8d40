#include "qm/journal/state.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <unordered_set>

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
    std::unordered_set<std::uint64_t> ended;
    std::unordered_map<std::uint64_t, std::unordered_set<std::string>> done;
    for (auto seq : *seqs) {
        auto file = read_segment(dir + "/" + segment_name(seq));
        if (!file) {
            state.problems.push_back(file.error().text);
            continue;
        }
        if (file->scan.problem && !file->scan.torn_tail)
            state.problems.push_back(*file->scan.problem);
        state.live.per_segment[seq]; // known, if empty
        for (const auto& r : file->scan.records) {
            switch (r.type) {
            case RecordType::message:
                if (auto head = decode_message_head(r.payload))
                    state.held.push_back(
                        {seq, r.offset, head->journal_id, head->body_size, head->queue_id});
                else
                    state.problems.push_back(file->path + " at offset " + std::to_string(r.offset) +
                                             ": " + head.error().text);
                break;
            case RecordType::done:
                if (auto d = decode_done(r.payload))
                    done[d->journal_id].insert(std::move(d->address));
                break;
            case RecordType::end:
                if (auto id = decode_end(r.payload)) {
                    ended.insert(*id);
                    done.erase(*id);
                }
                break;
            }
        }
    }
    // An E comes after its M, maybe segments later: what ended goes only now.
    std::erase_if(state.held, [&](const auto& h) { return ended.contains(h.journal_id); });
    for (const auto& h : state.held) {
        state.live.add(h.segment, h.journal_id);
        auto it = done.find(h.journal_id);
        state.done[h.journal_id] =
            it == done.end() ? std::unordered_set<std::string>{} : std::move(it->second);
    }
    return state;
}

Result<std::string> HeldReader::read(const JournalState::Held& held) {
    const std::string path = dir_ + "/" + segment_name(held.segment);
    if (!fd_ || segment_ != held.segment) {
        fd_.reset(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
        if (!fd_)
            return fail(from_errno(errno, "unable to open " + path));
        segment_ = held.segment;
    }
    const int fd = fd_.get();
    auto pread_exact = [&](std::string& out, std::size_t n, std::uint64_t at) -> Status {
        out.resize(n);
        std::size_t got = 0;
        while (got < n) {
            const ssize_t k = ::pread(fd, out.data() + got, n - got, static_cast<off_t>(at + got));
            if (k < 0 && errno == EINTR)
                continue;
            if (k <= 0)
                return fail(temp("4.3.0", path + " at offset " + std::to_string(at) +
                                              ": cut short since it was read"));
            got += static_cast<std::size_t>(k);
        }
        return {};
    };
    std::string header;
    if (auto s = pread_exact(header, record_header_size, held.offset); !s)
        return fail(s.error());
    const std::uint32_t length =
        static_cast<unsigned char>(header[4]) | static_cast<unsigned char>(header[5]) << 8 |
        static_cast<unsigned char>(header[6]) << 16 |
        static_cast<std::uint32_t>(static_cast<unsigned char>(header[7])) << 24;
    if (length > max_payload || header[8] != static_cast<char>(RecordType::message))
        return fail(temp("4.3.0", path + " at offset " + std::to_string(held.offset) +
                                      ": not the message record it was"));
    std::string payload;
    if (auto s = pread_exact(payload, length, held.offset + record_header_size); !s)
        return fail(s.error());
    return payload;
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
