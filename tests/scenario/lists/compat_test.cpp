// Moving a list from ezmlm 0.53: a directory written by a small script in ezmlm 0.53's
// exact layout (subscriber hash files included) is driven by our programs. Whose
// behaviour is whose: ezmlm 0.53 files and looks up a record under the 32-bit hash of the
// record as given (issub.c, exact match only); we, like ezmlm-idx 7 (the compatibility
// target, tested against the real programs in ezmlm_idx_test.cpp), file a new record under
// the 64-bit hash of the lower-cased record, so what our ezmlm-sub adds is where
// ezmlm-idx 7 looks, and ezmlm 0.53's readers of the whole list (ezmlm-send, ezmlm-list)
// still see it. Records ezmlm 0.53 filed stay where they are until ezmlm-make -e re-files
// them; our programs find them either way.
#include "support.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <filesystem>

using namespace std::string_literals;
namespace fs = std::filesystem;

namespace {

// ezmlm 0.53: subscribe.c / issub.c hashing, ezmlm-send's num and archive layout.
const char* make_list_py = R"PY(
import os, sys
d = sys.argv[1]
def h(rec):
    x = 5381
    for c in rec:
        x = ((x + (x << 5)) ^ c) & 0xffffffff
    return chr(64 + x % 53)
def put(name, data, mode=0o644):
    p = os.path.join(d, name)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, 'wb') as f:
        f.write(data)
    os.chmod(p, mode)
os.makedirs(d)
for name, text in [('inlocal', 'old'), ('inhost', 'lists.example'),
                   ('outlocal', 'old'), ('outhost', 'lists.example'),
                   ('mailinglist', 'contact old-help@lists.example; run by ezmlm'),
                   ('num', '41'), ('headeradd', ''),
                   ('headerremove', 'return-path\nprecedence')]:
    put(name, (text + '\n').encode())
for name in ['archived', 'public', 'lock']:
    put(name, b'')
os.makedirs(os.path.join(d, 'subscribers'), mode=0o700)
for addr in sys.argv[2:]:
    local, _, dom = addr.rpartition('@')
    rec = ('T' + local + '@' + dom.lower()).encode()
    with open(os.path.join(d, 'subscribers', h(rec)), 'ab') as f:
        f.write(rec + b'\0')
put('archive/0/41', b'Mailing-List: contact old-help@lists.example; run by ezmlm\n'
                    b'Subject: the last one\n\nold\n', 0o744)
)PY";

// Is the address, exactly, in the file its hash names? "32": ezmlm 0.53's issub.c (the
// record as given, 32 bits); "64": where ezmlm-idx 7 looks first (sub-std.c: the
// lower-cased record, unsigned long on amd64).
const char* issub_py = R"PY(
import os, sys
d, bits, addr = sys.argv[1], int(sys.argv[2]), sys.argv[3]
local, _, dom = addr.rpartition('@')
rec = ('T' + local + '@' + dom.lower()).encode()
hashed = rec if bits == 32 else b'T' + rec[1:].lower()
x = 5381
for c in hashed:
    x = ((x + (x << 5)) ^ c) & ((1 << bits) - 1)
p = os.path.join(d, 'subscribers', chr(64 + x % 53))
data = open(p, 'rb').read().split(b'\0') if os.path.exists(p) else []
sys.exit(0 if rec in data else 1)
)PY";

bool have_python() {
    return ::access("/usr/bin/python3", X_OK) == 0;
}

} // namespace

