#include "qm/send/pass_plan.hpp"

#include "qm/address.hpp"
#include "qm/send/bounce.hpp"
#include "qm/send/records.hpp"

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <functional>
#include <limits>
#include <new>

namespace qm::send {

namespace {

// What makes two recipients share an attempt: the domain (case-insensitive) and the
// envelope sender the attempt carries, which differs per recipient with VERP.
std::string group_key(std::string_view sender, std::string_view rcpt) {
    return address::lowercase(address::split(rcpt).domain) + '\0' + verp_expand(sender, rcpt);
}

// Memory straight from the kernel and back to it when freed, for what lives only while a
// plan is made (the file's bytes, the table of open attempts): malloc kept such freed
// pages in qmail-send's RSS (the table alone left about 40 bytes per recipient behind after
// a 100,000-recipient VERP pass was made, five times what the plan holds).
template <class T>
struct PageAllocator {
    using value_type = T;
    PageAllocator() = default;
    template <class U>
    explicit PageAllocator(const PageAllocator<U>& /*other*/) {}
    T* allocate(size_t n) {
        if (n == 0)
            return nullptr;
        void* p = ::mmap(nullptr, n * sizeof(T), PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            throw std::bad_alloc();
        return static_cast<T*>(p);
    }
    void deallocate(T* p, size_t n) {
        if (p != nullptr)
            ::munmap(p, n * sizeof(T));
    }
    bool operator==(const PageAllocator& /*other*/) const { return true; }
};

// The attempt still open for each key while the plan is made, in an open-addressing table
// that is gone once the plan is: 8 bytes per slot of the table, the key itself recomputed
// from the attempt's last recipient when hashes agree instead of kept as a string.
class OpenGroups {
public:
    struct Entry {
        std::uint32_t hash = 0;
        std::uint32_t tail = empty; // the attempt's last recipient so far
    };
    static constexpr std::uint32_t empty = std::numeric_limits<std::uint32_t>::max();

    // The entry for key (hash h), or a fresh one with tail == empty to fill in. same_key(t)
    // says whether the recipient at slot t has this key.
    template <class SameKey>
    Entry& find(std::uint32_t h, SameKey&& same_key) {
        if (2 * (used_ + 1) > table_.size())
            grow();
        const size_t mask = table_.size() - 1;
        for (size_t i = h & mask;; i = (i + 1) & mask) {
            Entry& e = table_[i];
            if (e.tail == empty) {
                e.hash = h;
                ++used_;
                return e;
            }
            if (e.hash == h && same_key(e.tail))
                return e;
        }
    }
    template <class F>
    void for_each_tail(F&& f) const {
        for (const Entry& e : table_)
            if (e.tail != empty)
                f(e.tail);
    }

private:
    void grow() {
        std::vector<Entry, PageAllocator<Entry>> old(table_.empty() ? 512 : 2 * table_.size());
        old.swap(table_);
        const size_t mask = table_.size() - 1;
        for (const Entry& e : old) {
            if (e.tail == empty)
                continue;
            size_t i = e.hash & mask;
            while (table_[i].tail != empty)
                i = (i + 1) & mask;
            table_[i] = e;
        }
    }

    std::vector<Entry, PageAllocator<Entry>> table_;
    size_t used_ = 0;
};

} // namespace

Result<PassPlan> PassPlan::make(UniqueFd fd, std::string_view sender, size_t max_recipients) {
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0)
        return fail(from_errno(errno, "fstat"));
    const auto size = static_cast<size_t>(st.st_size);
    if (size > std::numeric_limits<std::uint32_t>::max())
        return fail(temp("4.3.0", "a channel file of " + std::to_string(size) +
                                      " bytes is too large for one pass"));
    std::vector<char, PageAllocator<char>> bytes(size);
    size_t got = 0;
    while (got < size) {
        const ssize_t n =
            ::pread(fd.get(), bytes.data() + got, size - got, static_cast<off_t>(got));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return fail(from_errno(errno, "read"));
        if (n == 0)
            break; // shorter than it was a moment ago: what is there is the file
        got += static_cast<size_t>(n);
    }
    const std::string_view all(bytes.data(), got);

    PassPlan plan;
    plan.fd_ = std::move(fd);
    size_t todo = 0;
    for_each_channel_record(all, [&](size_t, bool done, std::string_view) { todo += !done; });
    plan.slots_.reserve(todo); // exactly: no growth slack on a 100,000-recipient pass
    for_each_channel_record(all, [&](size_t offset, bool done, std::string_view) {
        if (!done)
            plan.slots_.push_back({static_cast<std::uint32_t>(offset), first_bit | no_next});
    });
    if (max_recipients <= 1)
        return plan;

