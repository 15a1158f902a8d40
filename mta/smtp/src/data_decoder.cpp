#include "qm/smtp/data_decoder.hpp"

#include <cctype>

namespace qm::smtp {

namespace {

constexpr size_t hop_prefix_length = 9; // strlen("delivered")

bool is_hop_line(std::string_view lowered_prefix) {
    return lowered_prefix.starts_with("received") || lowered_prefix.starts_with("delivered");
}

} // namespace

void DataDecoder::store_line_byte(char c) {
    if (c == '\n') {
        if (line_empty_)
            in_header_ = false; // the blank line ends the header
        else if (is_hop_line(line_prefix_))
            ++hops_;
        line_prefix_.clear();
        line_empty_ = true;
        return;
    }
    line_empty_ = false;
    if (line_prefix_.size() < hop_prefix_length)
        line_prefix_ += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

void DataDecoder::store(char c, std::string& out) {
    out += c;
    ++stored_;
    if (in_header_)
        store_line_byte(c);
}

void DataDecoder::store_bare_cr(std::string& out) {
    store(in_header_ ? ' ' : '\r', out);
}

bool DataDecoder::line_byte(char c, std::string& out, State on_cr) {
    if (c == '\n')
        return false;
    if (c == '\r') {
        state_ = on_cr;
    } else {
        store(c, out);
        state_ = State::mid_line;
    }
    return true;
}

DataDecoder::Outcome DataDecoder::feed(std::string_view in, std::string& out, size_t* used) {
    size_t i = 0;
    while (i < in.size()) {
        if (state_ == State::mid_line && !in_header_) {
            // The body's common case: copy everything up to the next CR or LF at once.
            size_t stop = in.find_first_of("\r\n", i);
            if (stop == std::string_view::npos)
                stop = in.size();
            out.append(in.data() + i, stop - i);
            stored_ += stop - i;
            i = stop;
            if (i == in.size())
                break;
        }
        const char c = in[i++];
        switch (state_) {
        case State::line_start:
            if (c == '.') {
                state_ = State::dot; // a leading dot is transparency, never stored
                break;
            }
            [[fallthrough]];
        case State::mid_line:
            if (!line_byte(c, out, State::cr)) {
                *used = i;
                return Outcome::bare_lf;
            }
            break;
        case State::cr:
            if (c == '\n') {
                store('\n', out);
                state_ = State::line_start;
            } else if (c == '\r') {
                store_bare_cr(out); // the first CR was a lone one; this one may end the line
            } else {
                store_bare_cr(out);
                store(c, out);
                state_ = State::mid_line;
            }
            break;
        case State::dot:
            if (!line_byte(c, out, State::dot_cr)) {
                *used = i;
                return Outcome::bare_lf;
            }
            break;
        case State::dot_cr:
            if (c == '\n') {
                *used = i;
                return Outcome::end;
            }
            store_bare_cr(out);
            if (c == '\r') {
                state_ = State::cr;
            } else {
                store(c, out);
                state_ = State::mid_line;
            }
            break;
        }
    }
    *used = i;
    return Outcome::more;
}

} // namespace qm::smtp
