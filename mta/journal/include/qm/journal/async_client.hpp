// qmail-send's side of qmail-journald (service.hpp), on its event loop: requests go out in
// order and each callback runs on the loop once its record is durable or could not be
// written. The connection is made at the first request and again after it breaks; a
// broken connection fails what was pending with a temporary error (the caller tries
// again later: the marks it sends are idempotent).
#pragma once

#include "qm/journal/segment.hpp"
#include "qm/result.hpp"

#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace qm::journal {

class AsyncClient {
public:
    using Done = std::function<void(Result<std::uint64_t>)>;
    AsyncClient(boost::asio::io_context& io, std::string socket_path);
    ~AsyncClient();
    AsyncClient(const AsyncClient&) = delete;
    AsyncClient& operator=(const AsyncClient&) = delete;

    void submit(RecordType type, std::string payload, Done done);

private:
    struct State;
    std::shared_ptr<State> state_;
};

} // namespace qm::journal
