// Messages the list manager writes to one person: confirmation requests, welcomes,
// bounce warnings and probes, archive retrievals, moderation requests. Each is built
// from the list's text/ files (ezmlm's names and <#X#> tags) and queued through
// qmail-queue with the envelope sender outlocal-return-@outhost, the address ezmlm
// sends its own mail from and where bounces of it are thrown away.
#pragma once

#include "qm/lists/core/listdir.hpp"
#include "qm/lists/core/text_render.hpp"
#include "qm/queue_client.hpp"
#include "qm/result.hpp"

#include <ctime>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace qm::lists {

// Tag letter -> replacement, e.g. {'A', "joe@far.example"} for <#A#>. <#l#> and <#h#>
// (the list's outlocal and outhost) are always filled in.
using TextTags = std::vector<std::pair<char, std::string>>;

// text/name rendered as ezmlm-idx 7 renders it (text_render.hpp: comments, <=X=>
// conditions on the list's flags, !R/!A lines, tags; <#L#>, <#l#>, <#h#>, <#H#> and <#d#>
// are always filled in, <#a#>, <#r#>, <#c#>, <#X#>, <#T#>, <#C#>, <#t#> derived from
// <#A#> and <#R#>). The file is looked up as ezmlm-idx 7 looks it up: the list's text/,
// then text/ under the directory the list's ezmlmrc file names, then
// ETC/default/text/ (ETC: first line of control/ezmlm-etc in the mail root, else
// /etc/ezmlm, ezmlm-idx's own default); a text none of them has falls back to our
// built-in one (texts.hpp), so an older list directory keeps working.
[[nodiscard]] Result<std::string> render_text(const ListInfo& list, std::string_view name,
                                              const TextTags& tags);
// Whether any of those places has text/name (our own built-in texts not counted).
[[nodiscard]] Result<bool> has_text(const ListInfo& list, std::string_view name);

// An ezmlm-idx 7 message (a subject: SUB_WELCOME, SUB_HELP, ...) from text/messages,
// looked up in the same places ("KEY:value" lines), else our own wording; tags as in a
// header (<#L#>, <#H#>; params are <#1#>, <#2#>, ...; <#0#> is the key). One line.
[[nodiscard]] Result<std::string> list_message(const ListInfo& list, std::string_view key,
                                               const std::vector<std::string>& params = {});

// Whether the list has ezmlm-idx 7's flag letter set, read from the flag files
// ezmlm-idx 7 names (archived for a, modsub for s, ...; a letter without a file is set).
[[nodiscard]] FlagTest list_flag_test(const std::string& dir);

// dir/headeradd lines and text/trailer as ezmlm-idx 7's ezmlm-send fills them in for post
// (or digest) number n: <#l#> outlocal, <#h#> and <#H#> outhost, <#n#> n, <#L#> the main
// list's local part (main_local, else outlocal: ezmlm-get makes <#l#> list-digest in a
// digest, <#L#> stays the list); other tags stay.
[[nodiscard]] std::string expand_header_tags(std::string_view text, const ListInfo& list,
                                             unsigned long n, std::string_view main_local = {});

// ezmlm's reply body: text/top, then each named text, then text/bottom (unless the list
// has omitbottom).
[[nodiscard]] Result<std::string> compose_body(const ListInfo& list,
                                               std::initializer_list<std::string_view> names,
                                               const TextTags& tags);

// Whether s has a byte beyond ASCII (then it is sent as UTF-8, 8bit).
[[nodiscard]] bool has_eight_bit(std::string_view s);

struct Reply {
    std::string to;                    // envelope recipient and To:
    std::string subject;               // one line
    std::string body;                  // text, lines ending in \n
    std::vector<std::string> headers;  // extra "Field: value" lines (Reply-To, ...)
    std::string from_command = "help"; // From: outlocal-<from_command>@outhost
    // Recipients beyond `to` that get the same message (moderators), envelope only.
    std::vector<std::string> also_to;
    // Envelope sender; empty means outlocal-return-@outhost, where bounces are thrown
    // away. ezmlm-warn sends from outlocal-return-warn-T.COOKIE-box=domain@outhost so
    // that a bounce of the warning comes back to the list.
    std::string envelope_sender;
    // A body that is not plain text (a MIME digest): its Content-Type value, the body
    // then being used as it is. Empty: text/plain.
    std::string content_type;
    // RFC 3834: "auto-replied" for answers to a request, "auto-generated" for digests.
    std::string auto_submitted = "auto-replied";
    // To: when it should not name the envelope recipient (a moderation request goes to
    // every moderator but says To: outlocal-moderators@outhost, as ezmlm's does).
    std::string to_header;
    // A message enclosed whole after the text as a message/rfc822 part (the post a
    // moderation request or a returned post is about); empty: a plain text reply.
    std::string enclosed;
};

// The full message text as it is queued (header, blank line, body).
[[nodiscard]] std::string format_reply(const ListInfo& list, const Reply& reply, std::time_t now);

// Queues the reply; returns qmail-queue's verdict (temporary failures stay temporary).
[[nodiscard]] Result<Queued> send_reply(const ListInfo& list, const Reply& reply, std::time_t now);

} // namespace qm::lists
