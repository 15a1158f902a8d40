// What qmail-journal(8) prints: one line per record, and the checks behind -c.
#pragma once

#include "qm/journal/records.hpp"
#include "qm/journal/segment.hpp"
#include "qm/result.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace qm::journal {

// intd/N's fields as a message record carries them (u, p, F, T; others are skipped).
struct EnvelopeFields {
    std::string sender;
    std::vector<std::string> recipients;
};
[[nodiscard]] Result<EnvelopeFields> parse_queue_envelope(std::string_view intd);

// "M id=… queue=… received=… from <s> to 2 recipients, 2048 bytes (812 compressed)",
// "D id=… delivered to <a@b>", "E id=…". With check, an M's body is decompressed and
// compared with its stated size too. A record that does not decode fails with why.
[[nodiscard]] Result<std::string> describe_record(const Record& r, bool check);

} // namespace qm::journal
