// qmail-pop3d on descriptors 0 and 1 over a real maildir, side by side with what
// notqmail's qmail-pop3d (a7012e4) answered to the same commands on the same files.
#include "support.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>

#include <filesystem>

namespace fs = std::filesystem;

namespace {

// Three messages, oldest first: new/1000.A.h, cur/1001.B.h:2,S, new/1002.C.h.
std::string make_maildir(const qmtest::MailRoot& root) {
    const std::string maildir = root / "M";
    REQUIRE(qmtest::run({qmtest::bin("maildirmake"), maildir}).exit_code == 0);
    const std::pair<const char*, const char*> files[] = {
        {"new/1000.A.h", "Return-Path: <a@x>\nSubject: one\n\n.dot line\nbody\n"},
        {"cur/1001.B.h:2,S", "Subject: two\nX: y\n\nl1\nl2\nl3\nl4\n"},
        {"new/1002.C.h", "Subject: three\n\nno newline"},
    };
    std::time_t t = 1796119200;
    for (const auto& [name, text] : files) {
        const std::string path = maildir + "/" + name;
        qmtest::spit(path, text);
        const timespec times[2] = {{t, 0}, {t, 0}};
        REQUIRE(::utimensat(AT_FDCWD, path.c_str(), times, 0) == 0);
        t += 86400;
    }
    for (const auto& e : fs::recursive_directory_iterator(maildir))
        root.give_to_user(e.path());
    root.give_to_user(maildir);
    return maildir;
}

} // namespace

TEST_CASE("qmail-pop3d answers as notqmail's - but for the blank line qmail adds before the "
          "final dot",
          "[scenario][pop3]") {
    qmtest::MailRoot root;
    const std::string maildir = make_maildir(root);
    // A message delivered in this very second waits for the next session.
    qmtest::spit(maildir + "/new/now.D.h", "Subject: now\n\n");
    root.give_to_user(maildir + "/new/now.D.h");
    auto r = root.run({qmtest::bin("qmail-pop3d"), "M"},
                      {.stdin_data = "STAT\r\nLIST\r\nUIDL\r\nLIST 2\r\nUIDL 9\r\nLIST 0\r\n"
                                     "LIST x\r\nRETR 1\r\nTOP 2 2\r\nTOP 2 0\r\nTOP 2\r\n"
                                     "RETR 3\r\nDELE 2\r\nDELE 2\r\nLAST\r\nSTAT\r\nLIST\r\n"
                                     "RSET\r\nLAST\r\nDELE 3\r\nfoo\r\nnoop\r\nQUIT\r\n",
                       .cwd = root.home()});
    REQUIRE(r.exit_code == 0);
    // notqmail's transcript with its extra "\r\n" before each ".\r\n" of a message
    // removed: RFC 1939 ends the message with the dot line alone, and the extra line
    // would become part of the message at the client.
    CHECK(r.out == "+OK \r\n"
                   "+OK 3 105\r\n"
                   "+OK \r\n1 48\r\n2 31\r\n3 26\r\n.\r\n"
                   "+OK \r\n1 1000.A.h\r\n2 1001.B.h\r\n3 1002.C.h\r\n.\r\n"
                   "+OK 2 31\r\n"
                   "-ERR not that many messages\r\n"
                   "-ERR messages are counted from 1\r\n"
                   "-ERR syntax error\r\n"
                   "+OK \r\nReturn-Path: <a@x>\r\nSubject: one\r\n\r\n..dot line\r\nbody\r\n.\r\n"
                   "+OK \r\nSubject: two\r\nX: y\r\n\r\nl1\r\nl2\r\n.\r\n"
                   "+OK \r\nSubject: two\r\nX: y\r\n\r\n.\r\n"
                   "+OK \r\nSubject: two\r\nX: y\r\n\r\nl1\r\nl2\r\nl3\r\nl4\r\n.\r\n"
                   "+OK \r\nSubject: three\r\n\r\nno newline\r\n.\r\n"
                   "+OK \r\n"
                   "-ERR already deleted\r\n"
                   "+OK 2\r\n"
                   "+OK 3 74\r\n"
                   "+OK \r\n1 48\r\n3 26\r\n.\r\n"
                   "+OK \r\n"
                   "+OK 0\r\n"
                   "+OK \r\n"
                   "-ERR unimplemented\r\n"
                   "+OK \r\n"
                   "+OK \r\n");
    // QUIT: the deleted message is gone, the one read from new/ is in cur/ as seen.
    CHECK(qmtest::list_dir(maildir + "/cur") ==
          std::vector<std::string>{"1000.A.h:2,", "1001.B.h:2,S"});
    CHECK(qmtest::list_dir(maildir + "/new") == std::vector<std::string>{"now.D.h"});
}

TEST_CASE("qmail-pop3d refuses root - a missing maildir and long lines get -ERR",
          "[scenario][pop3]") {
    qmtest::MailRoot root;
    auto missing = root.run({qmtest::bin("qmail-pop3d"), "NoSuchMaildir"},
                            {.stdin_data = "STAT\r\n", .cwd = root.home()});
    CHECK(missing.exit_code == 0);
    CHECK(missing.out == "-ERR this user has no $HOME/Maildir\r\n");
    const std::string maildir = make_maildir(root);
    auto long_line = root.run(
        {qmtest::bin("qmail-pop3d"), "M"},
        {.stdin_data = "NOOP " + std::string(5000, 'x') + "\r\nSTAT\r\n", .cwd = root.home()});
    CHECK(long_line.out == "+OK \r\n-ERR line too long\r\n+OK 3 105\r\n");
    if (::getuid() == 0) {
        auto as_root = qmtest::run({qmtest::bin("qmail-pop3d"), maildir});
        CHECK(as_root.exit_code == 1);
        CHECK(as_root.err == "qmail-pop3d invoked as uid 0, terminating\n");
    }
}
