// The sink that runs control/authcheck's checks (qm/mailauth/inbound.hpp) before the
// message goes on: it holds the message (in memory, and past spool_memory_limit in an
// unnamed temporary file, so a large message costs no memory), and at the end of DATA
// checks it, writes our Authentication-Results field, leaves out the fields forged with
// our authserv-id, and passes the rest to the real sink. A refused message reaches the
// queue not at all.
#pragma once

#include "qm/mailauth/inbound.hpp"
#include "qm/smtp/sink.hpp"

#include <cstddef>
#include <memory>

namespace qm::smtp {

inline constexpr std::size_t spool_memory_limit = 1024 * 1024;

// inner has already received what goes above the field (our Received line).
[[nodiscard]] std::unique_ptr<MessageSink>
checking_sink(std::unique_ptr<MessageSink> inner,
              std::shared_ptr<const mailauth::InboundChecks> checks, mailauth::Arrival arrival);

} // namespace qm::smtp
