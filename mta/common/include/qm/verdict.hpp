// What one delivery attempt came to for one recipient, whichever channel made it: qmail's
// report letter (K delivered, Z try again later, D give up and bounce) with the text that
// goes to the activity log and, for D, into the bounce. It is the one currency between
// qmail-send and its channels: in-process local and remote deliveries, qmail-lspawn,
// qmail-rspawn and the qmail-remote and qmail-local programs all end in a Verdict.
#pragma once

#include "qm/result.hpp"

#include <optional>
#include <string>

namespace qm {

struct Verdict {
    // The enumerators are the letters themselves, so a verdict goes on the wire as is.
    enum class Kind : char { success = 'K', temporary = 'Z', permanent = 'D' };
    Kind kind = Kind::temporary;
    std::string text; // ends with a newline when not empty, e.g. "did 1+0+0\n"

    [[nodiscard]] char letter() const { return static_cast<char>(kind); }
    [[nodiscard]] bool done() const { return kind == Kind::success; }

    [[nodiscard]] static Verdict success(std::string text = {}) {
        return {Kind::success, std::move(text)};
    }
    [[nodiscard]] static Verdict temporary(std::string text) {
        return {Kind::temporary, std::move(text)};
    }
    [[nodiscard]] static Verdict permanent(std::string text) {
        return {Kind::permanent, std::move(text)};
    }
    // A failure before any delivery could start (no such account, unreadable message):
    // its severity, and its text in qmail's form "text (#x.y.z)\n".
    [[nodiscard]] static Verdict of(const Failure& f) {
        return {f.permanent() ? Kind::permanent : Kind::temporary, f.with_dsn() + "\n"};
    }
    // K, Z or D; nothing for any other byte (a peer that broke the protocol).
    [[nodiscard]] static std::optional<Kind> kind_of(char letter) {
        switch (letter) {
        case 'K':
            return Kind::success;
        case 'Z':
            return Kind::temporary;
        case 'D':
            return Kind::permanent;
        default:
            return std::nullopt;
        }
    }
};

} // namespace qm
