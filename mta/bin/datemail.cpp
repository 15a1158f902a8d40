// datemail: sendmail, with a Date: line in local time added to a message that has none
// (qmail's datemail, which is predate + sendmail).
#include "inject_main.hpp"
#include "qm/fd.hpp"
#include "qm/inject/wrappers.hpp"

#include <ctime>
#include <string>

namespace {

constexpr std::string_view help =
    "usage: datemail [ sendmail arguments ]\n"
    "Adds a Date: line in the local time zone unless the message has one, then\n"
    "runs sendmail with the same arguments (see sendmail --help).\n";

} // namespace

int main(int argc, char** argv) {
    // The arguments are sendmail's, passed on unread.
    return qm::program::run(
        qm::inject::front_end("datemail", help), argc, argv, [](qm::program::Words args) {
            auto input = qm::read_all(0);
            if (!input)
                return qm::program::fatal("datemail", "read error: " + input.error().text, 111);
            std::string message = qm::inject::add_date_if_missing(*input, std::time(nullptr));
            qm::inject::ExecPlan plan{"sendmail", {args.begin(), args.end()}, {}, {}};
            return qm::inject::hand_over("datemail", plan, &message);
        });
}
