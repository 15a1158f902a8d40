#include "qm/dkim/arc.hpp"

#include "qm/address.hpp"
#include "qm/dkim/canon.hpp"
#include "qm/dkim/sign.hpp"
#include "qm/mailauth/authentication_results.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <ctime>
#include <map>
#include <memory>

namespace qm::dkim {

namespace {

constexpr unsigned max_sets = 50; // RFC 8617 4.2.1: i= is 1 to 50

struct PkeyFree {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct MdFree {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct BioFree {
    void operator()(BIO* b) const { BIO_free(b); }
};
using Pkey = std::shared_ptr<EVP_PKEY>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdFree>;

std::string base64(std::string_view data) {
    std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(data.data()),
                                  static_cast<int>(data.size()));
    out.resize(n > 0 ? static_cast<size_t>(n) : 0);
    return out;
}

// Strict base64 with the folding white space a tag value may hold; nullopt when it is not.
std::optional<std::string> unbase64(std::string_view text) {
    std::string in;
    for (const char c : text)
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
            in += c;
    if (in.empty() || in.size() % 4 != 0)
        return std::nullopt;
    const size_t pad = in.ends_with("==") ? 2 : in.ends_with('=') ? 1 : 0;
    const bool clean =
        std::all_of(in.begin(), in.end() - static_cast<std::ptrdiff_t>(pad), [](char c) {
            return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                   c == '+' || c == '/';
        });
    if (!clean)
        return std::nullopt;
    std::string out(in.size() / 4 * 3, '\0');
    const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(in.data()),
                                  static_cast<int>(in.size()));
    if (n < 0)
        return std::nullopt;
    out.resize(static_cast<size_t>(n) - pad); // EVP_DecodeBlock counts the padding as zeros
    return out;
}

std::string sha256(std::string_view data) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr) != 1)
        return {};
    return std::string(reinterpret_cast<const char*>(md), len);
}

bool rsa_verify(EVP_PKEY* key, std::string_view data, std::string_view signature) {
    MdCtx ctx(EVP_MD_CTX_new());
    return ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) == 1 &&
           EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                            signature.size(), reinterpret_cast<const unsigned char*>(data.data()),
                            data.size()) == 1;
}

Result<std::string> rsa_sign(const SigningKey& key, std::string_view data) {
    std::unique_ptr<BIO, BioFree> bio(
        BIO_new_mem_buf(key.pem.data(), static_cast<int>(key.pem.size())));
    std::unique_ptr<EVP_PKEY, PkeyFree> pkey(
        bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
    if (!pkey || EVP_PKEY_get_base_id(pkey.get()) != EVP_PKEY_RSA)
        return fail(perm("5.3.5", "the key of " + key.domain + " (" + key.selector +
                                      ") is not an RSA private key"));
    MdCtx ctx(EVP_MD_CTX_new());
    size_t len = 0;
    if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pkey.get()) != 1 ||
        EVP_DigestSign(ctx.get(), nullptr, &len,
                       reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1)
        return fail(temp("4.3.0", "unable to make an ARC signature"));
    std::string sig(len, '\0');
    if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                       reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1)
        return fail(temp("4.3.0", "unable to make an ARC signature"));
    sig.resize(len);
    return sig;
}

std::string_view value_of(std::string_view field) {
    const size_t colon = field.find(':');
    return colon == std::string_view::npos ? std::string_view() : field.substr(colon + 1);
}

