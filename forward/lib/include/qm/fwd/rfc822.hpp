// RFC 822 address lists as sendmail's aliases and .forward files write them, read the way
// fastforward's newaliases and dot-forward read them (qmail's token822 rules): comments
// dropped, "Name <addr>" keeps addr, quoted local parts unquoted, commas, semicolons,
// colons and plain whitespace between words all separate addresses, ":include:" marks a
// file name. Pure: no I/O, no control files.
#pragma once

#include "qm/result.hpp"

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace qm::fwd {

struct Item {
    enum class Kind { address, include };
    Kind kind = Kind::address;
    std::string text;         // quotes and escapes removed
    bool has_at = false;      // an unquoted '@' (the last one splits local from host)
    std::size_t at = 0;       // index of that '@' in text
    bool leading_at = false;  // written as "@host" (only a target may be)
    bool dangling_at = false; // written "user@" with nothing after the '@' (dropped)
};

// Splits one logical line into items in written order. A line that does not parse
// (unterminated quote, comment, literal or angle bracket, an address starting with '.'
// or '@') is a permanent failure whose text is only the reason; the caller
// adds file, line and the line itself. allow_leading_at permits "@host" as the first item.
[[nodiscard]] Result<std::vector<Item>> parse_address_list(std::string_view line,
                                                           bool allow_leading_at = false);

// An Item whose text views the line it was parsed from or the buffers of the parser.
struct ItemView {
    Item::Kind kind = Item::Kind::address;
    std::string_view text;
    bool has_at = false;
    std::size_t at = 0;
    bool leading_at = false;
    bool dangling_at = false;
};

// parse_address_list for many lines in a row (newaliases on a million aliases): the token
// and item buffers are kept from one line to the next, so that once they have grown a line
// costs no allocation. The items view the line and those buffers: they are valid while
// the line is and until the next parse().
class AddressListParser {
public:
    AddressListParser();
    AddressListParser(AddressListParser&&) noexcept;
    AddressListParser& operator=(AddressListParser&&) noexcept;
    ~AddressListParser();

    [[nodiscard]] Result<std::span<const ItemView>> parse(std::string_view line,
                                                          bool allow_leading_at = false);

private:
    struct Buffers;
    std::unique_ptr<Buffers> b_;
};

// How unqualified addresses are completed (qmail-header(5), qmail-control(5)).
struct Qualify {
    std::string defaulthost;   // control/defaulthost, else control/me
    std::string defaultdomain; // control/defaultdomain, else control/me
    std::string plusdomain;    // control/plusdomain, else control/me
    std::string me;            // control/me
};
// Reads the control files under the mail root.
[[nodiscard]] Result<Qualify> load_qualify();

// "alice" -> "alice@defaulthost"; "a@host" -> "a@host.defaultdomain";
// "a@host+" -> "a@host.plusdomain"; hosts with a dot are kept.
[[nodiscard]] std::string qualify(const Item& item, const Qualify& q);
// The same appended to out (no string of its own per address).
void append_qualified(std::string& out, const ItemView& item, const Qualify& q);

} // namespace qm::fwd
