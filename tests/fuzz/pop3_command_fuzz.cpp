// Fuzzes qmail-pop3d's and qmail-popup's command line parsing. Properties: the verb is one of the
// known ones exactly when the first word, lower-cased, names it; the argument is a suffix of the
// line with no leading space; a message index is always within the count.
#include "fuzz_check.hpp"
#include "qm/pop3/authorization.hpp"
#include "qm/pop3/command.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
    const std::string_view line(reinterpret_cast<const char*>(data), size);
    const auto c = qm::pop3::parse_command(line);
    std::string_view body = line;
    if (body.ends_with('\r'))
        body.remove_suffix(1);
    QM_FUZZ_CHECK(body.ends_with(c.argument));
    QM_FUZZ_CHECK(!c.argument.starts_with(' '));
    std::string first(body.substr(0, std::min(body.find(' '), body.size())));
    std::transform(first.begin(), first.end(), first.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    const bool known = first == "quit" || first == "stat" || first == "list" || first == "uidl" ||
                       first == "dele" || first == "retr" || first == "rset" || first == "last" ||
                       first == "top" || first == "noop" || first == "capa";
    QM_FUZZ_CHECK(known == (c.verb != qm::pop3::Verb::unknown));
    for (size_t count : {size_t{0}, size_t{1}, size_t{7}, size_t{100000}}) {
        const auto i = qm::pop3::message_index(c.argument, count);
        if (i)
            QM_FUZZ_CHECK(*i < count);
    }
    (void)qm::pop3::top_lines(c.argument);
    // qmail-popup: every line gets a reply or a login, never both; a login's
    // checkpassword input is exactly three NUL-terminated fields.
    qm::pop3::Authorization a("<1.2@fuzz.example>");
    (void)a.handle("USER joe");
    const auto step = a.handle(line);
    QM_FUZZ_CHECK(step.reply.empty() == step.login.has_value());
    if (step.login) {
        const auto request = step.login->checkpassword_input(a.timestamp());
        QM_FUZZ_CHECK(request.has_value());
        const std::string& in = *request;
        QM_FUZZ_CHECK(std::count(in.begin(), in.end(), '\0') == 3); // no field holds a NUL
        QM_FUZZ_CHECK(in.ends_with(std::string("<1.2@fuzz.example>") + '\0'));
    }
    return 0;
}
