// splogger [tag [facility]]: each line of stdin becomes a syslog entry.
#include "qm/tools/splogger.hpp"

#include "qm/program.hpp"

#include <sys/time.h>
#include <syslog.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <string>

namespace {

constexpr std::string_view help =
    "usage: splogger [tag [facility]]\n"
    "Sends each line of its input to syslog, after tag (default splogger) and a timestamp\n"
    "(seconds.microseconds); a line starting alert: or warning: goes at LOG_ALERT or\n"
    "LOG_WARNING, any other at LOG_INFO; unprintable bytes become '?'; lines over 799\n"
    "bytes go in pieces. facility is syslog's number (default 2, LOG_MAIL). As qmail's\n"
    "splogger; multilog or journald (systemd) are the usual loggers now.\n";

std::string now_stamp() {
    timeval tv{};
    ::gettimeofday(&tv, nullptr);
    char buf[40];
    std::snprintf(buf, sizeof buf, "%lu.%06u", static_cast<unsigned long>(tv.tv_sec),
                  static_cast<unsigned>(tv.tv_usec));
    return buf;
}

void send(const std::vector<qm::tools::SyslogEntry>& entries) {
    for (const auto& e : entries)
        ::syslog(e.priority, "%s", e.text.c_str());
}

} // namespace

int main(int argc, char** argv) {
    return qm::program::run({"splogger", help}, argc, argv, [](qm::program::Words args) {
        if (args.size() > 2)
            return qm::program::usage("splogger", "[tag [facility]]");
        static std::string tag = args.empty() ? "splogger" : std::string(args[0]);
        int facility = LOG_MAIL;
        if (args.size() == 2) {
            unsigned long f = 0;
            const std::string_view s = args[1];
            if (std::from_chars(s.data(), s.data() + s.size(), f).ec != std::errc() || f > 23)
                return qm::program::usage("splogger", "[tag [facility]]");
            facility = static_cast<int>(f << 3);
        }
        ::openlog(tag.c_str(), 0, facility);
        qm::tools::SploggerLines lines(now_stamp);
        char buf[4096];
        for (;;) {
            const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            send(lines.feed(std::string_view(buf, static_cast<size_t>(n))));
        }
        send(lines.finish());
        return 0;
    });
}
