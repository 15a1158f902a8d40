#include "qm/remote/body.hpp"

namespace qm::remote {

void BodyEncoder::feed(std::string_view in, std::string& out) {
    checked_.clear();
    header_.feed(in, checked_);
    encode(checked_, out);
}

void BodyEncoder::encode(std::string_view in, std::string& out) {
    size_t i = 0;
    while (i < in.size()) {
        if (pending_cr_) {
            // CR LF is one line end; a lone CR is a line end too. Either way: CRLF.
            pending_cr_ = false;
            out += "\r\n";
            line_start_ = true;
            if (in[i] == '\n')
                ++i;
            continue;
        }
        if (line_start_ && in[i] == '.')
            out += '.';
        line_start_ = false;
        // Copy up to the next line end at once.
        size_t stop = in.find_first_of("\r\n", i);
        if (stop == std::string_view::npos) {
            out.append(in.data() + i, in.size() - i);
            return;
        }
        out.append(in.data() + i, stop - i);
        if (in[stop] == '\n') {
            out += "\r\n";
            line_start_ = true;
        } else {
            pending_cr_ = true;
        }
        i = stop + 1;
    }
}

void BodyEncoder::finish(std::string& out) {
    checked_.clear();
    header_.finish(checked_);
    encode(checked_, out);
    header_ = {};
    if (pending_cr_ || !line_start_)
        out += "\r\n";
    pending_cr_ = false;
    line_start_ = true;
    out += ".\r\n";
}

void BodyFacts::feed(std::string_view stored) {
    stored_bytes += stored.size();
    for (char c : stored) {
        line_feeds += c == '\n';
        eight_bit |= (static_cast<unsigned char>(c) & 0x80) != 0;
    }
}

std::string encode_body(std::string_view stored) {
    std::string out;
    out.reserve(stored.size() + stored.size() / 16 + 8);
    BodyEncoder e;
    e.feed(stored, out);
    e.finish(out);
    return out;
}

} // namespace qm::remote
