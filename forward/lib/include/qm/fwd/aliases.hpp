// sendmail's /etc/aliases compiled into a fastforward table, as fastforward 0.51's
// newaliases(1) does it; and sendmail :include: lists compiled into binary mailing lists
// (newinclude(1)). Continuation lines start with a space or tab or are empty; '#' starts a
// comment (which swallows its own continuation lines); ":include:file" becomes the list
// "file.bin"; "|prog" becomes "!prog" (run through preline); "owner-X" also sets X's owner.
// File deliveries are refused. Each error names the file and line.
#pragma once

#include "qm/fwd/rfc822.hpp"
#include "qm/fwd/table.hpp"

#include <string>
#include <string_view>

namespace qm::fwd {

// Parses content (the text of file) and hands records to sink in file order. Recipients
// come out last first, exactly as newaliases 0.51 writes them, so that tables are
// byte-identical; fastforward then forwards to them in that (reversed) order.
[[nodiscard]] Status compile_aliases(std::string_view content, const std::string& file,
                                     const Qualify& q, const RecordSink& sink);

// The same, reading the aliases file from fd in blocks (newaliases on large files).
[[nodiscard]] Status compile_aliases_fd(int fd, const std::string& file, const Qualify& q,
                                        const RecordSink& sink);

// newinclude: every line holds addresses and :include: lists (no continuation lines, no
// programs, no files). Returns the bytes of the .bin list.
[[nodiscard]] Result<std::string> compile_include(std::string_view content, const std::string& file,
                                                  const Qualify& q);

} // namespace qm::fwd
