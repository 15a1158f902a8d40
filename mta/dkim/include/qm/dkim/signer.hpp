// The signing step of remote delivery: which domain signs a message, with which keys.
// The From field's domain when control/dkimkeys has a key for it (DMARC aligns DKIM with
// From), else the envelope sender's (a list's VERP return path, or a bounce's host); no
// key for either: no signature.
// The same domain's RSA key also seals (ARC, qm/dkim/arc.hpp) mail that came in from
// outside and was checked here, which carries our Authentication-Results field: a list
// post, whose poster's checks the receivers can then see although the list changed it.
#pragma once

#include "qm/dkim/keys.hpp"
#include "qm/dns/lookup.hpp"
#include "qm/result.hpp"

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace qm::dkim {

// What ARC sealing needs besides the keys: the authserv-id of our Authentication-Results
// field, and the DNS that the keys of a chain that came with the message are asked from.
struct Sealing {
    std::string authserv_id; // empty: nothing is sealed
    dns::Config dns;
};

class Signer {
public:
    // control/dkimkeys, and each key it names (relative paths under control_dir); for
    // sealing, control_dir's authservid (default: its me; neither: no sealing) and the
    // DNS servers of qm::dns::load_config.
    // Missing file: no keys, nothing signed. A malformed line or a key that cannot be
    // read fails, naming the file: signing silently switched off would go unnoticed.
    [[nodiscard]] static Result<Signer> load(const std::string& control_dir);
    [[nodiscard]] static Result<Signer> from_entries(std::vector<KeyEntry> entries,
                                                     const std::string& control_dir,
                                                     Sealing sealing = {});

    [[nodiscard]] bool empty() const { return keys_.empty(); }

    // The fields to put in front of message (empty when no key signs for it): an ARC set
    // when the message carries our Authentication-Results field and the signing domain
    // has an RSA key (the first), then the DKIM-Signature fields, one per key of the
    // signing domain.
    [[nodiscard]] Result<std::string> sign(std::string_view message,
                                           std::string_view envelope_sender) const;

private:
    Sealing sealing_;
    std::vector<KeyEntry> entries_;
    std::vector<SigningKey> keys_;   // entries_[i]'s key is keys_[i]
    std::vector<std::string> paths_; // and its file
    // The dkim-sign --serve process that makes the Ed25519 signatures (started when the
    // first is needed; shared by copies of this Signer, one request at a time).
    std::shared_ptr<class SigningHelper> helper_;
};

// Ed25519 signatures are made by a dkim-sign --serve process: Debian 12's OpenDKIM
// (2.11.0~beta2) loses about 470 bytes per Ed25519 signature (dkim_free does not free the
// key dkim_privkey_load made), which a long-running qmail-send would pile up. The helper
// ends after helper_requests signatures (at most ~5 MB lost) and the next request starts
// a new one. RSA signatures are made in this process.
class SigningHelper {
public:
    explicit SigningHelper(unsigned requests_per_process = 10000)
        : limit_(requests_per_process) {}
    ~SigningHelper();
    SigningHelper(const SigningHelper&) = delete;
    SigningHelper& operator=(const SigningHelper&) = delete;

    // The DKIM-Signature field for message; safe from several threads (one at a time).
    [[nodiscard]] Result<std::string> sign(std::string_view message, const SigningKey& key,
                                           const std::string& key_path);
    // Processes started so far (for tests).
    [[nodiscard]] unsigned started() const { return started_; }

private:
    Status start();
    void stop();

    std::mutex mutex_;
    unsigned limit_;
    unsigned served_ = 0;
    unsigned started_ = 0;
    int pid_ = -1;
    int fd_ = -1; // our end of the socket pair
};

// dkim-sign --serve's side: requests on in (four netstrings: domain, selector, key file,
// message), one netstring answer each on out ("K" and the field, or "Z"/"D" and why),
// until the end of input or limit requests. Keys are read once per file. Exit code.
[[nodiscard]] int serve_signing_requests(int in, int out, unsigned limit);

// The domain of the first address in a message's From field; empty when there is none.
[[nodiscard]] std::string from_domain(std::string_view message);

} // namespace qm::dkim
