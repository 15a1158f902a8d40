// qmail-journal: prints and checks the journal's segments (qmail-journal(8), the format in
// qmail-journal(5)).
#include "qm/journal/describe.hpp"
#include "qm/journal/records.hpp"
#include "qm/journal/segment.hpp"
#include "qm/program.hpp"
#include "qm/queue/layout.hpp"

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

namespace {

constexpr std::string_view help =
    "usage: qmail-journal [-c] [-x id] [segment ...]\n"
    "Prints every record of the journal's segments (default: all of\n"
    "$QMAILHOME/queue/journal, oldest first), one line each: segment, offset, and\n"
    "M (a message accepted), D (a recipient done) or E (a message gone from the queue).\n"
    "  -c     check only: read every record and decompress every message, print one\n"
    "         line per segment\n"
    "  -x id  write the body of message journal id to stdout\n"
    "A damaged or foreign segment is reported with its name and offset and the others\n"
    "are still read; a last record cut short (a crash before its flush) is reported\n"
    "but is no damage: nobody was told that record was accepted.\n"
    "Exit: 0 all whole, 100 a segment is damaged or a record does not decode, 111 a\n"
    "segment cannot be read.\n";

} // namespace

int main(int argc, char** argv) {
    using namespace qm;
    return program::run({"qmail-journal", help}, argc, argv, [](program::Words args) -> int {
        bool check = false;
        std::optional<unsigned long long> extract;
        std::vector<std::string> paths;
        for (std::size_t i = 0; i < args.size(); ++i) {
            if (args[i] == "-c") {
                check = true;
            } else if (args[i] == "-x" && i + 1 < args.size()) {
                char* end = nullptr;
                extract = std::strtoull(args[++i].c_str(), &end, 10);
                if (end == args[i].c_str() || *end != '\0')
                    return program::fatal("qmail-journal", "-x takes a journal id", 100);
            } else if (!args[i].empty() && args[i][0] == '-') {
                return program::fatal("qmail-journal",
                                      "usage: qmail-journal [-c] [-x id] [segment ...]", 100);
            } else {
                paths.push_back(args[i]);
            }
        }
        if (paths.empty()) {
            const std::string dir = queue::Layout::from_home().dir("journal");
            auto seqs = journal::list_segments(dir);
            if (!seqs)
                return program::fatal("qmail-journal", seqs.error());
            for (auto s : *seqs)
                paths.push_back(dir + "/" + journal::segment_name(s));
        }
        int status = 0;
        for (const auto& path : paths) {
            auto file = journal::read_segment(path);
            if (!file) {
                std::fprintf(stderr, "qmail-journal: warning: %s\n", file.error().text.c_str());
                status = 111;
                continue;
            }
            const auto& scan = file->scan;
            std::size_t bad = 0;
            for (const auto& r : scan.records) {
                if (extract && r.type == journal::RecordType::message) {
                    auto head = journal::decode_message_head(r.payload);
                    if (head && head->journal_id == *extract) {
                        auto body = journal::decompress_body(*head);
                        if (!body)
                            return program::fatal("qmail-journal", body.error());
                        std::fwrite(body->data(), 1, body->size(), stdout);
                        return std::fflush(stdout) == 0 ? 0 : 111;
                    }
                    continue;
                }
                if (extract)
                    continue;
                auto line = journal::describe_record(r, check);
                if (!line) {
                    ++bad;
                    std::fprintf(stderr, "qmail-journal: %s at offset %llu: %s\n", path.c_str(),
                                 static_cast<unsigned long long>(r.offset),
                                 line.error().text.c_str());
                } else if (!check) {
                    std::printf("%s %llu %s\n", journal::segment_name(scan.sequence).c_str(),
                                static_cast<unsigned long long>(r.offset), line->c_str());
                }
            }
            if (scan.problem)
                std::fprintf(stderr, "qmail-journal: %s%s\n", scan.problem->c_str(),
                             scan.torn_tail ? " (a crash before its flush: not damage)" : "");
            if (bad > 0 || (scan.problem && !scan.torn_tail))
                status = status == 0 ? 100 : status;
            if (check && !extract)
                std::printf("%s: %zu records%s\n", path.c_str(), scan.records.size(),
                            bad > 0 || (scan.problem && !scan.torn_tail) ? ", damaged" : ", whole");
        }
        if (extract)
            return program::fatal("qmail-journal", "no message " + std::to_string(*extract), 100);
        return std::fflush(stdout) == 0 ? status : 111;
    });
}
