// The per-recipient flow of local delivery: address → account → message → delivery as
// that account. qmail-send (normal-user mode) and qmail-lspawn (root mode) both run it.
#include "qm/address.hpp"
#include "qm/fd.hpp"
#include "qm/local/deliver.hpp"

#include <fcntl.h>
#include <unistd.h>

namespace qm::local {

Verdict deliver_recipient(const LocalJob& job) {
    auto parts = address::split(job.recipient);
    if (parts.local.empty())
        return Verdict::success();
    auto who = resolve(parts.local);
    if (!who)
        return Verdict::of(who.error());
    UniqueFd mess(::open(job.message_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!mess)
        return Verdict::temporary("Unable to open message file. (#4.3.0)\n");
    Delivery d{
        mess.get(),           job.sender,      std::move(parts.local), std::move(parts.domain),
        job.default_delivery, std::move(*who), job.journal_id};
    if (::geteuid() == 0)
        return deliver_in_child(d, job.program ? *job.program : local_program());
    return deliver(d);
}

} // namespace qm::local
