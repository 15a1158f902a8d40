// qmail-send [--lspawn-fd N] [--rspawn-fd N] [aliasempty]: the queue manager. Normally
// started by qmail-start (which passes both descriptors in root mode).
#include "qm/log.hpp"
#include "qm/program.hpp"
#include "qm/send/scheduler.hpp"

#include <charconv>
#include <cstdio>
#include <functional>
#include <new>
#include <stdexcept>
#include <string_view>

namespace {

constexpr std::string_view help =
    "usage: qmail-send [--lspawn-fd N] [--rspawn-fd N] [--journald-pid P] [aliasempty]\n"
    "Delivers the messages in $QMAILHOME/queue (default /var/qmail/queue).\n"
    "aliasempty is the default delivery for addresses without a .qmail file\n"
    "(default ./Mailbox; e.g. ./Maildir/). Usually started by qmail-start.\n"
    "--lspawn-fd N: root mode; local deliveries go to qmail-lspawn over\n"
    "socket fd N. --rspawn-fd N: remote deliveries go to qmail-rspawn over\n"
    "socket fd N (without it they run in this process). --journald-pid P:\n"
    "qmail-journald is child P; when it exits, qmail-send finishes its\n"
    "deliveries and exits too (111).\n"
    "Activity log on stderr. Signals: TERM (or INT) finish deliveries and\n"
    "exit, ALRM retry everything now, HUP reread control/locals and\n"
    "control/virtualdomains.\n";

// A descriptor number for --lspawn-fd and --rspawn-fd (and a pid for --journald-pid).
std::function<bool(const std::string&)> descriptor(int& fd) {
    return [&fd](const std::string& v) {
        auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), fd);
        return ec == std::errc() && p == v.data() + v.size() && fd >= 0;
    };
}

} // namespace

int main(int argc, char** argv) {
    if (qm::program::help_requested({"qmail-send", help}, argc, argv))
        return 0;
    std::string aliasempty = "./Mailbox";
    int lspawn_fd = -1;
    int rspawn_fd = -1;
    int journald_pid = 0;
    qm::program::Options options(qm::program::Order::anywhere);
    options.argument("lspawn-fd", descriptor(lspawn_fd), "a descriptor")
        .argument("rspawn-fd", descriptor(rspawn_fd), "a descriptor")
        .argument("journald-pid", descriptor(journald_pid), "a process id");
    auto operands = options.parse(qm::program::words(argc, argv));
    if (!operands) {
        qm::log::alert("cannot start: " + operands.error().text);
        return 100;
    }
    if (!operands->empty())
        aliasempty = operands->back();
    try {
        auto settings = qm::send::load_settings(aliasempty);
        if (!settings) {
            qm::log::alert("cannot start: " + settings.error().text);
            return qm::exit_code(settings.error());
        }
        settings->lspawn_fd = lspawn_fd;
        settings->rspawn_fd = rspawn_fd;
        settings->journald_pid = static_cast<pid_t>(journald_pid);
        if (auto s = qm::send::run(std::move(*settings)); !s) {
            qm::log::alert(s.error().text); // "cannot start: ..." or lspawn lost
            return qm::exit_code(s.error());
        }
        return 0;
    } catch (const std::bad_alloc&) {
        qm::log::alert("out of memory");
        return 111;
    } catch (const std::exception& e) {
        qm::log::alert(std::string("internal error: ") + e.what());
        return 111;
    }
}
