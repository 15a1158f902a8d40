#include "qm/dkim/sign.hpp"

#include "opendkim.hpp"

#include <cstdint>
#include <cstring>
#include <memory>

namespace qm::dkim {

namespace {

using detail::Handle;
using detail::Lib;

// CRLF for every line end, as DKIM canonicalizes (a CRLF already there stays one).
std::string with_crlf(std::string_view s) {
    std::string out;
    out.reserve(s.size() + s.size() / 32 + 2);
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r'))
            out.push_back('\r');
        out.push_back(s[i]);
    }
    return out;
}

// The header fields (continuation lines joined with CRLF, no final line end) and where
// the body starts (after the empty line; the end when there is none).
struct Split {
    std::vector<std::string> fields;
    size_t body = 0;
};

Split split(std::string_view message) {
    Split out;
    size_t pos = 0;
    while (pos < message.size()) {
        size_t nl = message.find('\n', pos);
        const size_t end = nl == std::string_view::npos ? message.size() : nl;
        std::string_view line = message.substr(pos, end - pos);
        if (line.ends_with('\r'))
            line.remove_suffix(1);
        pos = nl == std::string_view::npos ? message.size() : nl + 1;
        if (line.empty())
            break; // the blank line: the body follows
        if ((line.front() == ' ' || line.front() == '\t') && !out.fields.empty())
            out.fields.back().append("\r\n").append(line);
        else
            out.fields.emplace_back(line);
    }
    out.body = pos;
    return out;
}

} // namespace

namespace detail {

Failure library_failure(std::string_view what, DKIM_STAT st, DKIM* d) {
    std::string text = std::string(what) + ": " + dkim_getresultstr(st);
    if (d != nullptr)
        if (const char* e = dkim_geterror(d); e != nullptr && *e != '\0')
            text += " (" + std::string(e) + ")";
    return temp("4.3.0", text);
}

Status feed(DKIM* d, std::string_view message) {
    const Split s = split(message);
    for (const auto& f : s.fields) {
        std::string field = f;
        const DKIM_STAT st = dkim_header(d, reinterpret_cast<u_char*>(field.data()), field.size());
        if (st != DKIM_STAT_OK)
            return fail(library_failure("dkim_header", st, d));
    }
    if (const DKIM_STAT st = dkim_eoh(d); st != DKIM_STAT_OK && st != DKIM_STAT_NOSIG)
        return fail(library_failure("dkim_eoh", st, d));
    std::string body = with_crlf(message.substr(s.body));
    if (!body.empty())
        if (const DKIM_STAT st = dkim_body(d, reinterpret_cast<u_char*>(body.data()), body.size());
            st != DKIM_STAT_OK)
            return fail(library_failure("dkim_body", st, d));
    return {};
}

} // namespace detail

using detail::feed;
using detail::library_failure;

const std::vector<std::string>& signed_fields() {
    static const std::vector<std::string> fields = {"from",
                                                    "sender",
                                                    "reply-to",
                                                    "subject",
                                                    "date",
                                                    "message-id",
                                                    "to",
                                                    "cc",
                                                    "in-reply-to",
                                                    "references",
                                                    "mime-version",
                                                    "content-type",
                                                    "content-transfer-encoding",
                                                    "list-id",
                                                    "list-help",
                                                    "list-unsubscribe",
                                                    "list-subscribe",
                                                    "list-post",
                                                    "list-owner",
                                                    "list-archive",
                                                    "list-unsubscribe-post"};
    return fields;
}

namespace {

// OpenDKIM's library handle: setting one up costs about a millisecond, most of what a
// signature cost when each made its own. One per thread (qmail-send signs on its lookup
// threads), with the fields to sign set once; nullptr when OpenDKIM cannot start.
DKIM_LIB* signing_library() {
    thread_local const Lib lib = [] {
        Lib l(dkim_init(nullptr, nullptr));
        if (!l)
            return l;
        std::vector<const char*> sign;
        for (const auto& f : signed_fields())
            sign.push_back(f.c_str());
        sign.push_back(nullptr);
        const char* oversign[] = {"from", nullptr};
        if (dkim_options(l.get(), DKIM_OP_SETOPT, DKIM_OPTS_SIGNHDRS, sign.data(),
                         sizeof(char**)) != DKIM_STAT_OK ||
            dkim_options(l.get(), DKIM_OP_SETOPT, DKIM_OPTS_OVERSIGNHDRS, oversign,
                         sizeof(char**)) != DKIM_STAT_OK)
            l.reset();
        return l;
    }();
    return lib.get();
}

} // namespace

