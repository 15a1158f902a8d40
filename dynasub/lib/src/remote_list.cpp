#include "qm/dynasub/remote_list.hpp"

#include "name_table.hpp"
#include "qm/address.hpp"
#include "qm/inject/address_list.hpp"
#include "qm/lists/archive/archive_index.hpp"
#include "qm/lists/core/command_address.hpp"
#include "qm/lists/core/mime.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

namespace qm::dynasub {

namespace {

using lists::ParsedPost;

constexpr NameTable<Manager, 6> names{{
    {Manager::ezmlm, "ezmlm"},
    {Manager::mlmmj, "mlmmj"},
    {Manager::mailman3, "mailman3"},
    {Manager::mailman2, "mailman2"},
    {Manager::sympa, "sympa"},
    {Manager::majordomo, "majordomo"},
}};

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

bool istarts_with(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

bool icontains(std::string_view s, std::string_view needle) {
    if (needle.empty())
        return true;
    for (size_t i = 0; i + needle.size() <= s.size(); ++i)
        if (iequals(s.substr(i, needle.size()), needle))
            return true;
    return false;
}

// The unfolded, RFC 2047-decoded value of the first field named name ("" without one).
std::string field(const ParsedPost& m, std::string_view name) {
    const lists::HeaderField* f = m.first(name);
    if (!f)
        return {};
    return std::string(lists::trim_blanks(
        lists::decode_encoded_words(lists::unfold_field(std::string(f->value())))));
}

// The addresses of an address-list field (Reply-To, From); none when it does not parse.
std::vector<std::string> field_addresses(const ParsedPost& m, std::string_view name) {
    const lists::HeaderField* f = m.first(name);
    std::vector<std::string> out;
    if (!f)
        return out;
    auto parsed = inject::parse_address_list(lists::unfold_field(std::string(f->value())));
    if (!parsed)
        return out;
    for (auto& a : *parsed)
        if (!a.address.empty())
            out.push_back(std::move(a.address));
    return out;
}

bool on_host(const RemoteList& list, std::string_view address) {
    const auto parts = address::split(address);
    return !parts.local.empty() && iequals(parts.domain, list.host);
}

std::string_view local_of(std::string_view address) {
    const size_t at = address.rfind('@');
    return at == std::string_view::npos ? address : address.substr(0, at);
}

// address is local + delim + suffix...@host: returns what follows the delimiter.
std::optional<std::string_view> command_rest(const RemoteList& list, std::string_view address,
                                             std::string_view verb) {
    if (!on_host(list, address))
        return std::nullopt;
    std::string_view local = local_of(address);
    const std::string prefix = list.local + list.delimiter + std::string(verb);
    if (!istarts_with(local, prefix))
        return std::nullopt;
    return local.substr(prefix.size());
}

// ezmlm's and mlmmj's confirmation addresses end in -box=domain, the address confirmed.
bool names_target(std::string_view rest, std::string_view sublist) {
    const std::string target = lists::encode_target(sublist);
    return rest.size() > target.size() && rest[rest.size() - target.size() - 1] == '-' &&
           iequals(rest.substr(rest.size() - target.size()), target);
}

bool all_of_class(std::string_view s, int (*cls)(int)) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [cls](char c) {
        return cls(static_cast<unsigned char>(c)) != 0;
    });
}

bool is_bounce_sender(std::string_view sender) {
    return sender.empty() || sender == "#@[]" || istarts_with(sender, "mailer-daemon@");
}

Incoming answer(Kind kind, std::string to, std::string subject, std::string body, std::string why) {
    return {kind, Outgoing{std::move(to), std::move(subject), std::move(body)}, std::move(why)};
}

Incoming plain(Kind kind, std::string why) {
    return {kind, std::nullopt, std::move(why)};
}

// ---- ezmlm: Reply-To L-sc.T.COOKIE-box=domain@H (join), L-uc.T.COOKIE-box=domain@H
// (leave); welcome and goodbye by subject; posts from L-return-N-@H, probes and warnings
// from L-return-probe- and L-return-warn-.
Incoming classify_ezmlm(const RemoteList& list, std::string_view sublist, std::string_view sender,
                        const ParsedPost& m) {
    const std::string subject = field(m, "subject");
    for (const std::string& reply_to : field_addresses(m, "reply-to")) {
        for (const auto& [verb, kind] :
             {std::pair{"sc.", Kind::confirm_join}, std::pair{"uc.", Kind::confirm_leave}}) {
            auto rest = command_rest(list, reply_to, verb);
            if (!rest)
                continue;
            const size_t dash = rest->find('-');
            if (dash == std::string_view::npos ||
                !lists::parse_confirmation(rest->substr(0, dash)) || !names_target(*rest, sublist))
                return plain(Kind::unknown, "a confirmation address not for " +
                                                std::string(sublist) + ": " + reply_to);
            return answer(kind, reply_to, "confirm", "",
                          std::string(kind_name(kind)) + " via " + reply_to);
        }
    }
    if (auto rest = command_rest(list, sender, "return-")) {
        if (istarts_with(*rest, "probe-") || istarts_with(*rest, "warn-"))
            return plain(Kind::notice,
                         "bounce " +
                             std::string(istarts_with(*rest, "probe-") ? "probe" : "warning") +
                             " from " + std::string(sender));
        const size_t dash = rest->find('-');
        if (dash != std::string_view::npos && all_of_class(rest->substr(0, dash), ::isdigit))
            return plain(Kind::post, "post " + std::string(rest->substr(0, dash)));
        if (rest->empty() || *rest == "-") { // L-return-@H: the list's own replies
            if (istarts_with(subject, "welcome to " + list.address()))
                return plain(Kind::welcome, subject);
            if (istarts_with(subject, "goodbye from " + list.address()))
                return plain(Kind::goodbye, subject);
        }
    }
    return plain(Kind::unknown, "not understood: " + lists::excerpt(subject));
}

// ---- mlmmj: Reply-To L+confsub-HEX-box=domain@H, L+confunsub-HEX-box=domain@H; posts
// from L+bounces-N-box=domain@H, probes from L+bounces-probe-...
Incoming classify_mlmmj(const RemoteList& list, std::string_view sublist, std::string_view sender,
                        const ParsedPost& m) {
    const std::string subject = field(m, "subject");
    for (const std::string& reply_to : field_addresses(m, "reply-to")) {
        for (const auto& [verb, kind] : {std::pair{"confsub-", Kind::confirm_join},
                                         std::pair{"confunsub-", Kind::confirm_leave}}) {
            auto rest = command_rest(list, reply_to, verb);
            if (!rest)
                continue;
            const size_t dash = rest->find('-');
            if (dash == std::string_view::npos ||
                !all_of_class(rest->substr(0, dash), ::isxdigit) || !names_target(*rest, sublist))
                return plain(Kind::unknown, "a confirmation address not for " +
                                                std::string(sublist) + ": " + reply_to);
            return answer(kind, reply_to, "confirm", "",
                          std::string(kind_name(kind)) + " via " + reply_to);
        }
    }
    if (auto rest = command_rest(list, sender, "bounces-")) {
        if (istarts_with(*rest, "probe-"))
            return plain(Kind::notice, "bounce probe from " + std::string(sender));
        // L-bounces-N-box=domain@H with VERP, L-bounces-N@H without.
        const std::string_view number = rest->substr(0, rest->find('-'));
        if (all_of_class(number, ::isdigit))
            return plain(Kind::post, "post " + std::string(number));
        // mlmmj's own replies (welcome, goodbye) come from L+bounces-help@H.
        if (istarts_with(subject, "welcome to " + list.address()))
            return plain(Kind::welcome, subject);
        if (istarts_with(subject, "goodbye from " + list.address()))
            return plain(Kind::goodbye, subject);
    }
    return plain(Kind::unknown, "not understood: " + lists::excerpt(subject));
}

// ---- Mailman 3: confirmation from (or Reply-To) L-confirm+TOKEN@H, whose subject
// ("Your confirmation is needed to join the L@H mailing list.") says which action it
// confirms; posts, probes and the list's own notices all come from L-bounces@H (or
// L-bounces+...@H). A notice (welcome, goodbye, command results) is From L-request@H or
// L-owner@H and carries List-Id like a post, so the author tells them apart.
Incoming classify_mailman(const RemoteList& list, Manager manager, std::string_view sender,
                          const ParsedPost& m) {
    const std::string subject = field(m, "subject");
    std::vector<std::string> candidates = field_addresses(m, "reply-to");
    const std::vector<std::string> authors = field_addresses(m, "from");
    candidates.insert(candidates.end(), authors.begin(), authors.end());
    for (const std::string& address : candidates) {
        auto rest = command_rest(list, address, "confirm+");
        if (!rest)
            continue;
        if (!all_of_class(*rest, ::isalnum))
            return plain(Kind::unknown, "a confirmation address it cannot read: " + address);
        const bool leave = icontains(subject, "leave") || icontains(subject, "unsubscri") ||
                           icontains(m.body.substr(0, 2000), "unsubscription");
        const Kind kind = leave ? Kind::confirm_leave : Kind::confirm_join;
        return answer(kind, address, "confirm " + std::string(*rest), "",
                      std::string(kind_name(kind)) + " via " + address);
    }
    const bool from_bounces = command_rest(list, sender, "bounces").has_value();
    if (!from_bounces && !(manager == Manager::mailman2 && command_rest(list, sender, "admin")))
        return plain(Kind::unknown, "not understood: " + lists::excerpt(subject));
    const bool by_the_list = std::any_of(authors.begin(), authors.end(), [&](const auto& a) {
        return command_rest(list, a, "request") || command_rest(list, a, "owner") ||
               command_rest(list, a, "bounces");
    });
    if (!by_the_list && (m.first("list-post") || m.first("archived-at") || m.first("list-id")))
        return plain(Kind::post, "post " + lists::excerpt(field(m, "message-id")));
    if (icontains(subject, "probe"))
        return plain(Kind::notice, "bounce probe from " + std::string(sender));
    if (icontains(subject, "welcome to"))
        return plain(Kind::welcome, subject);
    if (icontains(subject, "unsubscribed from") || icontains(subject, "have been unsubscribed"))
        return plain(Kind::goodbye, subject);
    return plain(Kind::unknown, "not understood: " + lists::excerpt(subject));
}

// ---- Sympa and Majordomo answer by mail to their robot: the confirmation carries the
// command to send back ("AUTH key SUB list" / "auth key subscribe list address").
Incoming classify_robot(const RemoteList& list, std::string_view sender, const ParsedPost& m) {
    const std::string subject = field(m, "subject");
    const std::string robot = list.manager == Manager::sympa ? "sympa" : "majordomo";
    const std::string robot_address = robot + "@" + list.host;
    const bool from_robot = iequals(sender, robot_address) || istarts_with(sender, robot + "-") ||
                            istarts_with(sender, list.local + "-") || iequals(sender, "");
    if (!on_host(list, sender) || !from_robot)
        return plain(Kind::unknown, "not understood: " + lists::excerpt(subject));
    // The command line to echo: "AUTH <hex> <cmd> <list>" (Sympa), "auth <hex> <cmd> <list>
    // <address>" (Majordomo), in the subject or on a line of the body.
    auto find_auth = [&](std::string_view text) -> std::optional<std::string> {
        size_t pos = 0;
        while (pos < text.size()) {
            size_t end = text.find('\n', pos);
            if (end == std::string_view::npos)
                end = text.size();
            std::string_view line = lists::trim_blanks(text.substr(pos, end - pos));
            pos = end + 1;
            const size_t at = [&] {
                for (size_t i = 0; i + 5 <= line.size(); ++i)
                    if (istarts_with(line.substr(i), "auth ") && (i == 0 || line[i - 1] == ' '))
                        return i;
                return std::string_view::npos;
            }();
            if (at == std::string_view::npos)
                continue;
            std::string_view cmd = line.substr(at);
            if (icontains(cmd, " " + list.local) && cmd.size() < 300 &&
                std::none_of(cmd.begin(), cmd.end(), [](char c) {
                    return static_cast<unsigned char>(c) < 0x20 && c != '\t';
                }))
                return std::string(cmd);
        }
        return std::nullopt;
    };
    std::optional<std::string> auth = find_auth(subject);
    if (!auth)
        auth = find_auth(std::string_view(m.body).substr(0, 20000));
    if (auth) {
        const bool leave = icontains(*auth, " sig ") || icontains(*auth, " signoff ") ||
                           icontains(*auth, " unsubscribe ") || icontains(*auth, " del ");
        const Kind kind = leave ? Kind::confirm_leave : Kind::confirm_join;
        if (list.manager == Manager::sympa)
            return answer(kind, robot_address, *auth, "",
                          std::string(kind_name(kind)) + ": " + *auth);
        return answer(kind, robot_address, "", *auth + "\n",
                      std::string(kind_name(kind)) + ": " + *auth);
    }
    if (icontains(subject, "welcome"))
        return plain(Kind::welcome, subject);
    if (icontains(subject, "unsubscribed") || icontains(subject, "goodbye") ||
        icontains(subject, "signoff"))
        return plain(Kind::goodbye, subject);
    return plain(Kind::unknown, "not understood: " + lists::excerpt(subject));
}

} // namespace

