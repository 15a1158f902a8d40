// The journal's segments and records (qmail-journal(5)): what is written reads back; a
// segment cut short or damaged anywhere is reported with its offset and never read past;
// many writers share flushes.
#include "qm/journal/describe.hpp"
#include "qm/journal/group_commit.hpp"
#include "qm/journal/records.hpp"
#include "qm/journal/segment.hpp"
#include "qm/journal/state.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#define ZSTD_STATIC_LINKING_ONLY // ZSTD_getFrameHeader
#include <zstd.h>

#include <future>
#include <set>
#include <thread>

using namespace qm::journal;
using namespace std::string_literals;

namespace {

std::string envelope() {
    return "u1000\0p42\0Fdave@test.example\0Talice@test.example\0Tbob@test.example\0"s;
}

MessageRecord sample(std::uint64_t id) {
    MessageRecord m;
    m.journal_id = id;
    m.queue_id = 123456;
    m.received = 1'700'000'000;
    m.envelope = envelope();
    for (int i = 0; i < 200; ++i)
        m.body += "Line " + std::to_string(i) + " of a message that compresses well.\n";
    return m;
}

// A segment in dir with an M, a D and an E record; returns its path.
std::string three_records(const std::string& dir) {
    auto w = SegmentWriter::create(dir, 7, 1'700'000'000);
    REQUIRE(w);
    auto m = encode_message(sample(5));
    REQUIRE(m);
    auto a = w->append(RecordType::message, *m);
    REQUIRE(a);
    CHECK(*a == RecordPos{7, segment_header_size});
    REQUIRE(w->append(RecordType::done, encode_done({5, Outcome::delivered, "bob@test.example"})));
    REQUIRE(w->append(RecordType::end, encode_end(5)));
    REQUIRE(w->sync());
    return w->path();
}

} // namespace

TEST_CASE("journal: a segment's records read back as written", "[journal]") {
    qmtest::TempDir dir;
    const std::string path = three_records(dir.path());
    CHECK(path.ends_with("/0000000000000007"));
    auto file = read_segment(path);
    REQUIRE(file);
    const auto& scan = file->scan;
    CHECK_FALSE(scan.problem);
    CHECK(scan.sequence == 7);
    CHECK(scan.created == 1'700'000'000);
    REQUIRE(scan.records.size() == 3);
    // The file goes on in zeros (made longer ahead of the records): the end, not damage.
    CHECK(file->data.size() >= preallocation_chunk);
    CHECK(file->data.find_first_not_of('\0', scan.valid_bytes) == std::string::npos);
    CHECK(scan.valid_bytes ==
          scan.records[2].offset + record_header_size + scan.records[2].payload.size());
    auto head = decode_message_head(scan.records[0].payload);
    REQUIRE(head);
    CHECK(head->journal_id == 5);
    CHECK(head->queue_id == 123456);
    CHECK(head->envelope == envelope());
    CHECK(head->compressed_body.size() * 5 < sample(5).body.size()); // zstd earns its place
    auto body = decompress_body(*head);
    REQUIRE(body);
    CHECK(*body == sample(5).body);
    CHECK(decode_done(scan.records[1].payload).value() ==
          DoneRecord{5, Outcome::delivered, "bob@test.example"});
    CHECK(decode_end(scan.records[2].payload).value() == 5);
    CHECK(describe_record(scan.records[0], true).value() ==
          "M id=5 queue=123456 received=1700000000 from <dave@test.example> to 2 recipients, " +
              std::to_string(sample(5).body.size()) + " bytes (" +
              std::to_string(head->compressed_body.size()) + " compressed)");
    CHECK(describe_record(scan.records[1], true).value() ==
          "D id=5 delivered to <bob@test.example>");
    CHECK(describe_record(scan.records[2], true).value() == "E id=5");
    CHECK(segment_name(7) == "0000000000000007");
    CHECK(parse_segment_name("00000000000000ff") == 255u);
    CHECK_FALSE(parse_segment_name("00000000000000FF"));
    CHECK_FALSE(parse_segment_name("7"));
    auto listed = list_segments(dir.path());
    REQUIRE(listed);
    CHECK(*listed == std::vector<std::uint64_t>{7});
}

TEST_CASE("journal: a segment cut short anywhere keeps every whole record before the cut",
          "[journal]") {
    qmtest::TempDir dir;
    const std::string file = qmtest::slurp(three_records(dir.path()));
    auto whole = scan_segment_bytes(file, "s");
    REQUIRE(whole.records.size() == 3);
    // The records without the zeros that follow them (segment.hpp).
    const std::string data = file.substr(0, whole.valid_bytes);
    for (std::size_t cut = 0; cut < data.size(); ++cut) {
        auto scan = scan_segment_bytes(std::string_view(data).substr(0, cut), "seg");
        INFO("cut at " << cut);
        std::size_t whole_before = 0;
        bool on_a_boundary = cut == segment_header_size;
        for (const auto& r : whole.records) {
            const std::size_t end = r.offset + record_header_size + r.payload.size();
            whole_before += end <= cut ? 1 : 0;
            on_a_boundary = on_a_boundary || end == cut;
        }
        // Cut between records, the segment is simply shorter; anywhere else the last
        // record is torn: a crash before the flush, not damage.
        CHECK(scan.problem.has_value() == !on_a_boundary);
        CHECK(scan.torn_tail == !on_a_boundary);
        CHECK(scan.records.size() == whole_before);
        CHECK(scan.valid_bytes <= cut);
    }
}

TEST_CASE("journal: damage is reported with its offset, and nothing after it is read",
          "[journal]") {
    qmtest::TempDir dir;
    const std::string file = qmtest::slurp(three_records(dir.path()));
    const std::string data = file.substr(0, scan_segment_bytes(file, "s").valid_bytes);
    auto whole = scan_segment_bytes(data, "s");
    const std::uint64_t second = whole.records[1].offset;
    // A flipped bit in the middle record: the first survives, the rest is not trusted.
    std::string bad = data;
    bad[second + record_header_size + 3] ^= 0x10;
    auto scan = scan_segment_bytes(bad, "queue/journal/0000000000000007");
    REQUIRE(scan.problem);
    CHECK_FALSE(scan.torn_tail);
    CHECK(*scan.problem == "queue/journal/0000000000000007 at offset " + std::to_string(second) +
                               ": a record whose CRC does not match");
    CHECK(scan.records.size() == 1);
    // The same in the last record is what a power cut leaves (length written, data not).
    bad = data;
    const std::uint64_t last = whole.records[2].offset;
    for (std::size_t i = last + record_header_size; i < data.size(); ++i)
        bad[i] = '\0';
    scan = scan_segment_bytes(bad, "s");
    CHECK(scan.torn_tail);
    CHECK(scan.records.size() == 2);
    // An impossible length, an unknown type, a foreign file, a damaged header.
    bad = data;
    bad[second + 7] = '\x7f';
    scan = scan_segment_bytes(bad, "s");
    CHECK_FALSE(scan.torn_tail);
    CHECK(scan.problem->find("a record length of") != std::string::npos);
    std::string typed = data.substr(0, second) + frame_record(RecordType::end, encode_end(1));
    typed[second + 8] = 'Z';
    // (the CRC covers the type, so a changed type shows as a bad CRC unless recomputed)
    CHECK(scan_segment_bytes(typed, "s").problem->find("CRC") != std::string::npos);
    CHECK(scan_segment_bytes("From: someone\nSubject: not a journal\n\nhello\n", "s")
              .problem->find("not a journal segment") != std::string::npos);
    bad = data;
    bad[12] ^= 1; // the sequence number
    INFO(scan_segment_bytes(bad, "s").problem.value_or("no problem"));
    CHECK(scan_segment_bytes(bad, "s").problem->find("header's CRC") != std::string::npos);
}

TEST_CASE("journal: in the zeros ahead of the records, what a power cut leaves is torn, not damage",
          "[journal]") {
    qmtest::TempDir dir;
    const std::string file = qmtest::slurp(three_records(dir.path()));
    const auto whole = scan_segment_bytes(file, "s");
    REQUIRE_FALSE(whole.problem);
    REQUIRE(whole.records.size() == 3);
    const std::uint64_t end = whole.valid_bytes;
    const std::string next = frame_record(RecordType::end, encode_end(6));

    // A fourth record whose header reached the disk and whose payload did not.
    std::string cut = file;
    cut.replace(end, record_header_size, next.substr(0, record_header_size));
    auto scan = scan_segment_bytes(cut, "s");
    CHECK(scan.torn_tail);
    CHECK(scan.records.size() == 3);
    // Its header never written, a later page of the same unflushed group written.
    cut = file;
    cut.replace(end + 4096, next.size(), next);
    scan = scan_segment_bytes(cut, "s");
    REQUIRE(scan.problem);
    CHECK(scan.torn_tail);
    CHECK(scan.problem->find("never written") != std::string::npos);
    CHECK(scan.records.size() == 3);
    // The whole fourth record there: read, and the zeros after it are the end again.
    cut = file;
    cut.replace(end, next.size(), next);
    scan = scan_segment_bytes(cut, "s");
    CHECK_FALSE(scan.problem);
    CHECK(scan.records.size() == 4);
    // A bad CRC with a good record after it stays damage, zeros or not.
    std::string bad = cut;
    bad[whole.records[2].offset + record_header_size] ^= 1;
    scan = scan_segment_bytes(bad, "s");
    REQUIRE(scan.problem);
    CHECK_FALSE(scan.torn_tail);
    CHECK(scan.records.size() == 2);
}

TEST_CASE("journal: a full segment gives back its unused zeros when the next one starts",
          "[journal]") {
    qmtest::TempDir dir;
    auto committer =
        GroupCommitter::start({.dir = dir.path(), .first_sequence = 1, .max_segment_bytes = 4096});
    REQUIRE(committer);
    for (int i = 0; i < 3; ++i)
        REQUIRE((*committer)->commit(RecordType::done, std::string(3000, 'x')));
    auto listed = list_segments(dir.path());
    REQUIRE(listed);
    REQUIRE(listed->size() >= 2);
    const std::string first = qmtest::slurp(dir / segment_name(listed->front()));
    const auto scan = scan_segment_bytes(first, "s");
    CHECK_FALSE(scan.problem);
    CHECK(scan.valid_bytes == first.size());
    // The segment being written keeps its zeros ahead.
    CHECK(qmtest::slurp(dir / segment_name(listed->back())).size() > preallocation_chunk);
}

TEST_CASE("journal: a message record that lies about its body is refused", "[journal]") {
    auto payload = encode_message(sample(9));
    REQUIRE(payload);
    auto head = decode_message_head(*payload);
    REQUIRE(head);
    MessageHead lie = *head;
    lie.body_size += 1;
    CHECK_FALSE(decompress_body(lie));
    lie.body_size -= 2;
    CHECK_FALSE(decompress_body(lie));
    lie = *head;
    lie.compressed_body = lie.compressed_body.substr(0, lie.compressed_body.size() - 4);
    CHECK_FALSE(decompress_body(lie));
    const std::string longer = std::string(head->compressed_body) + "x";
    lie = *head;
    lie.compressed_body = longer;
    CHECK_FALSE(decompress_body(lie));
    CHECK_FALSE(decode_message_head(payload->substr(0, 20)));
    // A frame that asks for a 128 MiB window (a streamed frame, no size stated) is refused
    // before anything is allocated for it, however small its data.
    {
        const std::string body = sample(9).body;
        std::unique_ptr<ZSTD_CCtx, std::size_t (*)(ZSTD_CCtx*)> cctx(ZSTD_createCCtx(),
                                                                     ZSTD_freeCCtx);
        REQUIRE(cctx);
        REQUIRE_FALSE(ZSTD_isError(ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_windowLog, 27)));
        REQUIRE_FALSE(ZSTD_isError(ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_contentSizeFlag, 0)));
        // Streamed in two steps, so that zstd cannot shrink the window to the input.
        std::string frame(ZSTD_compressBound(body.size()) + 64, '\0');
        ZSTD_outBuffer out{frame.data(), frame.size(), 0};
        ZSTD_inBuffer in{body.data(), body.size(), 0};
        REQUIRE_FALSE(ZSTD_isError(ZSTD_compressStream2(cctx.get(), &out, &in, ZSTD_e_continue)));
        ZSTD_inBuffer none{nullptr, 0, 0};
        REQUIRE(ZSTD_compressStream2(cctx.get(), &out, &none, ZSTD_e_end) == 0);
        frame.resize(out.pos);
        ZSTD_frameHeader fh{};
        REQUIRE(ZSTD_getFrameHeader(&fh, frame.data(), frame.size()) == 0);
        REQUIRE(fh.windowSize == 1ull << 27);
        lie = *head;
        lie.compressed_body = frame;
        auto refused = decompress_body(lie);
        REQUIRE_FALSE(refused);
        CHECK(refused.error().text.find("does not decompress") != std::string::npos);
    }
    CHECK_FALSE(decode_done("short"));
    std::string bad_outcome = encode_done({1, Outcome::bounced, "a@b"});
    bad_outcome[8] = 'X';
    CHECK_FALSE(decode_done(bad_outcome));
    CHECK_FALSE(decode_done(encode_done({1, Outcome::bounced, ""})));
    CHECK_FALSE(decode_end("1234567"));
    CHECK_FALSE(parse_queue_envelope("Tnobody@x\0"s));
}

