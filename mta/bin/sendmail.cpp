// sendmail: the compatibility wrapper for programs that expect Sendmail; becomes
// qmail-inject, qmail-qread (-bp, mailq) or qmail-smtpd (-bs) as qmail's sendmail does.
#include "inject_main.hpp"
#include "qm/inject/wrappers.hpp"

#include <cstdlib>
#include <string>

namespace {

const std::string help =
    "usage: sendmail " + std::string(qm::inject::sendmail_synopsis) + "\n" +
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

} // namespace

int main(int argc, char** argv) {
    // sendmail_plan reads the flags by hand (wrappers.cpp says why).
    const std::string name = basename_of(argc > 0 ? argv[0] : nullptr);
    return qm::program::run(
        qm::inject::front_end("sendmail", help), argc, argv, [&](qm::program::Words args) {
            auto plan = qm::inject::sendmail_plan(name, args, std::getenv("PROTO") != nullptr);
            if (!plan && plan.error().text.starts_with("usage"))
                return qm::program::usage("sendmail", qm::inject::sendmail_synopsis);
            if (!plan)
                return qm::program::fatal("sendmail", plan.error());
            return qm::inject::hand_over("sendmail", *plan);
        });
}