std::string_view manager_name(Manager m) {
    return name_in(names, m);
}

std::optional<Manager> parse_manager(std::string_view name) {
    return value_in(names, name);
}

std::string RemoteList::command(std::string_view suffix) const {
    return local + delimiter + std::string(suffix) + "@" + host;
}

std::string_view kind_name(Kind k) {
    switch (k) {
    case Kind::confirm_join:
        return "join confirmation";
    case Kind::confirm_leave:
        return "leave confirmation";
    case Kind::welcome:
        return "welcome";
    case Kind::goodbye:
        return "goodbye";
    case Kind::post:
        return "post";
    case Kind::notice:
        return "notice";
    case Kind::stranger:
        return "stranger";
    case Kind::unknown:
        break;
    }
    return "unknown";
}

Outgoing join_request(const RemoteList& list, std::string_view sublist) {
    switch (list.manager) {
    case Manager::ezmlm:
    case Manager::mlmmj:
        return {list.command("subscribe"), "subscribe", ""};
    case Manager::mailman3:
        return {list.command("join"), "join", ""};
    case Manager::mailman2:
        return {list.command("request"), "subscribe", ""};
    case Manager::sympa:
        return {"sympa@" + list.host, "SUB " + list.local, ""};
    case Manager::majordomo:
        return {"majordomo@" + list.host, "",
                "subscribe " + list.local + " " + std::string(sublist) + "\n"};
    }
    return {};
}

