// Test helpers for private archives and one-click unsubscription in process: lists made
// by the list library's make_list (subscriber databases, mod/, key), archived posts of
// web_list.hpp indexed by the real indexer, $QMAILQUEUE a script that keeps every message
// the server queues, and a Site with a LoginStore at a clock the test moves.
#pragma once

#include "qm/lists/core/subscribers.hpp"
#include "qm/lists/manage/make.hpp"
#include "qm/web/index/indexer.hpp"
#include "qm/web/server/session.hpp"
#include "qm/web/server/site.hpp"
#include "web_list.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace webtest {

inline constexpr std::time_t private_clock_start = 1'790'000'000;

// Lists to make: name -> ezmlm-make switches (letter -> on).
using Lists = std::vector<std::pair<std::string, std::map<char, bool>>>;

struct PrivateSite {
    qmtest::TempDir tmp;
    std::string queued = tmp / "queued";
    std::time_t clock = private_clock_start;
    qm::web::server::Config config;
    std::shared_ptr<qm::web::server::LoginStore> logins;
    std::unique_ptr<qm::web::server::Site> site;

    // Lists name -> switches (letter -> on), each in tmp/name as NAME@lists.example with
    // posts 1..posts archived and indexed.
    explicit PrivateSite(const Lists& lists, unsigned long posts = 30, std::string origin = "") {
        std::filesystem::create_directory(queued);
        const std::string script = tmp / "qmail-queue";
        // Named by the time queued, so that names sort as the mails were sent.
        qmtest::spit(script, "#!/bin/sh\nf='" + queued +
                                 "'/m.$(date +%s%N)\ncat > \"$f\" && cat <&1 > \"$f.env\"\n");
        ::chmod(script.c_str(), 0755);
        ::setenv("QMAILQUEUE", script.c_str(), 1);
        for (const auto& [name, switches] : lists) {
            qm::lists::MakeRequest r;
            r.dir = tmp / name;
            r.dot = tmp / (".qmail-" + name);
            r.local = name;
            r.host = "lists.example";
            r.bin_dir = "/nonexistent";
            r.set = switches;
            REQUIRE(qm::lists::make_list(r));
            for (unsigned long i = 1; i <= posts; ++i) {
                const std::string path = qm::lists::archive_path(r.dir, i);
                std::filesystem::create_directories(std::filesystem::path(path).parent_path());
                qmtest::spit(path, webtest::post(i), 0744);
                ::chmod(path.c_str(), 0744);
            }
            qmtest::spit(r.dir + "/num", std::to_string(posts) + ":0\n");
            REQUIRE(qm::web::update_web_index(r.dir));
            config.lists[name] = r.dir;
        }
        config.origin = origin.empty() ? "http://lists.example" : origin;
        auto opened = qm::web::server::LoginStore::open(tmp / "state", [this] { return clock; });
        REQUIRE(opened);
        logins = *opened;
        site = std::make_unique<qm::web::server::Site>(config, logins);
    }
    ~PrivateSite() { ::unsetenv("QMAILQUEUE"); }
    PrivateSite(const PrivateSite&) = delete;
    PrivateSite& operator=(const PrivateSite&) = delete;

    [[nodiscard]] std::string dir(const std::string& list) const { return config.lists.at(list); }
    void subscribe(const std::string& list, const std::string& address,
                   const std::string& db = "") const {
        REQUIRE(qm::lists::subscribe(db.empty() ? dir(list) : dir(list) + "/" + db, address));
    }

    qm::web::server::Response get(const std::string& target, const std::string& cookie = "",
                                  const std::string& method = "GET") const {
        qm::web::server::Request r;
        r.method = method;
        r.target = target;
        r.cookie = cookie;
        return site->handle(r);
    }
    // A form POSTed from this site's pages (the Origin a browser sends), its deferred
    // work (the login mail) run as http.cpp runs it.
    qm::web::server::Response
    post(const std::string& target, const std::string& body, const std::string& cookie = "",
         std::optional<std::string> origin = std::nullopt,
         const std::string& type = "application/x-www-form-urlencoded") const {
        qm::web::server::Request r;
        r.method = "POST";
        r.target = target;
        r.body = body;
        r.content_type = type;
        r.origin = origin ? *origin : config.origin;
        r.cookie = cookie;
        auto out = site->handle(r);
        if (out.deferred)
            out.deferred();
        return out;
    }

    [[nodiscard]] std::vector<std::string> queue_files() const {
        auto names = qmtest::list_dir(queued);
        std::sort(names.begin(), names.end());
        return names;
    }
    // The messages queued so far (header and body), oldest first.
    [[nodiscard]] std::vector<std::string> mails() const {
        std::vector<std::string> v;
        for (const auto& f : queue_files())
            if (!f.ends_with(".env"))
                v.push_back(qmtest::slurp(queued + "/" + f));
        return v;
    }
    // Every login link mailed to address, in the order sent.
    [[nodiscard]] std::vector<std::string> links_for(const std::string& address) const {
        std::vector<std::string> found;
        for (const auto& f : queue_files()) {
            if (f.ends_with(".env"))
                continue;
            const std::string env = qmtest::slurp(queued + "/" + f + ".env");
            if (env.find("T" + address + std::string(1, '\0')) == std::string::npos)
                continue;
            const std::string m = qmtest::slurp(queued + "/" + f);
            const size_t at = m.find(config.origin + "/");
            if (at == std::string::npos)
                continue;
            found.push_back(
                m.substr(at + config.origin.size(), m.find('\n', at) - at - config.origin.size()));
        }
        return found;
    }
};

inline std::string field_of(const qm::web::server::Response& r, const std::string& name) {
    for (const auto& [n, v] : r.fields)
        if (n == name)
            return v;
    return {};
}

inline bool contains(const qm::web::server::Response& r, const std::string& s) {
    return r.body.find(s) != std::string::npos;
}

// "name=value" of a Set-Cookie value, for a Cookie field.
inline std::string cookie_pair(const qm::web::server::Response& r) {
    const std::string c = field_of(r, "Set-Cookie");
    return c.substr(0, c.find(';'));
}

} // namespace webtest
