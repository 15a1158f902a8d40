#include "qm/send/lspawn.hpp"

#include "qm/local/deliver.hpp"
#include "qm/queue/layout.hpp"
#include "qm/send/spawn_protocol.hpp"
#include "qm/send/store.hpp"

#include <unistd.h>

#include <cerrno>

namespace qm::send::lspawn {

using spawn::number;
using spawn::Reply;
using spawn::Request;

namespace {

Reply deliver(const queue::Layout& q, const Request& r, const std::string& default_delivery,
              const local::LocalProgram& program) {
    auto id = number(r.fields[0]);
    // J: the same with the message's journal id after its number.
    const bool journaled = r.kind == 'J';
    auto journal_id = journaled ? number(r.fields[1]) : std::optional<unsigned long>(0);
    if (!id || !journal_id)
        return {r.num, Verdict::temporary("Bad message number from qmail-send. (#4.3.0)\n")};
    const std::size_t at = journaled ? 2 : 1;
    return {r.num, local::deliver_recipient({q.mess(*id), r.fields[at], r.fields[at + 1],
                                             default_delivery, &program, *journal_id})};
}

Reply clean(const queue::Layout& q, const Request& r) {
    Reply rep{r.num, Verdict::success()};
    auto id = number(r.fields[1]);
    std::vector<std::string> paths;
    if (id && r.fields[0] == "t")
        paths = {q.intd(*id), q.todo(*id)};
    else if (id && r.fields[0] == "m")
        paths = {q.mess(*id)};
    else
        return {r.num, Verdict::permanent("bad clean request")};
    for (const auto& p : paths)
        if (::unlink(p.c_str()) != 0 && errno != ENOENT)
            rep = {r.num, Verdict::temporary("unable to unlink " + p)};
    return rep;
}

} // namespace

Status serve(int in_fd, int out_fd, const std::string& default_delivery) {
    const queue::Layout q = queue::Layout::from_home();
    // qmail-send cannot remove qmailq's leftovers itself in root mode.
    cleanup_stale(q, std::time(nullptr));
    // Once, before the first delivery thread: every delivery runs this qmail-local with
    // this environment, both made from what is ours, never from a request.
    const local::LocalProgram program = local::local_program();
    return spawn::serve(
        in_fd, out_fd,
        {[&](const Request& r) -> std::vector<Reply> {
             if (r.kind != 'D' && r.kind != 'J')
                 return {{r.num, Verdict::permanent("qmail-lspawn delivers locally only.\n")}};
             return {deliver(q, r, default_delivery, program)};
         },
         [&](const Request& r) { return clean(q, r); }});
}

} // namespace qm::send::lspawn
