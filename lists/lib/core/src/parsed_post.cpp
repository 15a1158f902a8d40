#include "qm/lists/core/parsed_post.hpp"

#include "qm/address.hpp"

namespace qm::lists {

namespace {

std::string name_of(std::string_view field) {
    const size_t colon = field.find(':');
    std::string_view name = field.substr(0, colon == std::string_view::npos ? 0 : colon);
    while (!name.empty() && (name.back() == ' ' || name.back() == '\t'))
        name.remove_suffix(1);
    return address::lowercase(name);
}

} // namespace

HeaderField::HeaderField(std::string field)
    : text(std::move(field))
    , name(name_of(text)) {}

std::string_view HeaderField::value() const {
    const size_t colon = text.find(':');
    if (colon == std::string::npos)
        return {};
    std::string_view v = std::string_view(text).substr(colon + 1);
    while (!v.empty() &&
           (v.front() == ' ' || v.front() == '\t' || v.front() == '\r' || v.front() == '\n'))
        v.remove_prefix(1);
    return v;
}

ParsedPost::ParsedPost(std::string_view message) {
    std::string field;
    auto finish_field = [&] {
        if (!field.empty())
            fields.emplace_back(std::move(field));
        field.clear();
    };
    size_t pos = 0;
    while (pos < message.size()) {
        const size_t nl = message.find('\n', pos);
        const size_t end = nl == std::string_view::npos ? message.size() : nl + 1;
        const std::string_view line = message.substr(pos, end - pos);
        if (line == "\n" || line == "\r\n") {
            finish_field();
            separator = line;
            body = message.substr(end);
            return;
        }
        if (!(line[0] == ' ' || line[0] == '\t') || field.empty())
            finish_field();
        field += line;
        if (nl == std::string_view::npos) {
            field += '\n';
            newline_added = true;
        }
        pos = end;
    }
    finish_field();
}

std::string ParsedPost::text() const {
    std::string out;
    for (const auto& f : fields)
        out += f.text;
    if (newline_added)
        out.pop_back();
    return out + separator + body;
}

const HeaderField* ParsedPost::first(std::string_view name) const {
    for (const auto& f : fields)
        if (f.name == name)
            return &f;
    return nullptr;
}

} // namespace qm::lists
