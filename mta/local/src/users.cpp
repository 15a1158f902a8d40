#include "qm/local/users.hpp"

#include "qm/cdb.hpp"
#include "qm/fd.hpp"
#include "qm/home.hpp"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <vector>

namespace qm::local {

namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    return out;
}

bool parse_id(std::string_view s, unsigned long& out) {
    // qmail's scan_ulong: leading digits, the rest ignored.
    out = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p != s.data();
}

// errno values after which "not there" cannot be concluded (qmail's error_temp).
bool temporary_errno(int err) {
    switch (err) {
    case ENOENT:
    case ENOTDIR:
        return false;
    default:
        return true;
    }
}

} // namespace

Result<UsersTable> parse_assign(std::string_view text, std::string_view file_name) {
    UsersTable table;
    unsigned line_no = 0;
    auto bad = [&](std::string_view why) {
        return fail(perm("5.3.5", "bad format in " + std::string(file_name) + " line " +
                                      std::to_string(line_no) + ": " + std::string(why)));
    };
    for (;;) {
        ++line_no;
        if (text.empty())
            return bad("missing final \".\" line");
        size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        if (line.starts_with('.'))
            return table;
        if (nl == std::string_view::npos)
            return bad("line does not end with a newline");
        text.remove_prefix(nl + 1);

        if (line.find('\0') != std::string_view::npos)
            return bad("NUL byte");
        if (line.empty() || (line.front() != '=' && line.front() != '+'))
            return bad("line must start with '=' or '+'");
        size_t colon = line.find(':');
        if (colon == std::string_view::npos)
            return bad("no ':'");
        std::string_view local = line.substr(1, colon - 1);
        std::string_view rest = line.substr(colon + 1);

        std::string value;
        int colons = 0;
        size_t i = 0;
        for (; i < rest.size(); ++i) {
            if (rest[i] == ':' && ++colons == 6)
                break;
        }
        if (colons < 6)
            return bad("fewer than 7 ':'-separated fields");
        value.assign(rest.substr(0, i));
        for (char& c : value)
            if (c == ':')
                c = '\0';
        // uid and gid must be numbers; qmail would silently read garbage as 0 (root).
        {
            std::string_view v = value;
            size_t a = v.find('\0');
            size_t b = v.find('\0', a + 1);
            size_t c = v.find('\0', b + 1);
            unsigned long id = 0;
            std::string_view uid = v.substr(a + 1, b - a - 1), gid = v.substr(b + 1, c - b - 1);
            if (uid.empty() || gid.empty() || !parse_id(uid, id) || !parse_id(gid, id) ||
                uid.find_first_not_of("0123456789") != std::string_view::npos ||
                gid.find_first_not_of("0123456789") != std::string_view::npos)
                return bad("uid and gid must be numbers");
        }

        UsersRecord rec;
        rec.key = "!" + lower(local);
        if (line.front() == '+') {
            if (!local.empty() && table.wildchars.find(local.back()) == std::string::npos)
                table.wildchars.push_back(local.back());
        } else {
            rec.key.push_back('\0');
        }
        rec.value = std::move(value);
        table.records.push_back(std::move(rec));
    }
}

Status build_users_cdb(const std::string& qmail_home) {
    const std::string assign = qmail_home + "/users/assign";
    auto text = read_file(assign);
    if (!text)
        return fail(temp("4.3.0", "unable to read " + assign + ": " + text.error().text));
    auto table = parse_assign(*text, assign);
    if (!table)
        return fail(table.error());
    auto w = cdb::Writer::create(qmail_home + "/users/cdb", 0644);
    if (!w)
        return fail(w.error());
    for (const auto& r : table->records)
        if (auto s = w->add(r.key, r.value); !s)
            return s;
    if (auto s = w->add("", table->wildchars); !s)
        return s;
    return w->commit();
}

Result<std::optional<Recipient>> lookup_users(const CdbFind& find, std::string_view local) {
    auto wild = find("");
    if (!wild)
        return fail(temp("4.3.0", "Trouble reading users/cdb in qmail-lspawn."));
    const std::string key = "!" + lower(local) + std::string(1, '\0');

    // Exact key first (it ends in NUL), then ever shorter prefixes, but only prefixes
    // whose last character can end a wildcard (or the bare "!" catch-all).
    for (size_t n = key.size(); n > 0; --n) {
        const bool wildcard = n != key.size();
        if (wildcard && n != 1 && wild->find(key[n - 1]) == std::string::npos)
            continue;
        auto value = find(std::string_view(key).substr(0, n));
        if (!value)
            continue;
        std::string v = *value;
        if (wildcard)
            v.append(local.substr(n - 1));
        std::vector<std::string_view> f;
        std::string_view rest = v;
        for (int k = 0; k < 5; ++k) {
            size_t z = rest.find('\0');
            if (z == std::string_view::npos)
                return fail(temp("4.3.0", "Trouble reading users/cdb in qmail-lspawn."));
            f.push_back(rest.substr(0, z));
            rest.remove_prefix(z + 1);
        }
        f.push_back(rest.substr(0, rest.find('\0')));
        unsigned long uid = 0, gid = 0;
        parse_id(f[1], uid);
        parse_id(f[2], gid);
        Recipient r;
        r.user = f[0];
        r.uid = static_cast<uid_t>(uid);
        r.gid = static_cast<gid_t>(gid);
        r.home = f[3];
        r.dash = f[4];
        r.ext = f[5];
        return std::optional<Recipient>(std::move(r));
    }
    return std::optional<Recipient>{};
}

