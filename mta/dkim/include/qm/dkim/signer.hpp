// The signing step of remote delivery: which domain signs a message, with which keys.
// The From field's domain when control/dkimkeys has a key for it (DMARC aligns DKIM with
// From), else the envelope sender's (a list's VERP return path, or a bounce's host); no
// key for either: no signature.
#pragma once

#include "qm/dkim/keys.hpp"
#include "qm/result.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace qm::dkim {

class Signer {
public:
    // control/dkimkeys, and each key it names (relative paths under control_dir).
    // Missing file: no keys, nothing signed. A malformed line or a key that cannot be
    // read fails, naming the file: signing silently switched off would go unnoticed.
    [[nodiscard]] static Result<Signer> load(const std::string& control_dir);
    [[nodiscard]] static Result<Signer> from_entries(std::vector<KeyEntry> entries,
                                                     const std::string& control_dir);

    [[nodiscard]] bool empty() const { return keys_.empty(); }

    // The DKIM-Signature fields to put in front of message (empty when no key signs for
    // it), one per key of the signing domain.
    [[nodiscard]] Result<std::string> sign(std::string_view message,
                                           std::string_view envelope_sender) const;

private:
    std::vector<KeyEntry> entries_;
    std::vector<SigningKey> keys_;   // entries_[i]'s key is keys_[i]
    std::vector<std::string> paths_; // and its file
};

// Ed25519 signatures are made by the dkim-sign program, a process per message: Debian 12's
// OpenDKIM (2.11.0~beta2) loses about 470 bytes per Ed25519 signature (dkim_free does not
// free the key dkim_privkey_load made), which a long-running qmail-send would pile up.
// RSA signatures are made in this process. The helper's verdict: its output, or a failure
// with its exit code's severity.
[[nodiscard]] Result<std::string>
signature_by_helper(std::string_view message, const SigningKey& key, const std::string& key_path);

// The domain of the first address in a message's From field; empty when there is none.
[[nodiscard]] std::string from_domain(std::string_view message);

} // namespace qm::dkim