Outgoing leave_request(const RemoteList& list, std::string_view sublist) {
    switch (list.manager) {
    case Manager::ezmlm:
    case Manager::mlmmj:
        return {list.command("unsubscribe"), "unsubscribe", ""};
    case Manager::mailman3:
        return {list.command("leave"), "leave", ""};
    case Manager::mailman2:
        return {list.command("request"), "unsubscribe", ""};
    case Manager::sympa:
        return {"sympa@" + list.host, "SIG " + list.local, ""};
    case Manager::majordomo:
        return {"majordomo@" + list.host, "",
                "unsubscribe " + list.local + " " + std::string(sublist) + "\n"};
    }
    return {};
}

Incoming classify(const RemoteList& list, std::string_view sublist,
                  std::string_view envelope_sender, const ParsedPost& message) {
    if (is_bounce_sender(envelope_sender))
        return plain(Kind::unknown, "a bounce: " + lists::excerpt(field(message, "subject")));
    // Only the list's host speaks for the list; everyone else is a stranger to the sublist.
    if (!on_host(list, envelope_sender))
        return plain(Kind::stranger,
                     "from " + lists::excerpt(envelope_sender) + ", not " + list.host);
    switch (list.manager) {
    case Manager::ezmlm:
        return classify_ezmlm(list, sublist, envelope_sender, message);
    case Manager::mlmmj:
        return classify_mlmmj(list, sublist, envelope_sender, message);
    case Manager::mailman3:
    case Manager::mailman2:
        return classify_mailman(list, list.manager, envelope_sender, message);
    case Manager::sympa:
    case Manager::majordomo:
        return classify_robot(list, envelope_sender, message);
    }
    return plain(Kind::unknown, "no manager");
}

