// qmail-pw2u: passwd on stdin, users/assign on stdout (qmail-pw2u(8)).
#include "qm/fd.hpp"
#include "qm/home.hpp"
#include "qm/local/pw2u.hpp"
#include "qm/program.hpp"

namespace {

constexpr std::string_view help =
    "usage: qmail-pw2u [ -/ohHuUC ] [ -cchar ] < passwd > assign\n"
    "Prints a qmail-users assignment table for the accounts of a V7 passwd file.\n"
    "  -o  skip users whose home is missing or not theirs (default)\n"
    "  -h  stop if a home is missing; skip homes not owned by the user\n"
    "  -H  do not check homes\n"
    "  -U  skip user names with uppercase letters (default)   -u  allow them\n"
    "  -cX use X as the user-extension delimiter   -C  no extensions\n"
    "  -/  use .qmail-/ext instead of .qmail-ext\n"
    "Reads $QMAILHOME/users/{include,exclude,mailnames,subusers,append} if present.\n";

int pw2u(qm::program::Words args) {
    using Home = qm::local::Pw2uOptions::Home;
    qm::local::Pw2uOptions opt;
    qm::program::Options options(qm::program::Order::anywhere);
    options.set('/', opt.slash, true)
        .set('o', opt.home, Home::skip_if_missing)
        .set('h', opt.home, Home::stop_if_missing)
        .set('H', opt.home, Home::ignore)
        .set('u', opt.allow_uppercase, true)
        .set('U', opt.allow_uppercase, false)
        .argument('c',
                  [&](const std::string& c) {
                      opt.conf_break = c.empty() ? '\0' : c[0];
                      return true;
                  })
        .set('C', opt.conf_break, '\0');
    // Words that are not options are ignored, as getopt left them.
    if (auto ignored = options.parse(args); !ignored)
        return qm::program::usage("qmail-pw2u", "[ -/ohHuUC ] [ -cchar ]", ignored.error());
    auto files = qm::local::read_pw2u_files(qm::qmail_home());
    if (!files)
        return qm::program::fatal("qmail-pw2u", files.error().text, 111);
    auto in = qm::read_all(0);
    if (!in)
        return qm::program::fatal("qmail-pw2u", "unable to read input", 111);
    auto out = qm::local::pw2u(*in, opt, *files);
    if (!out)
        return qm::program::fatal("qmail-pw2u", out.error().text, 111);
    if (!qm::write_all(1, *out))
        return qm::program::fatal("qmail-pw2u", "unable to write output", 111);
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    // -h is qmail-pw2u's own flag (stop if a home is missing).
    return qm::program::run({"qmail-pw2u", help, qm::program::ShortHelp::never}, argc, argv, pw2u);
}
