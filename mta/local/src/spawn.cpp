// qmail-lspawn's per-recipient flow: address → account → delivery as that account.
#include "qm/local/deliver.hpp"

#include <unistd.h>

namespace qm::local {

Report deliver_recipient(const LocalJob& job) {
    const size_t at = job.recipient.rfind('@');
    const std::string local = job.recipient.substr(0, at);
    const std::string domain = at == std::string::npos ? "" : job.recipient.substr(at + 1);
    // "<>" or "@domain": nothing to deliver, and nothing to bounce (qmail-lspawn).
    if (local.empty())
        return Report{Report::Kind::success, ""};

    auto who = resolve(local);
    if (!who)
        return Report{who.error().permanent() ? Report::Kind::permanent : Report::Kind::temporary,
                      who.error().text + "\n"};
    Delivery d;
    d.message_fd = job.message_fd;
    d.sender = job.sender;
    d.local = local;
    d.domain = domain;
    d.default_delivery = job.default_delivery;
    d.who = std::move(*who);
    if (::geteuid() == 0)
        return deliver_in_child(d, job.program ? *job.program : local_program());
    return deliver(d);
}

} // namespace qm::local