std::optional<Recognised> recognise_manager(std::string_view list_local, const ParsedPost& sample) {
    const std::string mailing_list = field(sample, "mailing-list");
    if (icontains(mailing_list, "run by ezmlm"))
        return Recognised{Manager::ezmlm};
    if (sample.first("x-mailman-version")) {
        const std::string v = field(sample, "x-mailman-version");
        return Recognised{!v.empty() && v[0] == '2' ? Manager::mailman2 : Manager::mailman3};
    }
    const std::string subscribe = field(sample, "list-subscribe");
    if (auto to = mailto_of_list_field(subscribe)) {
        const std::string_view local = local_of(to->to);
        const std::string base(list_local);
        if (istarts_with(local, base + "+subscribe"))
            return Recognised{Manager::mlmmj, '+'};
        if (istarts_with(local, base + "-join"))
            return Recognised{Manager::mailman3};
        if (istarts_with(local, base + "-request"))
            return Recognised{Manager::mailman2};
        if (istarts_with(local, "sympa"))
            return Recognised{Manager::sympa};
        if (istarts_with(local, "majordomo"))
            return Recognised{Manager::majordomo};
        if (istarts_with(local, base + "-subscribe")) {
            // ezmlm and mlmmj with '-' both use L-subscribe@; mlmmj's posts say so elsewhere.
            if (sample.first("list-id") && !mailing_list.empty())
                return Recognised{Manager::ezmlm};
            const std::string help = field(sample, "list-help");
            if (icontains(help, base + "-help") && !mailing_list.empty())
                return Recognised{Manager::ezmlm};
            return Recognised{Manager::mlmmj, '-'};
        }
    }
    return std::nullopt;
}

