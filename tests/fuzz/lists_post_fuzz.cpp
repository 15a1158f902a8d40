// libFuzzer target for ezmlm-reject's reading of a post (qm/lists/post/post_shape.hpp) and its
// rules, for the moderator-comment extraction ezmlm-moderate applies to answers, for
// the answer addresses ezmlm-moderate and ezmlm-confirm parse and for the RFC 1153 form
// of a message in ezmlm-get's r format (qm/lists/archive/rfc1153.hpp). Any input must give a
// shape or a permanent failure naming broken MIME, never a crash; the shape must stay
// within the input (sizes, lower-case names and types); the rules must give a verdict
// or a permanent refusal; no address is both a moderator's and a poster's answer; the
// RFC 1153 form must be valid UTF-8 ending in a newline, with no body line that could
// pass for the digest's separator; the post as ezmlm-send reads it
// (qm/lists/core/parsed_post.hpp) must give back the input byte for byte; the copy
// ezmlm-send builds (qm/lists/post/send.hpp), for a main list and a sublist, with and without
// one-click unsubscription, must be a permanent refusal or carry each List-* field we
// write once (none of the unsubscribe pair when send_post adds it per recipient), with a
// trailer added or not.
#include "fuzz_check.hpp"
#include "qm/lists/archive/rfc1153.hpp"
#include "qm/lists/core/mime.hpp"
#include "qm/lists/core/parsed_post.hpp"
#include "qm/lists/moderate/moderation.hpp"
#include "qm/lists/post/post_shape.hpp"
#include "qm/lists/post/reject.hpp"
#include "qm/lists/post/send.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace {

bool lower_case(std::string_view s) {
    for (char c : s)
        if (c >= 'A' && c <= 'Z')
            return false;
    return true;
}

const qm::lists::RejectRules& rules() {
    static const qm::lists::RejectRules r = [] {
        qm::lists::RejectRules x;
        x.list = qm::lists::ListInfo{"/nonexistent", "team", "lists.example"};
        x.body_commands = true;
        x.max_body = 4096;
        x.min_body = 2;
        x.mimereject = {"application/x-msdownload"};
        x.mimeremove = {"text/html"};
        x.headerreject = {"x-spam"};
        return x;
    }();
    return r;
}

// How many header fields of the copy are called name (lower case, as Field::name reads
// them: the text before the colon, trailing blanks dropped, any case).
size_t fields_named(std::string_view copy, std::string_view name) {
    const size_t end = copy.find("\n\n");
    std::string_view header = copy.substr(0, end == std::string_view::npos ? copy.size() : end + 1);
    size_t n = 0;
    for (size_t pos = 0; pos < header.size();) {
        size_t nl = header.find('\n', pos);
        std::string_view line = header.substr(pos, nl == std::string_view::npos ? nl : nl - pos);
        pos = nl == std::string_view::npos ? header.size() : nl + 1;
        const size_t colon = line.find(':');
        if (line.empty() || line[0] == ' ' || line[0] == '\t' || colon == std::string_view::npos)
            continue;
        std::string_view field = line.substr(0, colon);
        while (!field.empty() && (field.back() == ' ' || field.back() == '\t'))
            field.remove_suffix(1);
        if (field.size() != name.size())
            continue;
        bool same = true;
        for (size_t i = 0; i < name.size(); ++i)
            same =
                same && (field[i] >= 'A' && field[i] <= 'Z' ? field[i] + 32 : field[i]) == name[i];
        n += same;
    }
    return n;
}