TEST_CASE("a list directory in ezmlm 0.53's layout works with our programs",
          "[scenario][lists][compat]") {
    if (!have_python())
        return qmtest::skip("no /usr/bin/python3 to write the ezmlm 0.53 directory");
    qmtest::MailRoot root;
    const std::string dir = root / "old";
    qmtest::spit(root / "make.py", make_list_py);
    qmtest::spit(root / "issub.py", issub_py);
    const std::vector<std::string> readers = {"a@one.example", "Mixed.Case@Two.EXAMPLE",
                                              "c@three.example", "d@one.example", "e@four.example"};
    std::vector<std::string> argv = {"/usr/bin/python3", root / "make.py", dir};
    argv.insert(argv.end(), readers.begin(), readers.end());
    auto made = root.run(argv);
    INFO(made.err);
    REQUIRE(made.exit_code == 0);

    auto listed = root.run({qmtest::bin("ezmlm-list"), dir});
    REQUIRE(listed.exit_code == 0);
    std::vector<std::string> got;
    for (size_t p = 0, nl; (nl = listed.out.find('\n', p)) != std::string::npos; p = nl + 1)
        got.push_back(listed.out.substr(p, nl - p));
    std::sort(got.begin(), got.end());
    CHECK(got == std::vector<std::string>{"Mixed.Case@two.example", "a@one.example",
                                          "c@three.example", "d@one.example", "e@four.example"});
    auto issubn = [&](const std::string& sender) {
        return root.run({qmtest::bin("ezmlm-issubn"), dir}, {.env = {{"SENDER", sender}}})
            .exit_code;
    };
    CHECK(issubn("mixed.case@two.example") == 0);
    CHECK(issubn("c@THREE.example") == 0);
    CHECK(issubn("z@one.example") == 99);

    auto issub = [&](const char* bits, const std::string& address) {
        return root.run({"/usr/bin/python3", root / "issub.py", dir, bits, address}).exit_code;
    };
    // A new subscriber goes where ezmlm-idx 7 looks (not, for this address, where ezmlm
    // 0.53's exact lookup would: its ezmlm-send below still sends to it, as ours does).
    REQUIRE(root.run({qmtest::bin("ezmlm-sub"), dir, "new.reader@Five.Example"}).exit_code == 0);
    CHECK(issub("64", "new.reader@five.example") == 0);
    CHECK(issub("32", "new.reader@five.example") == 1);
    // What ezmlm 0.53 filed, we remove from its place, and leave the rest where it was.
    REQUIRE(root.run({qmtest::bin("ezmlm-unsub"), dir, "d@one.example"}).exit_code == 0);
    CHECK(issub("32", "d@one.example") == 1);
    CHECK(issub("32", "a@one.example") == 0);

    // ezmlm-send continues the numbering and queues one copy for everyone.
    qmtest::spit(root / "capture",
                 "#!/bin/sh\ncat > \"$CAPTURE/msg\"\ncat <&1 > \"$CAPTURE/env\"\n", 0755);
    root.give_to_user(root / "capture");
    auto sent = root.run({qmtest::bin("ezmlm-send"), dir},
                         {.stdin_data = "From: x@far.example\nSubject: next\n\nnew\n",
                          .env = {{"SENDER", "x@far.example"},
                                  {"QMAILQUEUE", root / "capture"},
                                  {"CAPTURE", root.home()}}});
    INFO(sent.err);
    REQUIRE(sent.exit_code == 0);
    // ezmlm-idx 7's N:K from now on (K counting from 0: ezmlm 0.53 kept none).
    CHECK(qmtest::slurp(dir + "/num") == "42:0\n");
    CHECK(fs::exists(dir + "/archive/0/42"));
    CHECK(qmtest::slurp(dir + "/archive/0/41").find("the last one") != std::string::npos);
    auto env = qmtest::slurp(root / "env");
    CHECK(env.starts_with("Fold-return-42-@lists.example-@[]\0"s));
    for (const auto& r : {"a@one.example", "Mixed.Case@two.example", "c@three.example",
                          "e@four.example", "new.reader@five.example"})
        CHECK(env.find("\0T"s + r + '\0') != std::string::npos);
    CHECK(env.find("d@one.example") == std::string::npos);
    CHECK(env.ends_with("\0\0"s));
    auto msg = qmtest::slurp(root / "msg");
    CHECK(msg.starts_with("Mailing-List: contact old-help@lists.example; run by ezmlm\n"));
    CHECK(msg.find("Delivered-To: mailing list old@lists.example\n") != std::string::npos);
    CHECK(msg.ends_with("Subject: next\n\nnew\n"));

    // ezmlm-make -e (given what ezmlm 0.53's ezmlm-make was given: 0.53 kept no dir/dot)
    // re-files ezmlm 0.53's records where ezmlm-idx 7 looks; nobody is added or lost.
    CHECK(issub("64", "a@one.example") == 1);
    auto edited = root.run(
        {qmtest::bin("ezmlm-make"), "-e", dir, root / ".qmail-old", "old", "lists.example"});
    INFO(edited.err);
    REQUIRE(edited.exit_code == 0);
    for (const auto& r : {"a@one.example", "Mixed.Case@two.example", "c@three.example",
                          "e@four.example", "new.reader@five.example"})
        CHECK(issub("64", r) == 0);
    CHECK(issubn("mixed.case@two.example") == 0);
    CHECK(root.run({qmtest::bin("ezmlm-list"), "-n", dir}).out == "5\n");
}
