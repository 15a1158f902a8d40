// tcprules: compiles tcpserver-style client rules from stdin into a cdb, byte-compatible
// with ucspi-tcp's tcprules(1), for qmail-smtpd --rules (and the real tcpserver -x).
#include "qm/server/tcprules.hpp"

#include "qm/cdb.hpp"
#include "qm/fd.hpp"
#include "qm/program.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace {

constexpr std::string_view help =
    "usage: tcprules rules.cdb rules.tmp < rules\n"
    "Compiles rules (\"address:allow|deny[,VAR=\\\"value\\\"...]\" per line, # comments;\n"
    "addresses: 1.2.3.4, 1.2.3., 1.2.3.37-53, =host.name, =.domain, user@1.2.3.4, or\n"
    "empty for everyone) into rules.cdb, by way of rules.tmp, atomically: on any\n"
    "error the old rules.cdb stays. Exit 0, 100 on a bad line (named), 111 on I/O.\n";

int die(int code, const std::string& text) {
    return qm::program::fatal("tcprules", text, code);
}

int compile(qm::program::Words args) {
    if (args.size() != 2)
        return qm::program::usage("tcprules", "rules.cdb rules.tmp");
    const std::string& cdb_path = args[0];
    const std::string& tmp_path = args[1];
    auto text = qm::read_all(STDIN_FILENO);
    if (!text)
        return die(111, "unable to read rules: " + text.error().text);
    auto rules = qm::server::compile_rules(*text, "standard input");
    if (!rules)
        return die(100, rules.error().text);
    auto writer = qm::cdb::Writer::create(tmp_path, 0644);
    if (!writer)
        return die(111, writer.error().text);
    for (const auto& r : *rules)
        if (auto ok = writer->add(r.key, r.data); !ok)
            return die(111, ok.error().text);
    if (auto ok = writer->commit(); !ok)
        return die(111, ok.error().text);
    if (::rename(tmp_path.c_str(), cdb_path.c_str()) != 0)
        return die(111,
                   "unable to move " + tmp_path + " to " + cdb_path + ": " + std::strerror(errno));
    if (auto ok = qm::fsync_dir(qm::dirname_of(cdb_path)); !ok)
        return die(111, ok.error().text);
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    return qm::program::run({"tcprules", help}, argc, argv, compile);
}
