#include "qm/log.hpp"

#include <unistd.h>

namespace qm::log {

std::string safe_text(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (unsigned char c : s) {
        if (c == '\n')
            out += '/';
        else if (c < 33 || c > 126 || c == '%')
            out += '_';
        else
            out += static_cast<char>(c);
    }
    return out;
}

void line(std::string_view text) {
    std::string buf;
    buf.reserve(text.size() + 1);
    buf += text;
    buf += '\n';
    std::string_view rest = buf;
    while (!rest.empty()) {
        ssize_t n = ::write(2, rest.data(), rest.size());
        if (n <= 0)
            return; // nowhere left to complain
        rest.remove_prefix(static_cast<size_t>(n));
    }
}

void warning(std::string_view text) {
    line(std::string("warning: ") + std::string(text));
}
void alert(std::string_view text) {
    line(std::string("alert: ") + std::string(text));
}

} // namespace qm::log
