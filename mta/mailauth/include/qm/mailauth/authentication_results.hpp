// The Authentication-Results header field (RFC 8601): writing ours, and finding the ones
// a sender forged with our authserv-id, which a receiver must not pass on (RFC 8601 5),
// since readers and the list programs trust the fields that carry our name.
//
// Messages here are as the queue keeps them: lines end in LF (a CR before it is kept as
// it came). The header ends at the first empty line.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace qm::mailauth {

// One "method=result" with its reason comment and properties ("smtp.mailfrom",
// "header.d", ...). Text from outside (addresses, names, library messages) is made safe
// when the field is written: control bytes go, comments are escaped, a property value
// that is neither an addr-spec-like word nor a token becomes a quoted-string.
struct MethodResult {
    std::string method;
    std::string result;
    std::string comment;
    std::vector<std::pair<std::string, std::string>> properties;
};

// "Authentication-Results: ID;\n\tspf=pass (...) smtp.mailfrom=a@b.example;\n\t..." with a
// final LF; "ID; none" when nothing was checked.
[[nodiscard]] std::string authentication_results_field(std::string_view authserv_id,
                                                       const std::vector<MethodResult>& results);

// The authserv-id of a field's value (after "Authentication-Results:"): its first word,
// past comments and folding whitespace; a quoted-string is unquoted. Empty when there is
// none.
[[nodiscard]] std::string authserv_id_of(std::string_view value);

// The result a field's value gives for method ("arc", "dkim", ...; any case), in lower
// case: that of the first result for it; empty when there is none. Our ARC seal takes
// its cv= from the "arc=" qmail-smtpd wrote as the message arrived.
[[nodiscard]] std::string method_result(std::string_view value, std::string_view method);

// Byte ranges [first, second) of message's header fields named Authentication-Results
// whose authserv-id equals ours (ASCII case-insensitively), continuation lines included.
using ByteRange = std::pair<std::size_t, std::size_t>;
[[nodiscard]] std::vector<ByteRange> forged_results(std::string_view message,
                                                    std::string_view authserv_id);

} // namespace qm::mailauth
