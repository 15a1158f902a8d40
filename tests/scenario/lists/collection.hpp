// Reads a digest or an archive retrieval the way a mail reader does, with mimetic (an
// independent MIME parser): the top-level type, the text part, and one entry per
// message part with its number (from the part's file name list_N.eml), subject and body.
#pragma once

#include <catch2/catch.hpp>
#include <mimetic/mimetic.h>

#include <sstream>
#include <string>
#include <vector>

namespace liststest {

struct CollectionPart {
    unsigned long number = 0;
    bool missing = false; // a text/plain get-bad part instead of the message
    std::string subject, from, body;
};

struct Collection {
    std::string type; // "multipart/digest"
    std::string text; // the first, text/plain part
    std::vector<CollectionPart> parts;
    [[nodiscard]] std::vector<unsigned long> numbers() const {
        std::vector<unsigned long> out;
        for (const auto& p : parts)
            out.push_back(p.number);
        return out;
    }
};

inline Collection read_collection(const std::string& message) {
    std::istringstream in(message);
    mimetic::MimeEntity me(in);
    Collection c;
    const auto& ct = me.header().contentType();
    c.type = std::string(ct.type().c_str()) + "/" + ct.subtype().c_str();
    bool first = true;
    for (const mimetic::MimeEntity* part : me.body().parts()) {
        const auto& pct = part->header().contentType();
        const std::string type = std::string(pct.type().c_str()) + "/" + pct.subtype().c_str();
        if (first) {
            first = false;
            CHECK(type == "text/plain");
            c.text = part->body();
            continue;
        }
        CollectionPart p;
        const std::string name = part->header().contentDisposition().param("filename");
        auto underscore = name.rfind('_');
        REQUIRE(underscore != std::string::npos);
        p.number = std::stoul(name.substr(underscore + 1));
        if (type == "text/plain") {
            p.missing = true;
            p.body = part->body();
        } else {
            CHECK(type == "message/rfc822");
            REQUIRE(part->body().parts().size() == 1);
            const mimetic::MimeEntity* inner = part->body().parts().front();
            p.subject = inner->header().subject();
            p.from = inner->header().field("From").value();
            p.body = inner->body();
        }
        c.parts.push_back(std::move(p));
    }
    return c;
}

} // namespace liststest
