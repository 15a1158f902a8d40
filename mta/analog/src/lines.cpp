#include "qm/analog/lines.hpp"

#include <unistd.h>

#include <cerrno>

namespace qm::analog {

std::vector<std::string_view> words_of(std::string_view line) {
    std::vector<std::string_view> words;
    size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t'))
            ++i;
        const size_t start = i;
        while (i < line.size() && line[i] != ' ' && line[i] != '\t')
            ++i;
        if (i > start)
            words.push_back(line.substr(start, i - start));
    }
    return words;
}

void take_lines(std::string& text, const std::function<void(std::string_view)>& each) {
    size_t start = 0;
    for (size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1)
        each(std::string_view(text).substr(start, nl - start));
    text.erase(0, start);
}

Result<std::string> read_lines(int fd, const std::function<void(std::string_view)>& each,
                               std::string text) {
    take_lines(text, each);
    char buf[65536];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return fail(from_errno(errno, "unable to read input"));
        if (n == 0)
            return text;
        text.append(buf, static_cast<size_t>(n));
        take_lines(text, each);
    }
}

} // namespace qm::analog
