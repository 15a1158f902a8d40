#include "qm/netstring.hpp"

namespace qm::netstring {

std::string encode(std::string_view payload) {
    std::string out = std::to_string(payload.size());
    out.reserve(out.size() + payload.size() + 2);
    out += ':';
    out += payload;
    out += ',';
    return out;
}

Result<std::optional<Decoded>> decode(std::string_view input, size_t max_length) {
    size_t len = 0;
    size_t i = 0;
    for (; i < input.size(); ++i) {
        char c = input[i];
        if (c == ':')
            break;
        if (c < '0' || c > '9')
            return fail(perm("5.5.2", "netstring length is not a number"));
        if (i == 1 && input[0] == '0')
            return fail(perm("5.5.2", "netstring length has a leading zero"));
        len = len * 10 + static_cast<size_t>(c - '0');
        if (len > max_length)
            return fail(perm("5.3.4", "netstring too long"));
    }
    if (i == input.size())
        return std::optional<Decoded>{};
    if (i == 0)
        return fail(perm("5.5.2", "netstring without a length"));
    size_t start = i + 1;
    if (input.size() < start + len + 1)
        return std::optional<Decoded>{};
    if (input[start + len] != ',')
        return fail(perm("5.5.2", "netstring does not end with a comma"));
    return std::optional<Decoded>{Decoded{input.substr(start, len), start + len + 1}};
}

} // namespace qm::netstring
