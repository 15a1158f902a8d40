#include "qm/header_cr.hpp"

namespace qm {

void HeaderCrFilter::feed(std::string_view in, std::string& out) {
    size_t i = 0;
    while (i < in.size() && in_header_) {
        const char c = in[i];
        if (pending_cr_) {
            pending_cr_ = false;
            if (c == '\n') {
                out += '\r'; // CR LF: a line end either way; the LF below decides the rest
            } else {
                out += ' ';
                line_empty_ = false;
                continue; // c is looked at again, now without a CR before it
            }
        }
        ++i;
        if (c == '\r') {
            pending_cr_ = true;
        } else if (c == '\n') {
            out += c;
            if (line_empty_)
                in_header_ = false;
            line_empty_ = true;
        } else {
            out += c;
            line_empty_ = false;
        }
    }
    out.append(in.substr(i));
}

void HeaderCrFilter::finish(std::string& out) {
    if (pending_cr_)
        out += ' ';
    pending_cr_ = false;
}

std::string header_cr_to_space(std::string_view message) {
    std::string out;
    out.reserve(message.size());
    HeaderCrFilter f;
    f.feed(message, out);
    f.finish(out);
    return out;
}

} // namespace qm
