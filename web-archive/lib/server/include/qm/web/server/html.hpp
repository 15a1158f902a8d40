// Text made safe for the archive's pages: HTML escaping, addresses obfuscated, a
// message's text with its quoted lines folded. Everything that comes from mail goes
// through escape_html before it reaches a page; these functions are the only way text gets
// into the HTML the server writes. Pure functions, no I/O.
#pragma once

#include <string>
#include <string_view>

namespace qm::web::server {

// s with & < > " ' as character references: safe in element content and in quoted
// attribute values alike.
[[nodiscard]] std::string escape_html(std::string_view s);

// An address as the pages show it: the local part, "@", the domain's first character and
// "…" (joe@far.example as joe@f…). A reader who knows the person recognises them; a
// harvester gets nothing it can mail (the "joe at far.example" style is undone by a
// one-line regex). Text without "@" is returned as it is.
[[nodiscard]] std::string obfuscate_address(std::string_view address);

// text with every address-like word (local@domain.with.dot) obfuscated as above, so
// addresses quoted in bodies ("On Monday, joe@far.example wrote:") do not leak either.
[[nodiscard]] std::string obfuscate_addresses(std::string_view text);

// A message's decoded text as HTML: addresses obfuscated, escaped, in <pre> blocks; each
// run of quoted lines (starting with ">") folded into a <details> element that a reader
// opens without any script.
[[nodiscard]] std::string render_text(std::string_view text);

} // namespace qm::web::server