    auto address = [&](std::uint32_t i) {
        const size_t start = plan.slots_[i].offset + 1;
        return all.substr(start, all.find('\0', start) - start);
    };
    // While the plan is made, an open attempt's last recipient holds the attempt's size in
    // its link, where the next recipient's index goes once there is one.
    OpenGroups open;
    const auto n = static_cast<std::uint32_t>(plan.slots_.size());
    for (std::uint32_t i = 0; i < n; ++i) {
        const std::string key = group_key(sender, address(i));
        const auto h = static_cast<std::uint32_t>(std::hash<std::string>{}(key));
        auto& e =
            open.find(h, [&](std::uint32_t t) { return group_key(sender, address(t)) == key; });
        if (e.tail == OpenGroups::empty) {
            plan.slots_[i].link = first_bit | 1;
        } else {
            std::uint32_t& tail = plan.slots_[e.tail].link;
            const std::uint32_t size_so_far = tail & ~first_bit;
            if (size_so_far < max_recipients) { // joins the key's open attempt
                tail = (tail & first_bit) | i;
                plan.slots_[i].link = size_so_far + 1;
            } else { // starts the key's next one
                tail = (tail & first_bit) | no_next;
                plan.slots_[i].link = first_bit | 1;
            }
        }
        e.tail = i;
    }
    open.for_each_tail([&](std::uint32_t t) {
        plan.slots_[t].link = (plan.slots_[t].link & first_bit) | no_next;
    });
    return plan;
}

std::vector<std::uint32_t> PassPlan::next_group() {
    std::vector<std::uint32_t> group;
    while (cursor_ < slots_.size() && (slots_[cursor_].link & first_bit) == 0)
        ++cursor_;
    if (cursor_ == slots_.size())
        return group;
    for (auto i = static_cast<std::uint32_t>(cursor_); i != no_next;
         i = slots_[i].link & ~first_bit)
        group.push_back(i);
    ++cursor_;
    handed_out_ += group.size();
    return group;
}

Result<std::string> PassPlan::address(std::uint32_t i) {
    const off_t at = static_cast<off_t>(slots_[i].offset) + 1;
    auto read_at = [&](char* buf, size_t len, off_t where) -> Result<size_t> {
        for (;;) {
            const ssize_t n = ::pread(fd_.get(), buf, len, where);
            if (n >= 0)
                return static_cast<size_t>(n);
            if (errno != EINTR)
                return fail(from_errno(errno, "read"));
        }
    };
    const auto in_window = [&] {
        return at >= window_at_ && at < window_at_ + static_cast<off_t>(window_len_);
    };
    if (!window_)
        window_ = std::make_unique<char[]>(window_size);
    const char* nul = nullptr;
    if (in_window())
        nul = static_cast<const char*>(
            std::memchr(window_.get() + (at - window_at_), '\0',
                        window_len_ - static_cast<size_t>(at - window_at_)));
    if (nul == nullptr) { // the window moves on to start at this address
        auto n = read_at(window_.get(), window_size, at);
        if (!n)
            return fail(n.error());
        window_at_ = at;
        window_len_ = *n;
        nul = static_cast<const char*>(std::memchr(window_.get(), '\0', window_len_));
    }
    const char* begin = window_.get() + (at - window_at_);
    if (nul != nullptr)
        return std::string(begin, static_cast<size_t>(nul - begin));
    // Longer than the window: the rest read as it comes.
    std::string out(begin, window_len_ - static_cast<size_t>(at - window_at_));
    for (;;) {
        std::array<char, 4096> buf{};
        auto n = read_at(buf.data(), buf.size(), at + static_cast<off_t>(out.size()));
        if (!n)
            return fail(n.error());
        if (*n == 0)
            return fail(temp("4.3.0", "the channel file changed under qmail-send"));
        const std::string_view got(buf.data(), *n);
        const size_t end = got.find('\0');
        out += got.substr(0, end);
        if (end != std::string_view::npos)
            return out;
    }
}

size_t PassPlan::memory_bytes() const {
    return sizeof(*this) + slots_.capacity() * sizeof(Slot) + (window_ ? window_size : 0);
}

} // namespace qm::send