std::optional<Outgoing> mailto_of_list_field(std::string_view value) {
    const size_t start = value.find("<mailto:");
    if (start == std::string_view::npos)
        return std::nullopt;
    const size_t end = value.find('>', start);
    if (end == std::string_view::npos)
        return std::nullopt;
    std::string_view url = value.substr(start + 8, end - start - 8);
    auto unescape = [](std::string_view s) {
        std::string out;
        for (size_t i = 0; i < s.size(); ++i) {
            if (s[i] == '%' && i + 2 < s.size() &&
                std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
                std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
                out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
                i += 2;
            } else {
                out += s[i];
            }
        }
        return out;
    };
    Outgoing o;
    const size_t q = url.find('?');
    o.to = unescape(url.substr(0, q));
    if (q != std::string_view::npos) {
        std::string_view query = url.substr(q + 1);
        while (!query.empty()) {
            const size_t amp = query.find('&');
            std::string_view pair = query.substr(0, amp);
            query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
            const size_t eq = pair.find('=');
            if (eq == std::string_view::npos)
                continue;
            const std::string name = address::lowercase(pair.substr(0, eq));
            if (name == "subject")
                o.subject = unescape(pair.substr(eq + 1));
            else if (name == "body")
                o.body = unescape(pair.substr(eq + 1));
        }
    }
    if (o.to.find('@') == std::string::npos || std::any_of(o.to.begin(), o.to.end(), [](char c) {
            return static_cast<unsigned char>(c) <= ' ' || c == '<' || c == '>';
        }))
        return std::nullopt;
    return o;
}

