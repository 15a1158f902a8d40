// The archive's pages in process (Site::handle, no socket) over a synthetic list
// (web_list.hpp) indexed by the real indexer, served as "team".
#pragma once

#include "qm/web/index/indexer.hpp"
#include "qm/web/server/site.hpp"
#include "web_list.hpp"

#include <catch2/catch.hpp>

#include <string>

namespace webtest {

struct Fixture {
    ListDir list;
    qm::web::server::Site site;
    explicit Fixture(bool pub = true, unsigned long posts = 150)
        : site(config(pub, posts)) {}
    qm::web::server::Config config(bool pub, unsigned long posts) {
        fill(list, posts);
        if (pub)
            qmtest::spit(list.dir + "/public", "");
        REQUIRE(qm::web::update_web_index(list.dir));
        qm::web::server::Config c;
        c.lists["team"] = list.dir;
        return c;
    }
    [[nodiscard]] qm::web::server::Response get(const std::string& target,
                                                const std::string& etag = "") const {
        return site.handle(qm::web::server::Request{"GET", target, etag});
    }
};

inline bool has(const qm::web::server::Response& r, const std::string& s) {
    return r.body.find(s) != std::string::npos;
}

inline std::string field(const qm::web::server::Response& r, const std::string& name) {
    for (const auto& [n, v] : r.fields)
        if (n == name)
            return v;
    return {};
}

} // namespace webtest
