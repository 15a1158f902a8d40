// A private instance of the system's Postfix (Debian's) for interoperability tests: its
// own configuration, queue and log in a temporary directory, started with postfix -c, so
// the system's /etc/postfix and its queue are never touched. Needs root (Postfix's master
// runs as root and drops to the postfix user) and /usr/sbin/postfix.
#pragma once

#include "support.hpp"

#include <optional>
#include <string>
#include <vector>

namespace qmtest {

// Why a private Postfix cannot run here (not root, not installed); nullopt when it can.
[[nodiscard]] std::optional<std::string> postfix_unavailable();

class PrivatePostfix {
public:
    // Makes the instance's directory (world-searchable, so Postfix's unprivileged
    // processes reach it); start() configures and starts it.
    PrivatePostfix();
    // Stops the instance if it was started.
    ~PrivatePostfix();
    PrivatePostfix(const PrivatePostfix&) = delete;
    PrivatePostfix& operator=(const PrivatePostfix&) = delete;

    // The instance's directory (etc/, spool/, data/ and postfix.log are there), for the
    // mailboxes and certificates a test adds before start().
    [[nodiscard]] const std::string& dir() const { return dir_.path(); }

    // An smtpd on 127.0.0.1:smtpd_port. settings are main.cf lines added after the
    // instance's own (its paths, myhostname pf.test, empty mydestination, loopback only,
    // no aliases), which they may override; extra_services are master.cf lines added to
    // the standard set (which has no local or virtual delivery agent). Returns once the
    // smtpd answers.
    void start(int smtpd_port, const std::string& settings, const std::string& extra_services = "");

    // main.cf lines with which virtual(8) delivers the mail for addresses, each into its
    // own maildir under dir()/mail (owned by nobody); anyone else in their domains is
    // unknown (550 at RCPT). start()'s extra_services then needs virtual_service.
    [[nodiscard]] std::string virtual_maildirs(const std::vector<std::string>& addresses) const;
    static constexpr const char* virtual_service = "virtual   unix  - n n - - virtual\n";
    // The messages in address's maildir (new/), as virtual(8) delivered them.
    [[nodiscard]] std::vector<std::string> delivered(const std::string& address) const;

    // Postfix's log (maillog_file), empty until it writes one.
    [[nodiscard]] std::string log() const;

private:
    TempDir dir_;
    bool started_ = false;
};

} // namespace qmtest
