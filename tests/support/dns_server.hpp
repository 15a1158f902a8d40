// dnsmasq (Debian's dnsmasq-base) on a loopback port, authoritative for *.example: names
// it has no records for are NXDOMAIN. The records are dnsmasq options
// ("--mx-host=...", "--host-record=...", "--txt-record=..."); the test is skipped when
// dnsmasq is not installed. Point programs at it with control/dnsservers or
// QMAIL_DNS_SERVER = address().
#pragma once

#include "support.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace qmtest {

struct DnsServer {
    TempDir dir;
    int port = free_port();
    std::unique_ptr<Daemon> daemon;

    explicit DnsServer(const std::vector<std::string>& records) {
        if (!std::filesystem::exists("/usr/sbin/dnsmasq")) {
            skip("dnsmasq is not installed (script/bootstrap installs dnsmasq-base)");
            return;
        }
        std::vector<std::string> argv{"/usr/sbin/dnsmasq",
                                      "--keep-in-foreground",
                                      "--conf-file=/dev/null",
                                      "--port=" + std::to_string(port),
                                      "--listen-address=127.0.0.1",
                                      "--bind-interfaces",
                                      "--no-resolv",
                                      "--no-hosts",
                                      "--local=/example/",
                                      "--pid-file=" + (dir / "dnsmasq.pid"),
                                      "--log-facility=-",
                                      "--log-queries"};
        argv.insert(argv.end(), records.begin(), records.end());
        daemon = std::make_unique<Daemon>(argv, RunOptions{}, dir / "dnsmasq.log");
        REQUIRE(wait_for([&] { return daemon->log().find("cleared cache") != std::string::npos; }));
    }
    [[nodiscard]] std::string address() const { return "127.0.0.1:" + std::to_string(port); }
};

} // namespace qmtest