// A decimal number of at most 18 digits (x= and t= are Unix times, ten digits today), or
// nullopt.
std::optional<long> number(std::string_view s) {
    if (s.empty() || s.size() > 18 ||
        !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return std::nullopt;
    long n = 0;
    for (const char c : s)
        n = n * 10 + (c - '0');
    return n;
}

// The i= of an ARC-Authentication-Results value: "i=N;" before the payload.
std::optional<long> results_instance(std::string_view value) {
    const size_t semi = value.find(';');
    if (semi == std::string_view::npos)
        return std::nullopt;
    auto tags = parse_tags(value.substr(0, semi));
    if (!tags || tags->size() != 1)
        return std::nullopt;
    auto i = tag_value(*tags, "i");
    return i ? number(*i) : std::nullopt;
}

// The outcome of one signature's check.
struct Check {
    ChainStatus status = ChainStatus::pass; // pass, fail or temperror
    std::string reason;
};
Check failed(std::string why) {
    return {ChainStatus::fail, std::move(why)};
}

// Public keys by record name, fetched once per validation.
class Keys {
public:
    explicit Keys(const TxtLookup& lookup)
        : lookup_(lookup) {}

    // The RSA key of s=/d=, or why not.
    Check get(std::string_view selector, std::string_view domain, Pkey& key) {
        const std::string name = std::string(selector) + "._domainkey." + std::string(domain);
        auto found = cache_.find(name);
        if (found == cache_.end())
            found = cache_.emplace(name, fetch(name)).first;
        key = found->second.second;
        return found->second.first;
    }

private:
    std::pair<Check, Pkey> fetch(const std::string& name) {
        auto records = lookup_(name);
        if (!records)
            return {{ChainStatus::temperror, "no answer for " + name}, nullptr};
        std::string why = "no key record at " + name;
        for (const auto& r : *records) {
            auto tags = parse_tags(r);
            if (!tags) {
                why = "the record at " + name + " is not a tag list";
                continue;
            }
            if (auto v = tag_value(*tags, "v"); v && *v != "DKIM1")
                continue;
            if (auto k = tag_value(*tags, "k"); k && *k != "rsa") {
                why = "the key at " + name + " is not RSA";
                continue;
            }
            if (auto h = tag_value(*tags, "h"); h && h->find("sha256") == std::string_view::npos) {
                why = "the key at " + name + " is not for sha256";
                continue;
            }
            auto p = tag_value(*tags, "p");
            if (!p || p->empty()) {
                why = "the key at " + name + " is revoked";
                continue;
            }
            auto der = unbase64(*p);
            if (!der) {
                why = "the key at " + name + " is not base64";
                continue;
            }
            // SubjectPublicKeyInfo as RFC 6376 says; some publish the bare RSAPublicKey.
            const auto* bytes = reinterpret_cast<const unsigned char*>(der->data());
            EVP_PKEY* raw = d2i_PUBKEY(nullptr, &bytes, static_cast<long>(der->size()));
            if (raw == nullptr) {
                bytes = reinterpret_cast<const unsigned char*>(der->data());
                raw = d2i_PublicKey(EVP_PKEY_RSA, nullptr, &bytes, static_cast<long>(der->size()));
            }
            Pkey key(raw, PkeyFree());
            if (!key || EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA) {
                why = "the key at " + name + " does not decode";
                continue;
            }
            if (EVP_PKEY_get_bits(key.get()) < 1024) { // RFC 8301
                why = "the key at " + name + " has fewer than 1024 bits";
                continue;
            }
            return {{}, key};
        }
        return {failed(why), nullptr};
    }

    const TxtLookup& lookup_;
    std::map<std::string, std::pair<Check, Pkey>> cache_;
};

// The tags every ARC signature needs, parsed; a=rsa-sha256 and the given tags present.
Check signature_tags(std::string_view field, std::initializer_list<std::string_view> needed,
                     std::vector<Tag>& tags) {
    auto parsed = parse_tags(value_of(field));
    if (!parsed)
        return failed(std::string(field_name(field)) + " is not a tag list");
    tags = std::move(*parsed);
    for (const auto name : needed)
        if (!tag_value(tags, name))
            return failed(std::string(field_name(field)) + " has no " + std::string(name) + "=");
    if (*tag_value(tags, "a") != "rsa-sha256")
        return failed(std::string(field_name(field)) + " uses " +
                      std::string(*tag_value(tags, "a")) + ", not rsa-sha256");
    return {};
}

Check check_signature(Keys& keys, const std::vector<Tag>& tags, std::string_view data) {
    Pkey key;
    if (Check k = keys.get(*tag_value(tags, "s"), *tag_value(tags, "d"), key);
        k.status != ChainStatus::pass)
        return k;
    auto sig = unbase64(*tag_value(tags, "b"));
    if (!sig)
        return failed("b= is not base64");
    if (!rsa_verify(key.get(), data, *sig))
        return failed("the signature of d=" + std::string(*tag_value(tags, "d")) +
                      " did not verify");
    return {};
}

// The header fields h= names, bottom-up for a name that repeats (RFC 6376 5.4.2), each
// canonicalized; a name with no field (left) adds nothing.
std::string selected_fields(const std::vector<std::string_view>& fields,
                            const std::vector<std::string>& names, bool relaxed) {
    std::string out;
    std::map<std::string, size_t> below; // per name: where the next search starts
    for (const auto& name : names) {
        size_t i = below.contains(name) ? below[name] : fields.size();
        while (i > 0) {
            --i;
            if (same_name(field_name(fields[i]), name)) {
                out += relaxed ? relaxed_header(fields[i]) : simple_header(fields[i]);
                break;
            }
        }
        below[name] = i;
    }
    return out;
}

std::vector<std::string> header_list(std::string_view h) {
    std::vector<std::string> names;
    size_t pos = 0;
    while (pos <= h.size()) {
        const size_t colon = std::min(h.find(':', pos), h.size());
        std::string name;
        for (const char c : h.substr(pos, colon - pos))
            if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
                name += c;
        names.push_back(address::lowercase(name));
        pos = colon + 1;
    }
    return names;
}

// The canonical form of a signature field itself: b= empty, no final CRLF (RFC 6376 3.7).
std::string signed_self(std::string_view field, bool relaxed) {
    std::string c = relaxed ? relaxed_header(without_signature(field))
                            : simple_header(without_signature(field));
    c.resize(c.size() - 2);
    return c;
}

// An ARC-Message-Signature over the message, as a DKIM signature is verified.
Check check_message_signature(const MessageParts& parts, std::string_view field, Keys& keys,
                              long now) {
    std::vector<Tag> tags;
    if (Check c = signature_tags(field, {"i", "a", "b", "bh", "d", "h", "s"}, tags);
        c.status != ChainStatus::pass)
        return c;
    const std::string c = std::string(tag_value(tags, "c").value_or("simple/simple"));
    const size_t slash = c.find('/');
    const std::string head = c.substr(0, slash);
    const std::string body = slash == std::string::npos ? "simple" : c.substr(slash + 1);
    if ((head != "relaxed" && head != "simple") || (body != "relaxed" && body != "simple"))
        return failed("unknown canonicalization c=" + c);
    const std::vector<std::string> names = header_list(*tag_value(tags, "h"));
    if (std::find(names.begin(), names.end(), "from") == names.end())
        return failed("the message signature does not cover From");
    if (std::find(names.begin(), names.end(), "arc-seal") != names.end())
        return failed("the message signature covers ARC-Seal");
    if (auto x = tag_value(tags, "x")) {
        auto expires = number(*x);
        if (!expires || *expires < now)
            return failed("the message signature has expired");
    }
    std::string canonical = body == "relaxed" ? relaxed_body(parts.body) : simple_body(parts.body);
    if (auto l = tag_value(tags, "l")) {
        auto length = number(*l);
        if (!length || static_cast<size_t>(*length) > canonical.size())
            return failed("l= is longer than the body");
        canonical.resize(static_cast<size_t>(*length));
    }
    auto bh = unbase64(*tag_value(tags, "bh"));
    if (!bh || *bh != sha256(canonical))
        return failed("the body hash did not verify");
    const bool relaxed = head == "relaxed";
    return check_signature(
        keys, tags, selected_fields(parts.fields, names, relaxed) + signed_self(field, relaxed));
}

// What the ARC-Seal of sets[k] signs: every set up to it, in instance order, each as
// ARC-Authentication-Results, ARC-Message-Signature, ARC-Seal (RFC 8617 5.1.1).
std::string seal_data(const std::vector<ArcSet>& sets, size_t k) {
    std::string data;
    for (size_t j = 0; j <= k; ++j) {
        data += relaxed_header(sets[j].results);
        data += relaxed_header(sets[j].signature);
        data += j < k ? relaxed_header(sets[j].seal) : signed_self(sets[j].seal, true);
    }
    return data;
}

Check check_seal(const std::vector<ArcSet>& sets, size_t k, Keys& keys) {
    std::vector<Tag> tags;
    if (Check c = signature_tags(sets[k].seal, {"i", "a", "b", "cv", "d", "s"}, tags);
        c.status != ChainStatus::pass)
        return c;
    if (tag_value(tags, "h"))
        return failed("an ARC-Seal with h=");
    return check_signature(keys, tags, seal_data(sets, k));
}

// Folds "Name: tag; tag; ...; b=" at tag boundaries (and inside h='s list) below 78
// columns. Each tag is pieces that may be split between.
std::string fold(std::string_view name, const std::vector<std::vector<std::string>>& tags) {
    std::string out = std::string(name) + ":";
    size_t column = out.size();
    for (size_t t = 0; t < tags.size(); ++t) {
        for (size_t p = 0; p < tags[t].size(); ++p) {
            std::string piece = tags[t][p];
            if (p + 1 == tags[t].size() && t + 1 < tags.size())
                piece += ';';
            const bool first = p == 0;
            const size_t wanted = piece.size() + (first ? 1 : 0);
            if (column + wanted > 78 && column > 1) {
                out += "\n\t";
                column = 1;
            } else if (first) {
                out += ' ';
                ++column;
            }
            out += piece;
            column += piece.size();
        }
    }
    return out;
}

// The signature's base64 after "b=", folded the same way.
std::string fold_signature(std::string field, std::string_view b64) {
    const size_t nl = field.rfind('\n');
    size_t column = nl == std::string::npos ? field.size() : field.size() - nl;
    for (size_t i = 0; i < b64.size(); i += 64) {
        const std::string_view chunk = b64.substr(i, 64);
        if (column + chunk.size() > 78) {
            field += "\n\t";
            column = 1;
        }
        field += chunk;
        column += chunk.size();
    }
    return field;
}

// The message's newest Authentication-Results field of ours (the topmost).
std::optional<std::string_view> our_results(const MessageParts& parts,
                                            std::string_view authserv_id) {
    const std::string ours = address::lowercase(authserv_id);
    for (const auto field : parts.fields)
        if (same_name(field_name(field), "authentication-results") &&
            address::lowercase(mailauth::authserv_id_of(value_of(field))) == ours)
            return field;
    return std::nullopt;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() &&
           (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n'))
        s.remove_prefix(1);
    while (!s.empty() &&
           (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
        s.remove_suffix(1);
    return s;
}

} // namespace

std::string_view chain_status_name(ChainStatus s) {
    switch (s) {
    case ChainStatus::none:
        return "none";
    case ChainStatus::pass:
        return "pass";
    case ChainStatus::fail:
        return "fail";
    case ChainStatus::temperror:
        return "temperror";
    }
    return "fail";
}

ArcChain parse_arc_chain(std::string_view message) {
    ArcChain chain;
    auto broken = [&](std::string why) {
        if (chain.well_formed)
            chain.problem = std::move(why);
        chain.well_formed = false;
    };
    std::map<long, ArcSet> by_instance;
    for (const auto field : split_message(message).fields) {
        const std::string_view name = field_name(field);
        const bool results = same_name(name, "arc-authentication-results");
        const bool signature = same_name(name, "arc-message-signature");
        const bool seal = same_name(name, "arc-seal");
        if (!results && !signature && !seal)
            continue;
        std::optional<long> i;
        if (results) {
            i = results_instance(value_of(field));
        } else if (auto tags = parse_tags(value_of(field))) {
            if (auto v = tag_value(*tags, "i"))
                i = number(*v);
        }
        if (!i || *i < 1) {
            broken("an " + std::string(name) + " field without a readable i=");
            continue;
        }
        // A number beyond the limit ends the chain all the same; kept in range for the
        // caller's arithmetic.
        chain.highest = std::max(chain.highest, static_cast<unsigned>(std::min(*i, 1000L)));
        if (*i > max_sets) {
            broken("i=" + std::to_string(*i) + " is beyond 50 sets");
            continue;
        }
        ArcSet& set = by_instance[*i];
        set.instance = static_cast<unsigned>(*i);
        std::string_view& slot = results ? set.results : signature ? set.signature : set.seal;
        if (!slot.empty())
            broken("two " + std::string(name) + " fields with i=" + std::to_string(*i));
        else
            slot = field;
    }
    for (const auto& [i, set] : by_instance)
        chain.sets.push_back(set);
    if (auto newest = by_instance.find(chain.highest); newest != by_instance.end())
        if (auto tags = parse_tags(value_of(newest->second.seal)))
            chain.last_cv = std::string(tag_value(*tags, "cv").value_or(""));
    for (unsigned i = 1; i <= std::min(chain.highest, max_sets); ++i) {
        auto found = by_instance.find(i);
        if (found == by_instance.end()) {
            broken("no ARC set with i=" + std::to_string(i));
            continue;
        }
        const ArcSet& set = found->second;
        if (set.results.empty() || set.signature.empty() || set.seal.empty()) {
            broken("the ARC set with i=" + std::to_string(i) + " is incomplete");
            continue;
        }
        auto tags = parse_tags(value_of(set.seal));
        const std::string cv = tags ? address::lowercase(tag_value(*tags, "cv").value_or("")) : "";
        if (cv != (i == 1 ? "none" : "pass"))
            broken("the ARC-Seal with i=" + std::to_string(i) + " says cv=" + cv);
    }
    return chain;
}

TxtLookup dns_lookup(const dns::Config& config) {
    return [config](const std::string& name) { return dns::resolve_txt(config, name); };
}

ChainCheck validate_arc_chain(std::string_view message, const TxtLookup& lookup, long now) {
    const ArcChain chain = parse_arc_chain(message);
    if (chain.highest == 0 && chain.well_formed)
        return {ChainStatus::none, {}};
    if (address::lowercase(chain.last_cv) == "fail")
        return {ChainStatus::fail,
                "the chain ended at i=" + std::to_string(chain.highest) + " (cv=fail)"};
    if (!chain.well_formed)
        return {ChainStatus::fail, chain.problem};
    if (now == 0)
        now = static_cast<long>(std::time(nullptr));
    Keys keys(lookup);
    const MessageParts parts = split_message(message);
    // The newest message signature: older ones may have been broken by later changes
    // that their sealers vouched for.
    const Check newest = check_message_signature(parts, chain.sets.back().signature, keys, now);
    if (newest.status != ChainStatus::pass)
        return {newest.status, "i=" + std::to_string(chain.highest) + ": " + newest.reason};
    for (size_t k = chain.sets.size(); k-- > 0;) {
        const Check seal = check_seal(chain.sets, k, keys);
        if (seal.status != ChainStatus::pass)
            return {seal.status, "i=" + std::to_string(k + 1) + ": " + seal.reason};
    }
    return {ChainStatus::pass, {}};
}

Result<std::string> arc_seal(std::string_view message, const SigningKey& key,
                             std::string_view authserv_id, const TxtLookup& lookup, long now) {
    if (key.algorithm != Algorithm::rsa_sha256 || authserv_id.empty())
        return std::string();
    const MessageParts parts = split_message(message);
    const auto results = our_results(parts, authserv_id);
    if (!results)
        return std::string();
    const ArcChain chain = parse_arc_chain(message);
    // No set after the 50th, and none after a seal that ended the chain (RFC 8617 5.1).
    if (chain.highest >= max_sets || address::lowercase(chain.last_cv) == "fail")
        return std::string();
    if (now == 0)
        now = static_cast<long>(std::time(nullptr));

    // The chain as it arrived, by qmail-smtpd's "arc=", when that fits what is here.
    const std::string claimed = mailauth::method_result(value_of(*results), "arc");
    ChainStatus cv = ChainStatus::temperror;
    if (claimed == "none" && chain.highest == 0 && chain.well_formed)
        cv = ChainStatus::none;
    else if (claimed == "pass" && chain.highest > 0 && chain.well_formed)
        cv = ChainStatus::pass;
    else if (claimed == "fail" && chain.highest > 0)
        cv = ChainStatus::fail;
    if (cv == ChainStatus::temperror) {
        cv = validate_arc_chain(message, lookup, now).status;
        if (cv != ChainStatus::none && cv != ChainStatus::pass)
            return std::string(); // perhaps broken by a change made here: no claim
    }
    const unsigned instance = chain.highest + 1;
    const std::string i = std::to_string(instance);
    const std::string t = std::to_string(now);

    const std::string aar =
        "ARC-Authentication-Results: i=" + i + "; " + std::string(trim(value_of(*results)));

    // The message signature: DKIM's fields (From once more than it appears, so that none
    // can be added) and the DKIM signatures, which ARC exists to keep verifiable.
    std::map<std::string, size_t> present;
    for (const auto field : parts.fields)
        ++present[address::lowercase(field_name(field))];
    std::vector<std::string> names;
    std::vector<std::string> wanted = signed_fields();
    wanted.emplace_back("dkim-signature");
    for (const auto& name : wanted)
        for (size_t n = present[name] + (name == "from" ? 1 : 0); n > 0; --n)
            names.push_back(name);
    std::vector<std::string> h;
    for (size_t n = 0; n < names.size(); ++n)
        h.push_back((n == 0 ? "h=" : "") + names[n] + (n + 1 < names.size() ? ":" : ""));
    const std::string bh = base64(sha256(relaxed_body(parts.body)));
    std::string ams = fold("ARC-Message-Signature", {{"i=" + i},
                                                     {"a=rsa-sha256"},
                                                     {"c=relaxed/relaxed"},
                                                     {"d=" + key.domain},
                                                     {"s=" + key.selector},
                                                     {"t=" + t},
                                                     h,
                                                     {"bh=" + bh},
                                                     {"b="}});
    auto ams_sig =
        rsa_sign(key, selected_fields(parts.fields, names, true) + signed_self(ams, true));
    if (!ams_sig)
        return fail(ams_sig.error());
    ams = fold_signature(std::move(ams), base64(*ams_sig));

    std::string seal = fold("ARC-Seal", {{"i=" + i},
                                         {"a=rsa-sha256"},
                                         {"t=" + t},
                                         {"cv=" + std::string(chain_status_name(cv))},
                                         {"d=" + key.domain},
                                         {"s=" + key.selector},
                                         {"b="}});
    // A failed chain: the seal covers our set alone, as if it were the only one (RFC 8617
    // 5.1.2), which marks the chain failed for good.
    std::vector<ArcSet> sets = cv == ChainStatus::pass ? chain.sets : std::vector<ArcSet>{};
    sets.push_back({instance, aar, ams, seal});
    auto seal_sig = rsa_sign(key, seal_data(sets, sets.size() - 1));
    if (!seal_sig)
        return fail(seal_sig.error());
    seal = fold_signature(std::move(seal), base64(*seal_sig));
    return seal + "\n" + ams + "\n" + aar + "\n";
}

} // namespace qm::dkim
