// splogger(8): lines from a program's output turned into syslog entries as qmail's
// splogger makes them: each line gets a timestamp ("seconds.microseconds "), a line
// longer than 799 bytes goes out in pieces (each after the first as "stamp+piece"),
// bytes outside 32..126 become '?', and the priority is LOG_ALERT for a line starting
// "alert:", LOG_WARNING for "warning:", else LOG_INFO. Without I/O: the program feeds
// bytes and sends each entry it gets back.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace qm::tools {

struct SyslogEntry {
    int priority = 0; // LOG_INFO, LOG_WARNING or LOG_ALERT
    std::string text;
};

class SploggerLines {
public:
    // stamp: "seconds.microseconds" for the next line that starts (asked for only then).
    explicit SploggerLines(std::string (*stamp)())
        : stamp_(stamp) {}
    // The entries complete after these bytes.
    [[nodiscard]] std::vector<SyslogEntry> feed(std::string_view bytes);
    // What is left at the end of input (a last line without its newline).
    [[nodiscard]] std::vector<SyslogEntry> finish();

private:
    void flush(std::vector<SyslogEntry>& out);

    std::string (*stamp_)();
    std::string buf_;
    bool continued_ = false;
    int priority_ = 0;
    std::string line_stamp_;
};

} // namespace qm::tools
