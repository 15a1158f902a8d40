// Fuzzes the SMTP command line parser and the MAIL/RCPT argument parser, which read
// straight off the network: whatever address they accept must be safe for a queue
// envelope (no NUL, CR, LF) and within qmail-smtpd's length limit.
#include "fuzz_check.hpp"
#include "qm/smtp/command.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
    const std::string_view line(reinterpret_cast<const char*>(data), size);
    const auto cmd = qm::smtp::parse_command(line);
    QM_FUZZ_CHECK(cmd.argument.size() <= line.size());
    for (std::string_view keyword : {"FROM", "TO"}) {
        auto args = qm::smtp::parse_mail_arguments(cmd.argument, keyword);
        if (!args) {
            QM_FUZZ_CHECK(args.error().code == 501 || args.error().code == 555);
            QM_FUZZ_CHECK(args.error().dsn.starts_with("5."));
            continue;
        }
        QM_FUZZ_CHECK(args->address.size() <= qm::smtp::max_smtp_address);
        QM_FUZZ_CHECK(args->address.find_first_of(std::string_view("\0\r\n", 3)) ==
                      std::string::npos);
    }
    return 0;
}
