// newaliases [ -f aliases ] [ -o table.cdb ]: compiles sendmail's aliases file into a
// fastforward table (newaliases(1) of fastforward 0.51).
#include "qm/cdb.hpp"
#include "qm/fd.hpp"
#include "qm/fwd/aliases.hpp"
#include "qm/fwd/cli.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>

namespace {

constexpr std::string_view help =
    "usage: newaliases [ -f aliases ] [ -o table.cdb ]\n"
    "Compiles the sendmail aliases file (default /etc/aliases) into a fastforward\n"
    "table (default: the aliases file name plus .cdb), for\n"
    "  ~alias/.qmail-default:  | fastforward -d /etc/aliases.cdb\n"
    "Syntax: \"name: address, address, ...\"; lines starting with a space or tab continue\n"
    "the previous one; # comments; \"|program args\" (quote it if it has spaces);\n"
    ":include:/path/list (compile the list with newinclude); owner-name sets the\n"
    "envelope sender for name. Unqualified addresses get control/defaulthost,\n"
    "defaultdomain and plusdomain like qmail-inject. File deliveries are refused.\n"
    "The table is replaced atomically; on any error the old table stays and the\n"
    "message names the file and line. Exit 0, 100 on a syntax error, 111 on I/O trouble.\n";

int newaliases(qm::program::Words args) {
    namespace cli = qm::fwd::cli;
    constexpr std::string_view synopsis = "[ -f aliases ] [ -o table.cdb ]";
    // The table is read by fastforward running as other users (alias, list owners):
    // world-readable whatever the caller's umask, as 0.51 makes it.
    ::umask(022);
    std::string source = "/etc/aliases", table;
    qm::program::Options options(qm::program::Order::anywhere);
    options.store('f', source).store('o', table);
    auto operands = options.parse(args);
    if (!operands)
        return cli::usage("newaliases", synopsis, operands.error());
    if (!operands->empty())
        return cli::usage("newaliases", synopsis);
    if (table.empty())
        table = source + ".cdb";
    auto q = qm::fwd::load_qualify();
    if (!q)
        return cli::fatal("newaliases", q.error());
    qm::UniqueFd in(::open(source.c_str(), O_RDONLY | O_CLOEXEC));
    if (!in) {
        int e = errno;
        return cli::fatal(
            "newaliases",
            e == ENOENT ? qm::temp("4.3.0", "unable to read " + source + ": file does not exist")
                        : qm::from_errno(e, "unable to read " + source));
    }
    auto writer = qm::cdb::Writer::create(table, 0644);
    if (!writer)
        return cli::fatal("newaliases", writer.error());
    auto built = qm::fwd::compile_aliases_fd(
        in.get(), source, *q,
        [&](std::string_view k, std::string_view d) { return writer->add(k, d); });
    if (!built)
        return cli::fatal("newaliases", built.error());
    if (auto c = writer->commit(); !c)
        return cli::fatal("newaliases", c.error());
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    return qm::program::run({"newaliases", help}, argc, argv, newaliases);
}
