// maildir2mbox: moves $MAILDIR's messages to the end of the mbox $MAIL, through $MAILTMP.
#include "qm/program.hpp"
#include "qm/tools/maildir_to_mbox.hpp"

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>

namespace {

constexpr std::string_view help =
    "usage: maildir2mbox\n"
    "Moves the messages of the maildir $MAILDIR (new/ and cur/, oldest first by mtime;\n"
    "one changed this second waits for the next run) to the end of\n"
    "the mbox $MAIL, as qmail's maildir2mbox: $MAIL is locked (flock and fcntl) and copied\n"
    "to $MAILTMP with the messages appended, each after a From_ line made from its\n"
    "Return-Path and with lines matching ^>*From  quoted; $MAILTMP is flushed and renamed\n"
    "over $MAIL, and only then are the messages removed from the maildir. $MAILTMP must be\n"
    "on the file system of $MAIL. Exit 0, or 111 (nothing moved) on any trouble.\n";

const char* need(const char* name) {
    const char* v = std::getenv(name);
    return v != nullptr && *v != '\0' ? v : nullptr;
}

} // namespace

int main(int argc, char** argv) {
    return qm::program::run({"maildir2mbox", help}, argc, argv, [](qm::program::Words args) {
        if (!args.empty())
            return qm::program::usage("maildir2mbox", "");
        ::umask(077);
        for (const char* name : {"MAILDIR", "MAIL", "MAILTMP"})
            if (need(name) == nullptr)
                return qm::program::fatal("maildir2mbox", std::string(name) + " not set", 111);
        auto moved = qm::tools::maildir_to_mbox(need("MAILDIR"), need("MAIL"), need("MAILTMP"));
        if (!moved)
            return qm::program::fatal("maildir2mbox", moved.error());
        for (const auto& k : moved->not_removed)
            std::fprintf(stderr,
                         "maildir2mbox: warning: $MAILDIR/%s will be delivered twice; unable to "
                         "unlink: %s\n",
                         k.name.c_str(), k.why.c_str());
        return 0;
    });
}
