#include "qm/lists/post/post_shape.hpp"

#include "qm/address.hpp"
#include "qm/inject/header.hpp"

namespace qm::lists {

using qm::address::lowercase;

Result<PostShape> parse_post(std::string_view message) {
    PostShape shape;
    auto split = qm::inject::split_message(message);
    auto type = content_type_of(split.fields);
    if (!type)
        return fail(type.error());
    shape.content_type = std::move(*type);
    for (const auto& f : split.fields) {
        std::string name = lowercase(qm::inject::field_name(f));
        std::string value = qm::inject::unfold(qm::inject::field_value(f));
        std::string_view v = trim_blanks(value);
        if (name == "to" || name == "cc") {
            shape.address_fields.emplace_back(v);
        } else if (name == "subject") {
            if (!shape.subject)
                shape.subject = std::string(v);
        } else if (name == "precedence") {
            if (!shape.precedence)
                shape.precedence = std::string(v);
        }
        shape.field_names.push_back(std::move(name));
    }
    MimeVisitor v;
    v.part = [&](const MediaType& t) { shape.part_types.push_back(t.type); };
    v.leaf = [&](const MediaType&, const std::vector<std::string>&, std::string_view body) {
        shape.body_size += body.size();
        std::string_view rest = body;
        while (shape.first_body_line.empty() && !rest.empty()) {
            auto nl = rest.find('\n');
            std::string_view line = trim_blanks(rest.substr(0, nl));
            if (!line.empty())
                shape.first_body_line = std::string(line);
            rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
        }
    };
    v.filler = [&](std::string_view text) { shape.body_size += text.size(); };
    if (auto s = walk_mime(v, split, shape.content_type); !s)
        return fail(s.error());
    return shape;
}

} // namespace qm::lists
