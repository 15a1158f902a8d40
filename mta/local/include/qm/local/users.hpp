// Who receives mail for a local part (qmail-users(5), qmail-lspawn(8), qmail-getpw(8)):
// users/assign and its compiled form users/cdb, byte-compatible with qmail-newu, then the
// passwd database, then the alias user. Lookups are thread-safe (getpwnam_r, one cdb
// handle per lookup).
#pragma once

#include "qm/local/deliver.hpp"
#include "qm/result.hpp"

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qm::local {

// One users/cdb record as qmail-newu writes it.
struct UsersRecord {
    std::string key;   // "!" + lowercased local + "\0" (=), "!" + lowercased prefix (+)
    std::string value; // user \0 uid \0 gid \0 home \0 dash \0 ext   (no final NUL)
};

struct UsersTable {
    std::vector<UsersRecord> records;
    std::string wildchars; // value of the empty key: characters that can end a '+' prefix
};

// Parses users/assign. Lines are "=local:user:uid:gid:home:dash:ext:" or
// "+prefix:user:uid:gid:home:dash:pre:", the table ends with a "." line. A malformed
// line is a permanent failure whose text names file_name and the line number.
[[nodiscard]] Result<UsersTable> parse_assign(std::string_view text,
                                              std::string_view file_name = "users/assign");

// qmail-lspawn's users/cdb lookup, with the table reached through find (key → value).
// nullopt when no record applies. A record that does not split into six fields is a
// temporary failure (a corrupt table should not bounce mail).
using CdbFind = std::function<std::optional<std::string>(std::string_view key)>;
[[nodiscard]] Result<std::optional<Recipient>> lookup_users(const CdbFind& find,
                                                            std::string_view local);

struct ResolveContext {
    std::string qmail_home; // the mail root; alias/ and users/cdb live under it
    // As root: passwd users (uid != 0) and the "alias" passwd user. Otherwise (normal-user
    // mode) only passwd users with self_uid, and <qmail_home>/alias owned by self_uid.
    bool root_mode = false;
    uid_t self_uid = 0;
    gid_t self_gid = 0;
    char conf_break = '-';
};
[[nodiscard]] ResolveContext current_context();
[[nodiscard]] Result<Recipient> resolve(std::string_view local_part, const ResolveContext& ctx);

// qmail-newu: <qmail_home>/users/assign compiled into users/cdb, replaced atomically; a
// malformed assign file leaves the old cdb in place.
[[nodiscard]] Status build_users_cdb(const std::string& qmail_home);

// The passwd step alone (qmail-getpw without its alias fallback).
[[nodiscard]] Result<std::optional<Recipient>> lookup_passwd(std::string_view local,
                                                             const ResolveContext& ctx);

} // namespace qm::local
