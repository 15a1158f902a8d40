// tcprules: compiles tcpserver-style client rules from stdin into a cdb, byte-compatible
// with ucspi-tcp's tcprules(1), for qmail-smtpd --rules (and the real tcpserver -x).
#include "qm/server/tcprules.hpp"

#include "qm/cdb.hpp"
#include "qm/fd.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
    if (argc > 1 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)) {
        std::puts(
            "usage: tcprules rules.cdb rules.tmp < rules\n"
            "Compiles rules (\"address:allow|deny[,VAR=\\\"value\\\"...]\" per line, # comments;\n"
            "addresses: 1.2.3.4, 1.2.3., 1.2.3.37-53, =host.name, =.domain, user@1.2.3.4, or\n"
            "empty for everyone) into rules.cdb, by way of rules.tmp, atomically: on any\n"
            "error the old rules.cdb stays. Exit 0, 100 on a bad line (named), 111 on I/O.");
        return 0;
    }
    if (argc != 3) {
        std::fputs("tcprules: usage: tcprules rules.cdb rules.tmp\n", stderr);
        return 100;
    }
    const std::string cdb_path = argv[1], tmp_path = argv[2];
    auto text = qm::read_all(STDIN_FILENO);
    if (!text) {
        std::fprintf(stderr, "tcprules: fatal: unable to read rules: %s\n",
                     text.error().text.c_str());
        return 111;
    }
    auto rules = qm::server::compile_rules(*text, "standard input");
    if (!rules) {
        std::fprintf(stderr, "tcprules: fatal: %s\n", rules.error().text.c_str());
        return 100;
    }
    auto writer = qm::cdb::Writer::create(tmp_path, 0644);
    if (!writer) {
        std::fprintf(stderr, "tcprules: fatal: %s\n", writer.error().text.c_str());
        return 111;
    }
    for (const auto& r : *rules)
        if (auto ok = writer->add(r.key, r.data); !ok) {
            std::fprintf(stderr, "tcprules: fatal: %s\n", ok.error().text.c_str());
            return 111;
        }
    if (auto ok = writer->commit(); !ok) {
        std::fprintf(stderr, "tcprules: fatal: %s\n", ok.error().text.c_str());
        return 111;
    }
    if (::rename(tmp_path.c_str(), cdb_path.c_str()) != 0) {
        std::fprintf(stderr, "tcprules: fatal: unable to move %s to %s: %s\n", tmp_path.c_str(),
                     cdb_path.c_str(), std::strerror(errno));
        return 111;
    }
    if (auto ok = qm::fsync_dir(qm::dirname_of(cdb_path)); !ok) {
        std::fprintf(stderr, "tcprules: fatal: %s\n", ok.error().text.c_str());
        return 111;
    }
    return 0;
}