TEST_CASE("journal: many writers share flushes, and every record lands once", "[journal]") {
    qmtest::TempDir dir;
    // D records wait for nobody here: each writer waits for its own answer.
    auto committer = GroupCommitter::start({.dir = dir.path(),
                                            .first_sequence = 3,
                                            .max_segment_bytes = 8192,
                                            .lazy_flush_delay = std::chrono::milliseconds(0)});
    REQUIRE(committer);
    constexpr int threads = 4, each = 150;
    std::vector<std::vector<RecordPos>> got(threads);
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t)
        workers.emplace_back([&, t] {
            for (int i = 0; i < each; ++i) {
                const DoneRecord d{(*committer)->new_journal_id(), Outcome::delivered,
                                   "r" + std::to_string(t) + "@test.example"};
                auto pos = (*committer)->commit(RecordType::done, encode_done(d));
                if (pos)
                    got[static_cast<std::size_t>(t)].push_back(*pos);
            }
        });
    for (auto& w : workers)
        w.join();
    const auto stats = (*committer)->stats();
    committer->reset();
    CHECK(stats.records == threads * each);
    CHECK(stats.failures == 0);
    CHECK(stats.flushes >= 1);
    CHECK(stats.flushes <= stats.records);
    CHECK(stats.segments > 1); // rolled over past 8 KiB
    std::set<std::pair<std::uint64_t, std::uint64_t>> positions;
    for (const auto& g : got) {
        CHECK(g.size() == each);
        for (const auto& p : g)
            positions.insert({p.segment, p.offset});
    }
    CHECK(positions.size() == threads * each);
    // Read back: every acknowledged position holds a D record, ids all distinct.
    auto seqs = list_segments(dir.path());
    REQUIRE(seqs);
    CHECK(seqs->front() == 3);
    std::set<std::uint64_t> ids;
    std::size_t found = 0;
    for (auto s : *seqs) {
        auto file = read_segment(dir.path() + "/" + segment_name(s));
        REQUIRE(file);
        CHECK_FALSE(file->scan.problem);
        for (const auto& r : file->scan.records) {
            CHECK(positions.count({s, r.offset}) == 1);
            ids.insert(decode_done(r.payload).value().journal_id);
            ++found;
        }
    }
    CHECK(found == threads * each);
    CHECK(ids.size() == threads * each);
    CHECK(*ids.begin() > (3ull << 32));
}

