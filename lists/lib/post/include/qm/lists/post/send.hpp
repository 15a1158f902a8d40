// ezmlm-send: distributes one post to every subscriber (ezmlm-send(1)). Under dir/lock it
// numbers the post (num), archives it (archive/N/MM, owner-exec bit set once complete),
// rewrites its header and queues one message whose VERP sender
// outlocal-return-N-@outhost-@[] qmail-send expands per recipient into
// outlocal-return-N-box=domain@outhost.
#pragma once

#include "qm/lists/core/listdir.hpp"
#include "qm/lists/core/parsed_post.hpp"
#include "qm/result.hpp"

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qm::lists {

// What shapes the distributed copy, read from the list directory.
struct PostSettings {
    ListInfo list;
    std::string mailinglist;               // Mailing-List: contents
    std::vector<std::string> headerremove; // field names, any case
    std::string headeradd;                 // lines, with <#l#> <#h#> <#n#> tags
    std::optional<std::string> prefix;     // subject prefix; '#' becomes the number
    std::optional<std::string> listid;     // List-Id: contents (default <local.host>)
    bool reply_to_list = false;            // dir/replytolist: Reply-To: <list>, the post's goes
    std::optional<std::string> trailer;    // text/trailer when addtrailer is set
    ListCharset charset;                   // dir/charset: the trailer part's, on a multipart post
    std::optional<std::string> parent;     // dir/sublist: keep the parent's Mailing-List
    std::optional<std::string>
        parent_return; // dir/sublistreturn: its return paths, when not ezmlm's
    // dir/unsubscribeurl: an https base URL for RFC 8058 one-click unsubscription (see
    // qm/lists/manage/one_click.hpp). Then build_post leaves List-Unsubscribe out and send_post
    // queues one copy per subscriber with its own List-Unsubscribe and
    // List-Unsubscribe-Post, since one VERP queue entry cannot carry per-recipient
    // header fields. Without it, one entry goes to all, with a mailto: List-Unsubscribe.
    std::optional<std::string> unsubscribe_url;
    // ezmlm-send -R: of the post's Received fields only the first (this host's) goes out.
    bool drop_received = false;
};
// The trailer goes on a text/plain post that is not multipart, in its transfer encoding:
// as it is after a 7bit or 8bit body, encoded after a quoted-printable one, and with a
// base64 one the body is decoded, the trailer added and the whole encoded again (its
// line ends as the body's, CRLF or LF). On a multipart/mixed (digest, parallel) post it
// is a text/plain part of its own before the closing boundary, in the list's charset
// and encoding, as ezmlm-idx 7 adds it; other multiparts (alternative, signed, related)
// get none, since a part added there would be shown instead of the text, or break the
// signature.
[[nodiscard]] Result<PostSettings> read_post_settings(const std::string& dir);

// ezmlm-idx 7's switches of ezmlm-send, which ezmlm-store, ezmlm-gate, ezmlm-moderate and
// ezmlm-confirm pass on.
struct SendOptions {
    // -R: only the first Received field (this host's) goes out, in the copies and the
    // archive, so that a long path does not trip a reader's hop count; -r, and the
    // default (ezmlm 0.53's, which had no switch), keep them all.
    bool drop_received = false;
    // -h FIELD: a sublist (dir/sublist) takes only posts that carry this field, for a
    // parent run by a list manager that marks its posts so; after a colon, ignored.
    std::string sublist_field;
};

struct Post {
    std::string text;                    // the copy subscribers get
    size_t archive_size = 0;             // the archived copy is text's first archive_size bytes
    std::optional<std::string> archived; // instead, when the trailer re-encoded the body
    std::vector<std::string> warnings;   // dir/headeradd lines dropped, and why
};
// The copy for message number n. A post carrying Mailing-List or our Delivered-To line is
// refused permanently (the loop guard).
//
// As ezmlm-idx 7, List-* fields live in dir/headeradd (with tags): when it has
// List-Help, List-Unsubscribe and List-Subscribe (as ezmlm-idx 7's ezmlm-make, and ours
// now, write it), only its List-* fields go out (and List-ID from dir/listid, which
// replaces headeradd's). Any other headeradd, such as this platform's ezmlm-make (and
// ezmlm 0.53's) wrote before, perhaps with an owner's List-Archive added, keeps getting
// the others generated as below.
//
// Every List-* field appears once. One of dir/headeradd replaces the generated one
// (List-Post: NO, say), except List-Unsubscribe and List-Unsubscribe-Post when
// dir/unsubscribeurl is set: then the per-recipient RFC 8058 pair wins and the
// headeradd line is dropped with a warning. The post's own fields of those names go
// (whatever headerremove says), but a sublist passes on the main list's List-Id,
// List-Post and List-Archive instead of making its own.
[[nodiscard]] Result<Post> build_post(const PostSettings& s, unsigned long n,
                                      const ParsedPost& message);

// The archive file of a post (archive/N/MM): as ezmlm-send writes it, the copy as
// delivered, under the Return-Path line qmail-local would give it: <sender>, quoted as
// qmail quotes it, a newline in it turned into '_', <> when SENDER is unset.
[[nodiscard]] std::string archive_text(const std::optional<std::string>& sender,
                                       std::string_view copy);

// The envelope sender for message n: outlocal-return-n-@outhost-@[].
[[nodiscard]] std::string verp_sender(const ListInfo& list, unsigned long n);

struct Sent {
    unsigned long number = 0;
    size_t recipients = 0;
    pid_t qp = 0;                      // 0 when nothing was queued (no subscribers)
    std::vector<std::string> warnings; // Post::warnings, for the program to print
};
// sender: $SENDER, nullopt when unset. Bounces (empty sender, #@[]) are refused. The
// post is read once (parsed_post.hpp): the DMARC check, the index entry (of the post as
// it came, before any From rewrite) and the copy see the same fields.
[[nodiscard]] Result<Sent> send_post(const std::string& dir,
                                     const std::optional<std::string>& sender,
                                     std::string_view message, const SendOptions& options = {});

} // namespace qm::lists
