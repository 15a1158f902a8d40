// The real ezmlm-idx 7.2.2, built from its source tarball (../shared/peers beside the
// source tree, QM_PEERS_DIR) as a test peer, the way Postfix is used: lists made or
// driven by it and by us must work with each other's programs.
//
// It is built once per build tree, into <build>/peers/ezmlm-idx-7.2.2/<hash>/ (the first
// 16 hex digits of the tarball's SHA-256, so a new tarball builds afresh), under a lock so
// that test processes running in parallel wait for one build instead of racing. Its
// programs have that directory compiled in (bin/ for each other, etc/ for ezmlmrc and the
// language texts, lib/ for sub-std.so). They queue mail through $QMAILHOME/bin/qmail-queue:
// run them with a MailRoot's run(), which sets QMAILHOME to the root, where qmail-install
// put our qmail-queue. Without QMAILHOME they would look under <hash>/no-qmailhome/, which
// does not exist, and fail instead of using a system qmail.
#pragma once

#include <optional>
#include <string>

namespace qmtest {

// Why ezmlm-idx cannot be built here (no tarball, no C compiler, make or python3);
// nullopt when it can. A build that fails where it can run fails the test instead.
[[nodiscard]] std::optional<std::string> ezmlm_idx_unavailable();
// The same, for a test: true, and the test reported as skipped with the reason, when the
// peer cannot be built here.
[[nodiscard]] bool skip_without_ezmlm_idx();

class EzmlmIdx {
public:
    // The installed peer's directory: bin/, etc/ (etc/default is en_US), lib/.
    [[nodiscard]] const std::string& dir() const { return dir_; }
    // A real program, e.g. bin("ezmlm-sub").
    [[nodiscard]] std::string bin(const std::string& name) const { return dir_ + "/bin/" + name; }
    [[nodiscard]] std::string etc() const { return dir_ + "/etc"; }

private:
    friend const EzmlmIdx& ezmlm_idx();
    explicit EzmlmIdx(std::string dir)
        : dir_(std::move(dir)) {}
    std::string dir_;
};

// Builds the peer if this build tree has not yet (throws, failing the test, if the build
// fails), then returns it. Check ezmlm_idx_unavailable() first.
[[nodiscard]] const EzmlmIdx& ezmlm_idx();

} // namespace qmtest
