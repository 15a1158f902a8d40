// sendmail: the compatibility wrapper for programs that expect Sendmail; becomes
// qmail-inject, qmail-qread (-bp, mailq) or qmail-smtpd (-bs) as qmail's sendmail does.
#include "inject_main.hpp"
#include "qm/inject/wrappers.hpp"

#include <cstdio>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

namespace {

constexpr const char* help_text =
    "  -t        recipients from the To/Cc/Bcc header as well (qmail-inject -H)\n"
    "  -f sender envelope sender; the From: line uses it too\n"
    "  -F name   full name for the From: line\n"
    "  -bp       list the queue (qmail-qread); also when invoked as mailq\n"
    "  -bs       speak SMTP on stdin/stdout (qmail-smtpd)\n"
    "  -bm       deliver a message from stdin (default)\n"
    "Ignored: -i -oi -od* -oe* -om -v -x -m -e* -B* -p* -E -J.\n"
    "Invoked as newaliases it refuses: use the newaliases program instead.\n";

std::string basename_of(const char* argv0) {
    std::string s = argv0 ? argv0 : "sendmail";
    auto slash = s.rfind('/');
    return slash == std::string::npos ? s : s.substr(slash + 1);
}

int run(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (!args.empty() && args[0] == "--help") {
        std::printf("usage: %s\n%s", std::string(qm::inject::sendmail_usage).c_str(), help_text);
        return 0;
    }
    auto plan =
        qm::inject::sendmail_plan(basename_of(argv[0]), args, std::getenv("PROTO") != nullptr);
    if (!plan) {
        std::fprintf(
            stderr, "sendmail: %s%s\n",
            plan.error().text.starts_with("usage") ? "" : "fatal: ", plan.error().text.c_str());
        return qm::exit_code(plan.error());
    }
    return qm::inject::hand_over("sendmail", *plan);
}

} // namespace

int main(int argc, char** argv) {
    return qm::inject::guarded_main("sendmail", run, argc, argv);
}
