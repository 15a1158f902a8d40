// What private archives remember (login.hpp): one-time login links, sessions and the
// login mails sent, in STATE/logins.sqlite under the server's --state directory (0700,
// the server's own). Links and sessions are random 256-bit secrets; the database keeps
// only their SHA-256, so a copy of it opens no session and spends no link. Expired rows
// are removed as new ones are written. The server's pool threads share one store, one
// call at a time (a mutex: the connection is SQLite's NOMUTEX kind); SQLite's locking keeps
// a second server process from corrupting it.
#pragma once

#include "qm/result.hpp"

#include <ctime>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace qm::web::sql {
class Connection;
}

namespace qm::web::server {

// How long a mailed login link works, and a session lasts.
inline constexpr std::time_t login_link_lifetime = 30 * 60;
inline constexpr std::time_t session_lifetime = 14 * 86'400;
// The most login links mailed to one address within login_mail_window: a stranger who
// types someone's address again and again sends them no more than this.
inline constexpr unsigned login_mails_per_window = 3;
inline constexpr std::time_t login_mail_window = 3600;

class LoginStore {
public:
    using Clock = std::function<std::time_t()>;
    // Opens (creating) state_dir/logins.sqlite. state_dir is created mode 0700; one that
    // exists must be a directory that neither its group nor others may enter (it holds
    // who reads which list), else a permanent failure says so.
    [[nodiscard]] static Result<std::shared_ptr<LoginStore>> open(const std::string& state_dir,
                                                                  Clock clock = {});
    ~LoginStore();
    LoginStore(const LoginStore&) = delete;
    LoginStore& operator=(const LoginStore&) = delete;

    // A new link secret for address to log in to list, unless the address was sent
    // login_mails_per_window links already in the last login_mail_window (nullopt).
    [[nodiscard]] Result<std::optional<std::string>> issue_link(std::string_view address,
                                                                std::string_view list);
    // The address the link secret is for, when it is for list, unspent and unexpired;
    // the link stays usable (a GET shows the button, only the POST spends it).
    [[nodiscard]] Result<std::optional<std::string>> link_address(std::string_view secret,
                                                                  std::string_view list);
    // The same, spending the link: it never works again.
    [[nodiscard]] Result<std::optional<std::string>> spend_link(std::string_view secret,
                                                                std::string_view list);

    // A new session for address; returns its secret (the cookie's value).
    [[nodiscard]] Result<std::string> open_session(std::string_view address);
    // The address of an unexpired session.
    [[nodiscard]] Result<std::optional<std::string>> session_address(std::string_view secret);
    [[nodiscard]] Status close_session(std::string_view secret);

    [[nodiscard]] std::time_t now() const { return clock_(); }

private:
    LoginStore(std::string path, Clock clock);
    std::string path_;
    Clock clock_;
    std::unique_ptr<sql::Connection> db_;
    std::mutex mutex_;
};

// Whether s can be a secret of this store (64 lower-case hex digits): anything else is
// refused before the database is asked.
[[nodiscard]] bool valid_secret(std::string_view s);

} // namespace qm::web::server
