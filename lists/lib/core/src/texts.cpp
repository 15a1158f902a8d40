#include "qm/lists/core/texts.hpp"

namespace qm::lists {

const std::vector<std::pair<std::string_view, std::string_view>>& default_texts() {
    static const std::vector<std::pair<std::string_view, std::string_view>> texts = {
        {"top", "Hi! This is the mailing list manager for <#l#>@<#h#>.\n\n"},
        {"bottom", "\n--- Administrative commands for the <#l#> list ---\n\n"
                   "To subscribe, send a message to:\n"
                   "   <#l#>-subscribe@<#h#>\n\n"
                   "To unsubscribe, send a message to:\n"
                   "   <#l#>-unsubscribe@<#h#>\n\n"
                   "For help and a description of the available commands:\n"
                   "   <#l#>-help@<#h#>\n\n"
                   "To reach the person who runs this list:\n"
                   "   <#l#>-owner@<#h#>\n\n"
                   "--- Enclosed is a copy of the request I received.\n\n"},
        {"help", "This is a generic help message. Commands are sent as mail to addresses\n"
                 "such as <#l#>-subscribe@<#h#>; the content of the message does not matter.\n"},
        {"info", "No information has been provided for this list yet.\n"},
        {"faq", "No FAQ has been written for this list yet.\n"},
        {"sub-confirm", "To confirm that you would like\n\n   <#A#>\n\n"
                        "added to the <#l#> mailing list, please send an empty reply to\n\n"
                        "   <#R#>\n\n"
                        "Usually you can just use your mail program's reply function.\n"
                        "If you did not ask to be subscribed, ignore this message: nothing\n"
                        "happens without your reply.\n"},
        {"sub-ok", "Welcome to <#l#>@<#h#>!\n\n"
                   "I have added the address\n\n   <#A#>\n\nto the subscriber list.\n\n"
                   "Please keep this message: it tells you how to unsubscribe and which\n"
                   "address you are subscribed with.\n"},
        {"sub-nop", "The address\n\n   <#A#>\n\nwas already on the <#l#> mailing list\n"
                    "when I received your request, and remains a subscriber.\n"},
        {"sub-bad", "Sorry, the confirmation code you used is not valid or has expired.\n"
                    "I have sent you a new one: please reply to\n\n   <#R#>\n"},
        {"unsub-confirm", "To confirm that you would like\n\n   <#A#>\n\n"
                          "removed from the <#l#> mailing list, please send an empty reply\n"
                          "to\n\n   <#R#>\n\n"
                          "If you did not ask to be unsubscribed, ignore this message.\n"},
        {"unsub-ok", "I have removed the address\n\n   <#A#>\n\n"
                     "from the <#l#> mailing list. It will receive no further posts.\n"},
        {"unsub-nop", "The address\n\n   <#A#>\n\nis not on the <#l#> mailing list.\n"
                      "Perhaps you are subscribed under another address: look at the\n"
                      "Return-Path of a list message, <#l#>-return-NUMBER-USER=HOST@<#h#>,\n"
                      "and unsubscribe USER@HOST.\n"},
        {"unsub-bad", "Sorry, the confirmation code you used is not valid or has expired.\n"
                      "I have sent you a new one: please reply to\n\n   <#R#>\n"},
        {"mod-sub-confirm", "A request has been made to add\n\n   <#A#>\n\n"
                            "to the <#l#> mailing list. As a moderator, please approve it by\n"
                            "sending an empty reply to\n\n!R\n\n"
                            "To refuse, do nothing: the request expires.\n"},
        {"mod-unsub-confirm", "A request has been made to remove\n\n   <#A#>\n\n"
                              "from the <#l#> mailing list. As a moderator, please approve\n"
                              "it by sending an empty reply to\n\n!R\n\n"
                              "To refuse, do nothing: the request expires.\n"},
        {"mod-sub", "\nThis was done at the request of a moderator of the <#l#> list.\n"
                    "If you do not agree, write to <#l#>-owner@<#h#>.\n"},
        {"mod-help", "\n--- Commands for moderators of <#l#>@<#h#> ---\n\n"
                     "To subscribe or unsubscribe someone (with remote administration),\n"
                     "mail <#l#>-subscribe-box=domain@<#h#> or\n"
                     "<#l#>-unsubscribe-box=domain@<#h#> and answer the confirmation.\n"
                     "Where allowed, <#l#>-list@<#h#> gives the subscribers,\n"
                     "<#l#>-listn@<#h#> their number and <#l#>-log@<#h#> the log,\n"
                     "and <#l#>-edit@<#h#> the texts you may change by mail.\n"},
        {"get-bad", "Sorry, that message is not in the archive.\n"},
        {"digest", "This is the digest of the <#l#>@<#h#> mailing list.\n\n"
                   "To stop receiving the digest, send a message to:\n"
                   "   <#l#>-digest-unsubscribe@<#h#>\n\n"
                   "To get messages N to M from the archive, send a message to:\n"
                   "   <#l#>-get.N_M@<#h#>\n\n"
                   "To post to the list, write to <#l#>@<#h#>; to reach the person who\n"
                   "runs it, <#l#>-owner@<#h#>.\n"},
        {"bounce-warn", "Messages to you from the <#l#> mailing list seem to have been\n"
                        "bouncing. I have attached a copy of the first bounce I received.\n\n"
                        "If this message bounces too, I will send you a probe. If the probe\n"
                        "bounces, I will remove your address from the list, without further\n"
                        "notice.\n"},
        {"bounce-probe", "Messages to you from the <#l#> mailing list seem to have been\n"
                         "bouncing. I sent you a warning, but it bounced.\n\n"
                         "If this probe bounces too, I will remove your address from the\n"
                         "<#l#> mailing list, without further notice.\n"},
        {"bounce-num", "I have kept a list of which messages from the <#l#> mailing list\n"
                       "bounced from your address. Copies of them may be in the archive: to\n"
                       "get messages 12 to 15, for example, send an empty message to\n"
                       "   <#l#>-get.12_15@<#h#>\n\n"
                       "Here are the numbers of the messages that bounced:\n\n"},
        {"dig-bounce-num", "I have kept a list of which digests of the <#l#> mailing list\n"
                           "bounced from your address. Here are their numbers:\n\n"},
        {"bounce-bottom", "\n--- Below this line is a copy of the bounce message I received.\n\n"},
        {"mod-request", "The enclosed message was posted to the <#l#>@<#h#> mailing list,\n"
                        "which is moderated. To let it go out to every subscriber, send a\n"
                        "message to\n\n   <#A#>\n\n"
                        "(replying to this message usually does that). To return it to its\n"
                        "sender instead, send a message to\n\n   <#R#>\n\n"
                        "Nothing needs to be quoted in your answer. To give the sender of a\n"
                        "returned post a reason, put it between two lines that start with\n"
                        "three percent signs:\n\n"
                        "%%% Start comment\n"
                        "%%% End comment\n\n"
                        "--- The post follows.\n"},
        {"mod-reject", "I'm sorry, the moderator of the <#l#> list did not accept your post,\n"
                       "which is enclosed. Any comment the moderator gave is below.\n"},
        {"mod-timeout", "I'm sorry, no moderator of the <#l#> list approved your post in\n"
                        "time, so it has not been distributed. It is enclosed.\n"},
        {"post-confirm", "The enclosed message was sent to the <#l#>@<#h#> mailing list\n"
                         "from your address. This list distributes a post only once its\n"
                         "sender has confirmed it, so that nobody can post in your name.\n\n"
                         "To confirm it, send a message to\n\n   <#A#>\n\n"
                         "(replying to this message usually does that). To withdraw it,\n"
                         "send a message to\n\n   <#R#>\n\n"
                         "If you did not send it, do nothing: it will not be distributed.\n\n"
                         "--- The post follows.\n"},
        {"edit-list", "As a moderator of <#l#>@<#h#> you may change the texts the list\n"
                      "sends. To get one of them for editing, send a message to the address\n"
                      "below that ends in its name:\n\n"},
        {"edit-do", "Here is text/<#f#> of the <#l#> list. To change it, reply to\n\n"
                    "   <#R#>\n\n"
                    "with the new text between the two marker lines below, and keep the\n"
                    "marker lines as they are. Quoting by your mail program (\"> \") is\n"
                    "removed. The text may be at most 5120 bytes. The address is good for\n"
                    "about a day, and only while the file stays as it is now: if it changes\n"
                    "in between, ask for it again.\n\n"},
        {"edit-done", "I have replaced text/<#f#> of the <#l#> list with the text you sent.\n"},
        {"trailer", "---\nTo unsubscribe, mail <#l#>-unsubscribe@<#h#>\n"
                    "For help, mail <#l#>-help@<#h#>\n"},
    };
    return texts;
}

} // namespace qm::lists