Result<std::string> signature(std::string_view message, const SigningKey& key, long now) {
    DKIM_LIB* lib = signing_library();
    if (lib == nullptr)
        return fail(temp("4.3.0", "unable to start OpenDKIM's library"));
    // 0: the clock's time. Set for every signature, as the handle serves them all.
    std::uint64_t fixed = now > 0 ? static_cast<std::uint64_t>(now) : 0;
    if (dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_FIXEDTIME, &fixed, sizeof fixed) !=
        DKIM_STAT_OK)
        return fail(temp("4.3.0", "unable to set OpenDKIM's options"));
    DKIM_STAT st = DKIM_STAT_OK;
    // OpenDKIM takes the key as text and does not change it.
    std::string pem = key.pem;
    Handle d(dkim_sign(
        lib, reinterpret_cast<const u_char*>("qm"), nullptr,
        reinterpret_cast<dkim_sigkey_t>(pem.data()),
        reinterpret_cast<const u_char*>(key.selector.c_str()),
        reinterpret_cast<const u_char*>(key.domain.c_str()), DKIM_CANON_RELAXED, DKIM_CANON_RELAXED,
        key.algorithm == Algorithm::ed25519_sha256 ? DKIM_SIGN_ED25519SHA256 : DKIM_SIGN_RSASHA256,
        -1, &st));
    if (!d)
        return fail(library_failure("dkim_sign", st, nullptr));
    if (auto fed = feed(d.get(), message); !fed)
        return fail(fed.error());
    if (st = dkim_eom(d.get(), nullptr); st != DKIM_STAT_OK)
        return fail(library_failure("dkim_eom", st, d.get()));
    constexpr std::string_view name = "DKIM-Signature: ";
    u_char* value = nullptr;
    size_t len = 0;
    if (st = dkim_getsighdr_d(d.get(), name.size(), &value, &len); st != DKIM_STAT_OK)
        return fail(library_failure("dkim_getsighdr_d", st, d.get()));
    std::string field(name);
    for (size_t i = 0; i < len; ++i)
        if (value[i] != '\r')
            field.push_back(static_cast<char>(value[i]));
    field.push_back('\n');
    return field;
}

Status verify_with_key_file(std::string_view message, const std::string& key_file) {
    Lib lib(dkim_init(nullptr, nullptr));
    if (!lib)
        return fail(temp("4.3.0", "unable to start OpenDKIM's library"));
    int method = DKIM_QUERY_FILE;
    std::string info = key_file;
    if (dkim_options(lib.get(), DKIM_OP_SETOPT, DKIM_OPTS_QUERYMETHOD, &method, sizeof method) !=
            DKIM_STAT_OK ||
        dkim_options(lib.get(), DKIM_OP_SETOPT, DKIM_OPTS_QUERYINFO, info.data(), info.size()) !=
            DKIM_STAT_OK)
        return fail(temp("4.3.0", "unable to set OpenDKIM's options"));
    DKIM_STAT st = DKIM_STAT_OK;
    Handle d(dkim_verify(lib.get(), reinterpret_cast<const u_char*>("qm"), nullptr, &st));
    if (!d)
        return fail(library_failure("dkim_verify", st, nullptr));
    if (auto fed = feed(d.get(), message); !fed)
        return fail(fed.error());
    st = dkim_eom(d.get(), nullptr);
    if (st != DKIM_STAT_OK) {
        Failure f = library_failure("dkim_eom", st, d.get());
        f.severity = Severity::permanent;
        f.dsn = "5.7.20";
        return fail(f);
    }
    return {};
}

} // namespace qm::dkim
