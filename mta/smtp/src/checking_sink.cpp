#include "qm/smtp/checking_sink.hpp"

#include "qm/dns/lookup.hpp"
#include "qm/env.hpp"
#include "qm/fd.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>

namespace qm::smtp {

namespace {

// The message as it arrives: in memory up to spool_memory_limit, then in a temporary
// file nobody can open by name (O_TMPFILE, else one unlinked at once).
class Spool {
public:
    Spool() = default;
    Spool(const Spool&) = delete;
    Spool& operator=(const Spool&) = delete;
    ~Spool() {
        if (map_ != nullptr)
            ::munmap(map_, size_);
        if (fd_ >= 0)
            ::close(fd_);
    }

    void write(std::string_view bytes) {
        if (error_ != 0)
            return;
        if (fd_ < 0 && memory_.size() + bytes.size() <= spool_memory_limit) {
            memory_.append(bytes);
            return;
        }
        if (fd_ < 0 && !spill())
            return;
        if (!write_all(fd_, bytes))
            error_ = errno == 0 ? EIO : errno;
        size_ += bytes.size();
    }

    // Everything written; a full disk is a temporary failure.
    Result<std::string_view> contents() {
        if (error_ != 0)
            return fail(from_errno(error_, "unable to hold the message for its checks"));
        if (fd_ < 0)
            return std::string_view(memory_);
        if (size_ == 0)
            return std::string_view();
        void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd_, 0);
        if (p == MAP_FAILED)
            return fail(from_errno(errno, "unable to read the held message"));
        map_ = p;
        return std::string_view(static_cast<const char*>(p), size_);
    }

private:
    bool spill() {
        const auto dir = qm::env("TMPDIR").value_or("/tmp");
        fd_ = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        if (fd_ < 0) {
            std::string name = dir + "/qmail-smtpd.XXXXXX";
            fd_ = ::mkostemp(name.data(), O_CLOEXEC);
            if (fd_ >= 0)
                ::unlink(name.c_str());
        }
        if (fd_ < 0) {
            error_ = errno;
            return false;
        }
        if (!write_all(fd_, memory_)) {
            error_ = errno == 0 ? EIO : errno;
            return false;
        }
        size_ = memory_.size();
        std::string().swap(memory_);
        return true;
    }

    std::string memory_;
    int fd_ = -1;
    size_t size_ = 0;
    void* map_ = nullptr;
    int error_ = 0;
};

class CheckingSink final : public MessageSink {
public:
    CheckingSink(std::unique_ptr<MessageSink> inner,
                 std::shared_ptr<const mailauth::InboundChecks> checks, mailauth::Arrival arrival)
        : inner_(std::move(inner))
        , checks_(std::move(checks))
        , arrival_(std::move(arrival)) {}

    void write(std::string_view bytes) override { spool_.write(bytes); }

    Result<Queued> finish(const Envelope& env) override {
        auto message = spool_.contents();
        if (!message)
            return fail(message.error());
        auto dns = dns::load_config();
        if (!dns)
            return fail(dns.error());
        const auto outcome = mailauth::check_message(*checks_, arrival_, *message, *dns);
        if (outcome.refusal)
            return fail(*outcome.refusal);
        inner_->write(outcome.field);
        size_t pos = 0;
        for (const auto& [first, last] : outcome.forged) {
            inner_->write(message->substr(pos, first - pos));
            pos = last;
        }
        inner_->write(message->substr(pos));
        return inner_->finish(env);
    }

private:
    std::unique_ptr<MessageSink> inner_;
    std::shared_ptr<const mailauth::InboundChecks> checks_;
    mailauth::Arrival arrival_;
    Spool spool_;
};

} // namespace

std::unique_ptr<MessageSink> checking_sink(std::unique_ptr<MessageSink> inner,
                                           std::shared_ptr<const mailauth::InboundChecks> checks,
                                           mailauth::Arrival arrival) {
    return std::make_unique<CheckingSink>(std::move(inner), std::move(checks), std::move(arrival));
}

} // namespace qm::smtp