void check_copy(const qm::lists::ParsedPost& post_in, bool sublist, bool one_click) {
    qm::lists::PostSettings s;
    s.list = qm::lists::ListInfo{"/nonexistent", "team", "lists.example"};
    s.mailinglist = "contact team-help@lists.example; run by ezmlm";
    s.headerremove = {"return-path", "precedence"};
    if (!sublist)
        s.headerremove.push_back("list-id");
    s.headeradd = "Precedence: bulk\nList-Help: <mailto:<#l#>-help@<#h#>>\n"
                  "List-Unsubscribe: <mailto:<#l#>-unsubscribe@<#h#>>\n";
    if (sublist)
        s.parent = "main@lists.example";
    if (one_click)
        s.unsubscribe_url = "https://lists.example/u";
    // A main list trails its posts (in the body's encoding, or as a part of its own in
    // quoted-printable or base64), and whatever it added, the post as it came stays
    // what the archive gets.
    if (!sublist) {
        s.trailer = "-- \nleave: <#l#>-unsubscribe@<#h#> \xe9\n";
        s.charset = {"iso-8859-1", one_click ? 'B' : 'Q'};
    }
    auto post = qm::lists::build_post(s, 7, post_in);
    if (!post) {
        QM_FUZZ_CHECK(post.error().permanent());
        return;
    }
    // The archive gets text's first archive_size bytes, or (a base64 body encoded again,
    // which may come out shorter than a sloppy original) archived, the post as it came.
    if (post->archived)
        QM_FUZZ_CHECK(post->archived->size() == post->archive_size);
    else
        QM_FUZZ_CHECK(post->archive_size <= post->text.size());
    for (std::string_view name : {"list-id", "list-post", "list-help", "list-subscribe",
                                  "list-owner", "list-unsubscribe", "list-unsubscribe-post"}) {
        const size_t n = fields_named(post->text, name);
        const bool per_recipient = one_click && name.starts_with("list-unsubscribe");
        QM_FUZZ_CHECK(per_recipient ? n == 0 : n <= 1);
    }
    QM_FUZZ_CHECK(post->warnings.size() == (one_click ? 1U : 0U));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto shape = qm::lists::parse_post(text);
    if (!shape) {
        QM_FUZZ_CHECK(shape.error().permanent());
        QM_FUZZ_CHECK(shape.error().text.find("broken MIME") != std::string::npos);
        QM_FUZZ_CHECK(shape.error().text.find('\n') == std::string::npos);
    } else {
        // A last line without a newline is read as having one (qmail's header split).
        QM_FUZZ_CHECK(shape->body_size <= size + 1);
        QM_FUZZ_CHECK(shape->first_body_line.size() <= size);
        QM_FUZZ_CHECK(shape->first_body_line.find('\n') == std::string::npos);
        QM_FUZZ_CHECK(lower_case(shape->content_type.type));
        QM_FUZZ_CHECK(shape->content_type.type.find('/') != std::string::npos);
        QM_FUZZ_CHECK(!shape->content_type.multipart() || !shape->content_type.boundary.empty());
        for (const auto& name : shape->field_names)
            QM_FUZZ_CHECK(lower_case(name));
        for (const auto& type : shape->part_types)
            QM_FUZZ_CHECK(lower_case(type) && type.find('/') != std::string::npos);
        auto verdict = qm::lists::check_post(rules(), *shape);
        if (!verdict)
            QM_FUZZ_CHECK(verdict.error().permanent());
    }
    auto media = qm::lists::parse_media_type(text.substr(0, 512));
    if (!media)
        QM_FUZZ_CHECK(media.error().permanent());
    auto comment = qm::lists::moderator_comment(text);
    QM_FUZZ_CHECK(comment.empty() || comment.back() == '\n');
    const qm::lists::ParsedPost post(text);
    QM_FUZZ_CHECK(post.text() == text);
    for (const auto& f : post.fields)
        QM_FUZZ_CHECK(lower_case(f.name) && f.text.ends_with('\n'));
    for (bool sublist : {false, true})
        for (bool one_click : {false, true})
            check_copy(post, sublist, one_click);
    // The answer addresses: $LOCAL is the input, $DEFAULT its tail after the last '-'.
    // A parsed request's cookie is lower case and a part of $DEFAULT.
    const std::string_view local = text.substr(0, 256);
    const auto dash = local.rfind('-');
    const std::string_view def =
        dash == std::string_view::npos ? std::string_view{} : local.substr(dash + 1);
    auto moderation = qm::lists::parse_moderation_request(local, def);
    auto confirmation = qm::lists::parse_confirm_request(local, def);
    QM_FUZZ_CHECK(!(moderation && confirmation)); // no address is both
    for (const auto* cookie : {moderation ? &moderation->cookie : nullptr,
                               confirmation ? &confirmation->cookie : nullptr})
        if (cookie) {
            QM_FUZZ_CHECK(lower_case(*cookie));
            QM_FUZZ_CHECK(def.size() > cookie->size());
        }

    auto leaves = qm::lists::mime_leaves(text);
    if (!leaves)
        QM_FUZZ_CHECK(leaves.error().permanent());
    else
        for (const auto& leaf : *leaves)
            QM_FUZZ_CHECK(!leaf.type.multipart() && lower_case(leaf.type.charset));
    const std::string enclosed = qm::lists::rfc1153_message(text);
    QM_FUZZ_CHECK(!enclosed.empty() && enclosed.back() == '\n');
    QM_FUZZ_CHECK(qm::lists::to_utf8(enclosed, "utf-8") == enclosed);
    // After the header (whose fields never start with '-'), every line that begins with
    // a hyphen is stuffed.
    std::string_view rest = enclosed;
    bool body = false;
    while (!rest.empty()) {
        const size_t nl = rest.find('\n');
        const std::string_view line = rest.substr(0, nl);
        rest.remove_prefix(nl + 1);
        if (!body) {
            body = line.empty();
            continue;
        }
        QM_FUZZ_CHECK(line != qm::lists::rfc1153_separator);
        QM_FUZZ_CHECK(!line.starts_with("-") || line.starts_with("- "));
    }
    return 0;
}