TEST_CASE("journal: done and end records share the flush of the next message", "[journal]") {
    qmtest::TempDir dir;
    // A delay no test waits out: the D and E records go only with the M record.
    auto committer = GroupCommitter::start(
        {.dir = dir.path(), .first_sequence = 1, .lazy_flush_delay = std::chrono::hours(1)});
    REQUIRE(committer);
    std::promise<qm::Result<RecordPos>> done_answer, end_answer;
    auto done_future = done_answer.get_future();
    auto end_future = end_answer.get_future();
    (*committer)
        ->submit(RecordType::done, encode_done({5, Outcome::delivered, "bob@test.example"}),
                 [&](qm::Result<RecordPos> r) { done_answer.set_value(r); });
    (*committer)->submit(RecordType::end, encode_end(5), [&](qm::Result<RecordPos> r) {
        end_answer.set_value(r);
    });
    // Not flushed on their own (an answer here would have come from a flush).
    CHECK(done_future.wait_for(std::chrono::milliseconds(200)) == std::future_status::timeout);
    CHECK((*committer)->stats().flushes == 0);
    auto m = encode_message(sample(6));
    REQUIRE(m);
    auto pos = (*committer)->commit(RecordType::message, *m);
    REQUIRE(pos);
    REQUIRE(done_future.wait_for(std::chrono::seconds(30)) == std::future_status::ready);
    REQUIRE(end_future.wait_for(std::chrono::seconds(30)) == std::future_status::ready);
    CHECK(done_future.get().has_value());
    CHECK(end_future.get().has_value());
    auto stats = (*committer)->stats();
    CHECK(stats.records == 3);
    CHECK(stats.flushes == 1);

    // A lazy record left when the committer stops is flushed and answered then.
    std::promise<qm::Result<RecordPos>> last_answer;
    auto last_future = last_answer.get_future();
    (*committer)->submit(RecordType::end, encode_end(6), [&](qm::Result<RecordPos> r) {
        last_answer.set_value(r);
    });
    committer->reset();
    REQUIRE(last_future.wait_for(std::chrono::seconds(0)) == std::future_status::ready);
    CHECK(last_future.get().has_value());
    auto file = read_segment(dir.path() + "/" + segment_name(1));
    REQUIRE(file);
    CHECK_FALSE(file->scan.problem);
    CHECK(file->scan.records.size() == 4);
}

TEST_CASE("journal: segments retire from the oldest, once their messages have ended", "[journal]") {
    LiveMessages live;
    live.add(1, 10);
    live.add(2, 20);
    live.add(2, 21);
    live.per_segment[3]; // ends only
    live.add(4, 40);
    CHECK(live.retirable(5).empty());
    live.end(10);
    CHECK(live.retirable(5) == std::vector<std::uint64_t>{1});
    live.end(21);
    live.end(20);
    CHECK(live.retirable(5) == std::vector<std::uint64_t>{1, 2, 3});
    CHECK(live.retirable(3) == std::vector<std::uint64_t>{1, 2}); // 3 is being written
    live.end(40);
    live.end(40); // twice: no harm
    CHECK(live.retirable(9) == std::vector<std::uint64_t>{1, 2, 3, 4});
}