namespace {

// What a list's return path says: ezmlm's L-return-N-box=dom@H, mlmmj's
// L+bounces-N-box=dom@H (or with '-'), Mailman's L-bounces@H and L-bounces+box=dom@H.
std::optional<SampleList> list_of_return_path(std::string_view path, const ParsedPost& post) {
    const auto parts = address::split(path);
    const std::string_view local = parts.local;
    if (local.empty() || parts.domain.empty())
        return std::nullopt;
    auto at_list = [&](size_t end) {
        return std::string(local.substr(0, end)) + "@" + std::string(parts.domain);
    };
    auto numbered = [](std::string_view rest) {
        const size_t dash = rest.find('-');
        return dash != std::string_view::npos && all_of_class(rest.substr(0, dash), ::isdigit);
    };
    for (size_t i = 1; i < local.size(); ++i) {
        if (local[i] != '-' && local[i] != '+')
            continue;
        const std::string_view rest = local.substr(i + 1);
        if (local[i] == '-' && istarts_with(rest, "return-") && numbered(rest.substr(7)))
            return SampleList{at_list(i), Recognised{Manager::ezmlm}};
        if (istarts_with(rest, "bounces-") && numbered(rest.substr(8)))
            return SampleList{at_list(i), Recognised{Manager::mlmmj, local[i]}};
        if (local[i] == '-' && istarts_with(rest, "bounces") &&
            (rest.size() == 7 || rest[7] == '+')) {
            const std::string v = field(post, "x-mailman-version");
            return SampleList{
                at_list(i),
                Recognised{!v.empty() && v[0] == '2' ? Manager::mailman2 : Manager::mailman3}};
        }
    }
    return std::nullopt;
}

// The addresses of every Return-Path field, newest first: a redirected message keeps the
// list's below the redirect's own.
std::vector<std::string> return_paths(const ParsedPost& post) {
    std::vector<std::string> out;
    for (const auto& f : post.fields) {
        if (f.name != "return-path")
            continue;
        std::string path = lists::unfold_field(std::string(f.value()));
        const size_t open = path.find('<'), close = path.rfind('>');
        if (open != std::string::npos && close != std::string::npos && close > open)
            path = path.substr(open + 1, close - open - 1);
        out.emplace_back(lists::trim_blanks(path));
    }
    return out;
}

std::optional<SampleList> list_of_header(const ParsedPost& post) {
    const std::vector<std::string> paths = return_paths(post);
    if (auto to = mailto_of_list_field(field(post, "list-post"))) {
        const auto parts = address::split(to->to);
        if (!parts.local.empty() && !parts.domain.empty()) {
            SampleList found{to->to, recognise_manager(parts.local, post)};
            for (const auto& path : paths) // when the other fields do not say
                if (auto r = list_of_return_path(path, post);
                    !found.manager && r && iequals(r->address, found.address))
                    found.manager = r->manager;
            return found;
        }
    }
    for (const auto& path : paths)
        if (auto r = list_of_return_path(path, post))
            return r;
    return std::nullopt;
}

} // namespace

std::optional<SampleList> list_of_sample(std::string_view message) {
    const ParsedPost top(message);
    if (auto found = list_of_header(top))
        return found;
    auto leaves = lists::mime_leaves(message);
    if (!leaves)
        return std::nullopt;
    for (const auto& leaf : *leaves) {
        if (leaf.type.type != "message/rfc822")
            continue;
        const std::string encoding =
            lists::unfolded_field(leaf.fields, "content-transfer-encoding").value_or("7bit");
        return list_of_header(
            ParsedPost(lists::decode_transfer_encoding(lists::trim_blanks(encoding), leaf.body)));
    }
    return std::nullopt;
}

} // namespace qm::dynasub