ResolveContext current_context() {
    ResolveContext ctx;
    ctx.qmail_home = qmail_home();
    ctx.root_mode = ::geteuid() == 0;
    ctx.self_uid = ::geteuid();
    ctx.self_gid = ::getegid();
    return ctx;
}

namespace {

// getpwnam_r; nullopt when there is no such user, a temporary failure when the
// database could not be read.
Result<std::optional<passwd>> get_passwd(const std::string& name, std::vector<char>& buf) {
    passwd pw{};
    passwd* found = nullptr;
    long hint = ::sysconf(_SC_GETPW_R_SIZE_MAX);
    buf.resize(hint > 0 ? static_cast<size_t>(hint) : 16384);
    for (;;) {
        int rc = ::getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &found);
        if (rc == ERANGE && buf.size() < (1u << 20)) {
            buf.resize(buf.size() * 2);
            continue;
        }
        if (rc == 0 || rc == ENOENT || rc == ESRCH || rc == EBADF || rc == EPERM)
            return found ? std::optional<passwd>(pw) : std::nullopt;
        return fail(temp("4.3.0", "Temporary failure in qmail-lspawn."));
    }
}

} // namespace

Result<std::optional<Recipient>> lookup_passwd(std::string_view local, const ResolveContext& ctx) {
    constexpr size_t max_user = 32; // qmail-getpw's GETPW_USERLEN, NUL included
    std::vector<char> buf;
    // From the end: the whole local part first, then every prefix that ends just before a
    // conf-break character, so the longest matching account wins.
    for (size_t n = local.size() + 1; n-- > 0;) {
        if (n != local.size() && local[n] != ctx.conf_break)
            continue;
        if (n >= max_user)
            continue;
        auto pw = get_passwd(lower(local.substr(0, n)), buf);
        if (!pw)
            return fail(pw.error());
        if (!*pw || (*pw)->pw_uid == 0)
            continue;
        if (!ctx.root_mode && (*pw)->pw_uid != ctx.self_uid)
            continue; // we could not deliver as that user anyway
        struct stat st {};
        if (::stat((*pw)->pw_dir, &st) != 0) {
            if (temporary_errno(errno))
                return fail(temp("4.3.0", "NFS failure in qmail-local."));
            continue;
        }
        if (st.st_uid != (*pw)->pw_uid)
            continue;
        Recipient r;
        r.user = (*pw)->pw_name;
        r.uid = (*pw)->pw_uid;
        r.gid = (*pw)->pw_gid;
        r.home = (*pw)->pw_dir;
        if (n < local.size()) {
            r.dash = "-";
            r.ext = local.substr(n + 1);
        }
        return std::optional<Recipient>(std::move(r));
    }
    return std::optional<Recipient>{};
}

Result<Recipient> resolve(std::string_view local_part, const ResolveContext& ctx) {
    auto db = cdb::Reader::open(ctx.qmail_home + "/users/cdb");
    if (!db)
        return fail(temp("4.3.0", "Trouble reading users/cdb in qmail-lspawn."));
    if (*db) {
        const cdb::Reader& reader = **db;
        auto r = lookup_users([&](std::string_view k) { return reader.find(k); }, local_part);
        if (!r)
            return fail(r.error());
        if (*r)
            return std::move(**r);
    }

    auto pw = lookup_passwd(local_part, ctx);
    if (!pw)
        return fail(pw.error());
    if (*pw)
        return std::move(**pw);

    Recipient alias;
    alias.dash = "-";
    alias.ext = local_part;
    std::vector<char> buf;
    if (ctx.root_mode) {
        auto a = get_passwd("alias", buf);
        if (!a)
            return fail(a.error());
        if (!*a)
            return fail(temp("4.3.0", "Unable to find alias user!"));
        alias.user = (*a)->pw_name;
        alias.uid = (*a)->pw_uid;
        alias.gid = (*a)->pw_gid;
        alias.home = (*a)->pw_dir;
        return alias;
    }
    // Normal-user mode has no alias account: the mail root's alias/ directory, when it
    // belongs to us, plays its part.
    alias.user = "alias";
    alias.uid = ctx.self_uid;
    alias.gid = ctx.self_gid;
    alias.home = ctx.qmail_home + "/alias";
    struct stat st {};
    if (::stat(alias.home.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ctx.self_uid)
        return fail(temp("4.3.0", "Unable to find alias user!"));
    return alias;
}

Result<Recipient> resolve(std::string_view local_part) {
    return resolve(local_part, current_context());
}

} // namespace qm::local
