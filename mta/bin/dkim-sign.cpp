// dkim-sign: the DKIM-Signature field for the message on stdin.
#include "qm/dkim/keys.hpp"
#include "qm/dkim/sign.hpp"
#include "qm/dkim/signer.hpp"
#include "qm/fd.hpp"
#include "qm/program.hpp"

#include <unistd.h>

#include <cstdlib>

namespace {

constexpr std::string_view help =
    "usage: dkim-sign DOMAIN SELECTOR KEYFILE < MESSAGE\n"
    "       dkim-sign --serve N\n"
    "Prints the DKIM-Signature field (RFC 6376: relaxed/relaxed; rsa-sha256 or, for an\n"
    "Ed25519 key, ed25519-sha256) that signs MESSAGE as DOMAIN with the private key in\n"
    "KEYFILE, published at SELECTOR._domainkey.DOMAIN; an admin can check a key with it and\n"
    "opendkim-testmsg. --serve N: remote delivery's helper for Ed25519 keys (see\n"
    "dkim-sign(8)): requests on stdin, answers on stdout, at most N, as netstrings.\n"
    "Exit 0; 100 when KEYFILE holds no usable key; 111 when it or the message cannot be\n"
    "read or the signature cannot be made.\n";

} // namespace

int main(int argc, char** argv) {
    return qm::program::run({"dkim-sign", help}, argc, argv, [](qm::program::Words args) {
        if (args.size() == 2 && args[0] == "--serve") {
            const unsigned limit =
                static_cast<unsigned>(std::strtoul(args[1].c_str(), nullptr, 10));
            if (limit == 0)
                return qm::program::usage("dkim-sign", "--serve N (N > 0)");
            return qm::dkim::serve_signing_requests(STDIN_FILENO, STDOUT_FILENO, limit);
        }
        if (args.size() != 3)
            return qm::program::usage("dkim-sign", "DOMAIN SELECTOR KEYFILE < MESSAGE");
        auto key = qm::dkim::load_signing_key(args[0], args[1], args[2]);
        if (!key)
            return qm::program::fatal("dkim-sign", key.error());
        auto message = qm::read_all(STDIN_FILENO);
        if (!message)
            return qm::program::fatal("dkim-sign", "unable to read the message", 111);
        auto field = qm::dkim::signature(*message, *key);
        if (!field)
            return qm::program::fatal("dkim-sign", field.error());
        if (!qm::write_all(STDOUT_FILENO, *field))
            return qm::program::fatal("dkim-sign", "unable to write output", 111);
        return 0;
    });
}
