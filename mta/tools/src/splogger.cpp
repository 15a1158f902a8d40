#include "qm/tools/splogger.hpp"

#include <syslog.h>

namespace qm::tools {

namespace {
// qmail's buffer: syslog truncated (or worse) longer lines.
constexpr size_t max_piece = 799;
} // namespace

void SploggerLines::flush(std::vector<SyslogEntry>& out) {
    if (buf_.empty())
        return;
    if (continued_) {
        out.push_back({priority_, line_stamp_ + "+" + buf_});
    } else {
        line_stamp_ = stamp_();
        priority_ = LOG_INFO;
        if (buf_.starts_with("warning:"))
            priority_ = LOG_WARNING;
        if (buf_.starts_with("alert:"))
            priority_ = LOG_ALERT;
        out.push_back({priority_, line_stamp_ + " " + buf_});
        continued_ = true;
    }
    buf_.clear();
}

std::vector<SyslogEntry> SploggerLines::feed(std::string_view bytes) {
    std::vector<SyslogEntry> out;
    for (char c : bytes) {
        if (c == '\n') {
            flush(out);
            continued_ = false;
            continue;
        }
        if (buf_.size() == max_piece)
            flush(out);
        const auto u = static_cast<unsigned char>(c);
        buf_ += u < 32 || u > 126 ? '?' : c;
    }
    return out;
}

std::vector<SyslogEntry> SploggerLines::finish() {
    // qmail's splogger exits at end of input without logging a partial last line; this
    // one logs it, so that a program's last words are not lost.
    std::vector<SyslogEntry> out;
    flush(out);
    return out;
}

} // namespace qm::tools
