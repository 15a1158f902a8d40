#include "qm/inject/inject.hpp"

#include "qm/address.hpp"
#include "qm/control.hpp"
#include "qm/date.hpp"
#include "qm/env.hpp"
#include "qm/fd.hpp"
#include "qm/header_cr.hpp"
#include "qm/inject/header.hpp"
#include "qm/mailauth/authentication_results.hpp"
#include "qm/program.hpp"
#include "qm/queue_client.hpp"

#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <unordered_set>

namespace qm::inject {

namespace {

std::optional<std::string> first_env(std::initializer_list<const char*> names) {
    for (const char* n : names)
        if (auto v = env(n))
            return v;
    return std::nullopt;
}

// An env override, else the control file, else control/me.
Result<std::string> control_value(const char* env_name, const std::string& control_name) {
    if (auto v = env(env_name))
        return *v;
    return control::read_line_or_me(control_name);
}

Result<std::optional<std::vector<std::string>>> read_mft_file() {
    auto path = env("QMAILMFTFILE");
    if (!path)
        return std::nullopt;
    auto data = read_file(*path);
    if (!data) {
        if (errno == ENOENT)
            return std::nullopt;
        return fail(temp("4.3.0", "unable to read " + *path + ": " + data.error().text));
    }
    std::vector<std::string> lists;
    std::string_view rest = *data;
    while (!rest.empty()) {
        auto nl = rest.find('\n');
        std::string_view line = rest.substr(0, nl);
        rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
        while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r'))
            line.remove_suffix(1);
        if (line.empty() || line.front() == '#')
            continue;
        lists.push_back(qm::address::lowercase(line));
    }
    return std::optional<std::vector<std::string>>(std::move(lists));
}

enum class Role { none, to_cc, recipient, resent_recipient, return_path, sender };

Role role_of(FieldKind k) {
    switch (k) {
    case FieldKind::to:
    case FieldKind::cc:
        return Role::to_cc;
    case FieldKind::bcc:
    case FieldKind::apparently_to:
        return Role::recipient;
    case FieldKind::resent_to:
    case FieldKind::resent_cc:
    case FieldKind::resent_bcc:
        return Role::resent_recipient;
    case FieldKind::return_path:
        return Role::return_path;
    case FieldKind::sender:
    case FieldKind::from:
    case FieldKind::reply_to:
    case FieldKind::return_receipt_to:
    case FieldKind::errors_to:
    case FieldKind::resent_sender:
    case FieldKind::resent_from:
    case FieldKind::resent_reply_to:
        return Role::sender;
    default:
        return Role::none;
    }
}

Failure unparseable(std::string_view field) {
    std::string f(field);
    while (!f.empty() && f.back() == '\n')
        f.pop_back();
    return perm("5.6.0", "unable to parse this line: " + f);
}

// A field rewritten: its new text and its addresses in envelope form.
struct Rewritten {
    std::string text;
    std::vector<std::string> addresses;
    // The address list did not parse: text is the field as written, and addresses are
    // those qmail would still have taken from it (split_address_list).
    bool unparsed = false;
};

// Tokenizes "Name: value", rewrites every address of the value and prints it back.
Result<Rewritten> rewrite_field(std::string_view field, const Rewriter& rw) {
    auto tokens = tokenize(field);
    if (!tokens || tokens->size() < 2 || (*tokens)[1].kind != TokenKind::colon)
        return fail(unparseable(field));
    std::span<const Token> value(tokens->begin() + 2, tokens->end());
    std::vector<Tokens> salvaged;
    auto pieces = split_address_list(value, &salvaged);
    if (!pieces) {
        if (salvaged.empty())
            return fail(unparseable(field));
        Rewritten kept{std::string(field), {}, true};
        for (const Tokens& a : salvaged)
            kept.addresses.push_back(unquote(rw.address(a)));
        return kept;
    }
    Rewritten out;
    Tokens all(tokens->begin(), tokens->begin() + 2);
    Tokens joined = join_pieces(*pieces, [&](const Tokens& a) {
        Tokens r = rw.address(a);
        out.addresses.push_back(unquote(r));
        return r;
    });
    all.insert(all.end(), joined.begin(), joined.end());
    out.text = unparse(all);
    return out;
}

Status check_envelope_address(const std::string& a, std::string_view field) {
    if (a.find('\0') != std::string::npos)
        return fail(perm("5.1.3", "NUL byte in an address in " + std::string(field_name(field))));
    return {};
}

// Builds "Name: <tokens>", reparses it and rewrites it, as qmail does for the fields it
// makes itself (so a user or host name with odd bytes comes out as valid syntax).
Result<Rewritten> made_field(const Tokens& tokens, const Rewriter& rw) {
    return rewrite_field(unparse(tokens), rw);
}

Result<std::string> default_from(const Settings& s, const Rewriter& rw) {
    Tokens t{{TokenKind::atom, "From"}, {TokenKind::colon, {}}};
    const bool angle = s.fullname && !s.flags.name_comment;
    if (angle) {
        t.push_back({TokenKind::quoted, *s.fullname});
        t.push_back({TokenKind::left, {}});
    }
    t.push_back(word_token(s.user));
    if (s.host) {
        t.push_back({TokenKind::at, {}});
        t.push_back({TokenKind::atom, *s.host});
    }
    if (angle)
        t.push_back({TokenKind::right, {}});
    if (s.fullname && s.flags.name_comment)
        t.push_back({TokenKind::comment, *s.fullname});
    auto f = made_field(t, rw);
    if (!f)
        return fail(f.error());
    return std::move(f->text);
}

Result<std::string> default_sender(const Settings& s, const Rewriter& rw) {
    std::string user = s.sender_user;
    if (s.flags.verp_message)
        user += "-" + std::to_string(s.now) + "." + std::to_string(s.pid);
    if (s.flags.verp_recipient)
        user += "-";
    Tokens t{{TokenKind::atom, "Return-Path"}, {TokenKind::colon, {}}, {TokenKind::quoted, user}};
    if (s.sender_host) {
        t.push_back({TokenKind::at, {}});
        t.push_back({TokenKind::atom, *s.sender_host});
    }
    auto f = made_field(t, rw);
    if (!f)
        return fail(f.error());
    if (f->addresses.empty())
        return std::string();
    return f->addresses.front();
}

bool is_resent(const std::array<bool, static_cast<size_t>(FieldKind::count_)>& seen) {
    for (FieldKind k :
         {FieldKind::resent_sender, FieldKind::resent_from, FieldKind::resent_reply_to,
          FieldKind::resent_to, FieldKind::resent_cc, FieldKind::resent_bcc, FieldKind::resent_date,
          FieldKind::resent_message_id})
        if (seen[static_cast<size_t>(k)])
            return true;
    return false;
}

} // namespace

InjectFlags InjectFlags::parse(std::string_view letters) {
    InjectFlags f;
    for (char c : letters) {
        switch (c) {
        case 'c':
            f.name_comment = true;
            break;
        case 's':
            f.ignore_return_path = true;
            break;
        case 'f':
            f.delete_from = true;
            break;
        case 'i':
            f.delete_message_id = true;
            break;
        case 'r':
            f.verp_recipient = true;
            break;
        case 'm':
            f.verp_message = true;
            break;
        default:
            break; // qmail ignores letters it does not know
        }
    }
    return f;
}

Result<Options> parse_args(std::span<const std::string> args) {
    using Source = RecipientSource;
    Options o;
    program::Options options(program::Order::options_first);
    options.set('a', o.source, Source::args)
        .set('A', o.source, Source::default_)
        .set('h', o.source, Source::header)
        .set('H', o.source, Source::both)
        .set('n', o.queue, false)
        .set('N', o.queue, true)
        .store('f', o.sender, "a sender address");
    auto recipients = options.parse(args);
    if (!recipients)
        return fail(recipients.error());
    o.recipients = std::move(*recipients);
    return o;
}

Result<Settings> load_settings() {
    Settings s;
    auto host = control_value("QMAILDEFAULTHOST", "defaulthost");
    if (!host)
        return fail(host.error());
    auto domain = control_value("QMAILDEFAULTDOMAIN", "defaultdomain");
    if (!domain)
        return fail(domain.error());
    auto plus = control_value("QMAILPLUSDOMAIN", "plusdomain");
    if (!plus)
        return fail(plus.error());
    auto idhost = control_value("QMAILIDHOST", "idhost");
    if (!idhost)
        return fail(idhost.error());
    s.domains = {*host, *domain, *plus};
    s.idhost = *idhost;
    s.user = first_env({"QMAILUSER", "MAILUSER", "USER", "LOGNAME"}).value_or("anonymous");
    s.host = first_env({"QMAILHOST", "MAILHOST"});
    s.fullname = first_env({"QMAILNAME", "MAILNAME", "NAME"});
    s.sender_user = env("QMAILSUSER").value_or(s.user);
    s.sender_host = env("QMAILSHOST");
    if (!s.sender_host)
        s.sender_host = s.host;
    s.flags = InjectFlags::parse(env("QMAILINJECT").value_or(""));
    auto mft = read_mft_file();
    if (!mft)
        return fail(mft.error());
    s.mft = std::move(*mft);
    s.now = std::time(nullptr);
    s.pid = ::getpid();
    auto checks = control::read_line("authcheck");
    if (!checks)
        return fail(checks.error());
    if (*checks) {
        auto id = control::read_line_or_me("authservid");
        if (!id)
            return fail(id.error());
        s.authserv_id = *id;
    }
    return s;
}

std::string date_field(std::time_t now) {
    return "Date: " + date822(now) + "\n";
}

std::string message_id_field(std::time_t now, pid_t pid, std::string_view idhost) {
    return "Message-ID: <" + compact_timestamp(now) + "." + std::to_string(pid) + ".qmail@" +
           std::string(idhost) + ">\n";
}

std::string Prepared::printed() const {
    return "Return-Path: <" + qm::address::quote_for_header(envelope.sender) + ">\n" + message;
}

Result<Prepared> prepare(std::string_view input, const Options& opt, const Settings& s) {
    auto rw = Rewriter::make(s.domains);
    if (!rw)
        return fail(rw.error());

    std::optional<std::string> sender;
    if (opt.sender) {
        auto e = rw->envelope(*opt.sender);
        if (!e)
            return fail(perm("5.1.7", "unable to parse this line: " + *opt.sender));
        sender = std::move(*e);
    }

    RecipientSource source = opt.source;
    if (source == RecipientSource::default_)
        source = opt.recipients.empty() ? RecipientSource::header : RecipientSource::args;
    Prepared p;
    if (source != RecipientSource::header)
        for (const std::string& r : opt.recipients) {
            auto e = rw->envelope(r);
            if (!e)
                return fail(e.error());
            if (e->empty())
                return fail(perm("5.1.3", "empty recipient address"));
            p.envelope.recipients.push_back(std::move(*e));
        }
    const bool header_recipients = source != RecipientSource::args;

    // A bare CR would split a header field in two at the next hop (qm/header_cr.hpp).
    SplitMessage split = split_message(header_cr_to_space(input));
    std::array<bool, static_cast<size_t>(FieldKind::count_)> seen{};
    std::vector<std::string> plain, resent, to_cc, saved;
    for (std::string& field : split.fields) {
        const FieldKind kind = field_kind(field);
        if ((s.flags.delete_from && kind == FieldKind::from) ||
            (s.flags.delete_message_id && kind == FieldKind::message_id) ||
            (s.flags.ignore_return_path && kind == FieldKind::return_path))
            continue;
        if (!s.authserv_id.empty() &&
            !mailauth::forged_results(field + "\n", s.authserv_id).empty())
            continue; // a field only qmail-smtpd may write
        seen[static_cast<size_t>(kind)] = true;

        const Role role = role_of(kind);
        if (role != Role::none) {
            auto r = rewrite_field(field, *rw);
            const bool sender_role = role == Role::return_path || role == Role::sender;
            if (r && r->unparsed && sender_role)
                r = fail(unparseable(field));
            if (!r) {
                // Recipient fields that do not parse stay as written (notqmail); sender
                // fields are a severe syntax error.
                if (sender_role)
                    return fail(r.error());
            } else {
                field = std::move(r->text);
                for (std::string& a : r->addresses) {
                    if (auto c = check_envelope_address(a, field); !c)
                        return fail(c.error());
                    if (role == Role::return_path) {
                        if (!sender)
                            sender = a + (s.flags.verp_recipient ? "-@[]" : "");
                        continue;
                    }
                    if (role == Role::sender || a.empty())
                        continue; // <> is nobody to deliver to
                    if (role == Role::to_cc)
                        to_cc.push_back(a);
                    (role == Role::resent_recipient ? resent : plain).push_back(std::move(a));
                }
            }
        }
        if (kind == FieldKind::bcc || kind == FieldKind::resent_bcc ||
            kind == FieldKind::return_path || kind == FieldKind::content_length)
            continue;
        saved.push_back(std::move(field));
    }
    auto saw = [&seen](FieldKind k) { return seen[static_cast<size_t>(k)]; };
    const bool resent_message = is_resent(seen);

    if (!sender) {
        auto d = default_sender(s, *rw);
        if (!d)
            return fail(d.error());
        sender = d.value() + (s.flags.verp_recipient ? "-@[]" : "");
    }
    p.envelope.sender = *sender;
    if (header_recipients)
        for (std::string& a : resent_message ? resent : plain)
            p.envelope.recipients.push_back(std::move(a));

    std::string& m = p.message;
    const std::string prefix = resent_message ? "Resent-" : "";
    const FieldKind date = resent_message ? FieldKind::resent_date : FieldKind::date;
    const FieldKind id = resent_message ? FieldKind::resent_message_id : FieldKind::message_id;
    const FieldKind from = resent_message ? FieldKind::resent_from : FieldKind::from;
    if (!saw(date))
        m += prefix + date_field(s.now);
    if (!saw(id))
        m += prefix + message_id_field(s.now, s.pid, s.idhost);
    if (!saw(from)) {
        auto f = default_from(s, *rw);
        if (!f)
            return fail(f.error());
        m += prefix + *f;
    }
    if (resent_message) {
        if (!saw(FieldKind::resent_to) && !saw(FieldKind::resent_cc))
            m += "Resent-Cc: recipient list not shown: ;\n";
    } else {
        if (!saw(FieldKind::to) && !saw(FieldKind::cc))
            m += "Cc: recipient list not shown: ;\n";
        if (s.mft && !saw(FieldKind::mail_followup_to)) {
            const std::unordered_set<std::string> lists(s.mft->begin(), s.mft->end());
            bool to_list = false;
            for (const std::string& a : to_cc)
                to_list = to_list || lists.contains(qm::address::lowercase(a));
            if (to_list) {
                m += "Mail-Followup-To: ";
                for (size_t i = 0; i < to_cc.size(); ++i)
                    m += (i ? ",\n  " : "") + qm::address::quote(to_cc[i]);
                m += "\n";
            }
        }
    }
    for (const std::string& f : saved)
        m += f;
    m += split.body;
    return p;
}

Result<Queued> submit(const Prepared& p) {
    if (p.envelope.recipients.empty())
        return fail(perm("5.1.3", "no recipients"));
    return queue_message(p.message, p.envelope);
}

} // namespace qm::inject
