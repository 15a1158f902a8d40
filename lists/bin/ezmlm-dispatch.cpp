// ezmlm-dispatch [-vV] dir [list]: one .qmail-default for the lists in dir, each in the
// subdirectory named by its local part (ezmlm-dispatch(1)); runs the lines of the list's
// editor, manager, owner, bouncer, confirmer or moderator as qmail-local would.
#include "qm/lists/core/cli.hpp"
#include "qm/lists/core/dispatch.hpp"
#include "qm/lists/core/listdir.hpp"
#include "qm/process.hpp"
#include "qm/queue_client.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace {

constexpr std::string_view synopsis = "[-vV] dir [list]";

constexpr std::string_view help =
    "usage: ezmlm-dispatch [-vV] dir [list]\n"
    "In a .qmail-default (|ezmlm-dispatch /lists): the list is the subdirectory of dir\n"
    "named by $DEFAULT (all of it, else its part before a '-', tried from the right, as\n"
    "ezmlm-idx 7 does), or list when given; then its control file runs:\n"
    "  list -> editor; list-owner, list-digest-owner -> owner;\n"
    "  list-digest-return-* -> digest/bouncer; list-return-* -> bouncer;\n"
    "  list-confirm-*, list-discard-* -> confirmer; list-accept-*, list-reject-* ->\n"
    "  moderator; any other list-* -> manager\n"
    "with $DEFAULT as that file would see it behind its own .qmail link. Each line: |cmd\n"
    "runs under /bin/sh with the message on stdin, an address (or &address) gets the\n"
    "message forwarded ($DTLINE first); a file or maildir line is refused. The first\n"
    "command that exits other than 0 ends it with its code (99 stops, as in qmail).\n"
    "An address with a '/' is refused.\n"
    "  -v, -V  the version\n"
    "Exit: the first non-zero exit code of a command, else 0; 100 no such list, bad\n"
    "usage or SENDER not set; 111 temporary trouble.\n";

bool is_dir(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool is_file(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// Runs the control file's lines; returns the exit code.
int run_control_file(const std::string& path, const std::string& sender) {
    namespace cli = qm::lists::cli;
    auto text =
        qm::lists::read_file(path.substr(0, path.rfind('/')), path.substr(path.rfind('/') + 1));
    if (!text || !*text)
        return cli::fatal("ezmlm-dispatch", qm::temp("4.3.0", "unable to read " + path));
    size_t forwards = 0, programs = 0;
    int code = 0;
    std::string_view rest = **text;
    while (!rest.empty() && code == 0) {
        auto nl = rest.find('\n');
        std::string_view line = rest.substr(0, nl);
        rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
        while (!line.empty() && (line.front() == ' ' || line.front() == '\t'))
            line.remove_prefix(1);
        if (line.empty() || line.front() == '#')
            continue; // qmail-local skips empty lines too
        if (::lseek(0, 0, SEEK_SET) != 0)
            return cli::fatal("ezmlm-dispatch",
                              qm::temp("4.3.0", "unable to seek the message: it must be a file"));
        if (line.front() == '|') {
            qm::Spawn s;
            s.argv = {"/bin/sh", "-c", std::string(line.substr(1))};
            s.fds = {{0, 0}, {1, 1}, {2, 2}};
            auto pid = qm::spawn(s);
            if (!pid)
                return cli::fatal("ezmlm-dispatch", qm::unable_to_run("/bin/sh", pid.error()));
            auto status = qm::wait_for(*pid);
            if (!status)
                return cli::fatal("ezmlm-dispatch", status.error());
            ++programs;
            code = qm::exit_code_of(*status).value_or(111); // a crash: try again later
            continue;
        }
        if (line.front() == '/' || line.front() == '.')
            return cli::fatal("ezmlm-dispatch",
                              qm::perm("5.3.5", path + ": Delivery to files is not supported."));
        if (line.front() == '&')
            line.remove_prefix(1);
        auto message = cli::read_message();
        if (!message)
            return cli::fatal("ezmlm-dispatch", message.error());
        const char* dtline = std::getenv("DTLINE");
        auto queued = qm::queue_message((dtline ? std::string(dtline) : "") + *message,
                                        qm::Envelope{sender, {std::string(line)}});
        if (!queued)
            return cli::fatal("ezmlm-dispatch", queued.error());
        std::fprintf(stderr, "qp %ld\n", static_cast<long>(queued->qp));
        ++forwards;
    }
    std::fprintf(stderr, "did 0+%zu+%zu\n", forwards, programs);
    return code;
}

} // namespace

int main(int argc, char** argv) {
    namespace cli = qm::lists::cli;
    return cli::run("ezmlm-dispatch", argc, argv, help, [](qm::program::Words args) {
        bool asked_version = false;
        qm::program::Options options(qm::program::Order::options_first);
        cli::declare_version(options, asked_version);
        auto words = options.parse(args);
        if (!words)
            return cli::usage("ezmlm-dispatch", synopsis, words.error());
        if (asked_version)
            return cli::version();
        if (words->empty() || words->size() > 2)
            return cli::usage("ezmlm-dispatch", synopsis);
        const std::string base = words->front();
        auto sender = cli::sender();
        if (!sender)
            return cli::fatal("ezmlm-dispatch", qm::perm("5.3.5", "SENDER not set"));
        const char* def = std::getenv("DEFAULT");
        auto file_exists = [&](const std::string& rel) { return is_file(base + "/" + rel); };
        std::optional<qm::lists::DispatchTarget> target;
        if (words->size() == 2) {
            if (!is_dir(base + "/" + (*words)[1]))
                return cli::fatal("ezmlm-dispatch", qm::perm("5.1.1", "Not a directory: " + base +
                                                                          "/" + (*words)[1]));
            target = qm::lists::dispatch_within((*words)[1], def ? def : "", file_exists);
        } else {
            if (!def || !*def)
                return cli::fatal("ezmlm-dispatch", qm::perm("5.3.5", "DEFAULT not set"));
            if (std::string_view(def).find('/') != std::string_view::npos)
                return cli::fatal("ezmlm-dispatch",
                                  qm::perm("5.1.1", "Recipient address may not contain '/'"));
            target = qm::lists::dispatch(
                def, [&](const std::string& list) { return is_dir(base + "/" + list); },
                file_exists);
            if (!target)
                return cli::fatal("ezmlm-dispatch",
                                  qm::perm("5.1.1", std::string("Could not match recipient name "
                                                                "to any list: ") +
                                                        def));
        }
        if (target->value)
            ::setenv("DEFAULT", target->value->c_str(), 1);
        else
            ::unsetenv("DEFAULT");
        return run_control_file(base + "/" + target->list + "/" + target->control_file, *sender);
    });
}
