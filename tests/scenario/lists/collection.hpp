// Reads a digest or an archive retrieval the way a mail reader does, with mimetic (an
// independent MIME parser): the top-level type, the text part, and one entry per
// message part with its number (from the part's file name list_N.eml), subject and body.
// read_rfc1153 splits a plain-text RFC 1153 digest (format r) the way an undigestifier
// does, on its separator lines.
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

// An RFC 1153 digest taken apart: the preamble before the line of 70 hyphens, each
// enclosed message's header fields and body (RFC 934 stuffing undone), the trailer.
struct Rfc1153Message {
    std::vector<std::string> fields; // "Name: value" lines as enclosed
    std::string body;
    [[nodiscard]] std::string field(const std::string& prefix) const {
        for (const auto& f : fields)
            if (f.starts_with(prefix + ": "))
                return f.substr(prefix.size() + 2);
        return {};
    }
};
struct Rfc1153Digest {
    std::string type;     // the message's Content-Type value, as mimetic reads it
    std::string charset;  // its charset parameter
    std::string preamble; // before the 70 hyphens
    std::vector<Rfc1153Message> messages;
    std::string trailer; // after the last separator
};

inline Rfc1153Digest read_rfc1153(const std::string& message) {
    std::istringstream in(message);
    mimetic::MimeEntity me(in);
    Rfc1153Digest d;
    const auto& ct = me.header().contentType();
    d.type = std::string(ct.type().c_str()) + "/" + ct.subtype().c_str();
    d.charset = ct.param("charset");
    const std::string body = me.body();
    const std::string rule = "\n" + std::string(70, '-') + "\n\n";
    const size_t end_of_preamble = body.find(rule);
    REQUIRE(end_of_preamble != std::string::npos);
    d.preamble = body.substr(0, end_of_preamble + 1);
    const std::string separator = "\n\n" + std::string(30, '-') + "\n\n";
    size_t at = end_of_preamble + rule.size();
    while (true) {
        const size_t next = body.find(separator, at);
        if (next == std::string::npos)
            break;
        std::string text = body.substr(at, next - at + 1);
        at = next + separator.size();
        Rfc1153Message m;
        std::istringstream lines(text);
        std::string line;
        bool in_header = true;
        while (std::getline(lines, line)) {
            if (in_header) {
                if (line.empty())
                    in_header = false;
                else if ((line[0] == ' ' || line[0] == '\t') && !m.fields.empty())
                    m.fields.back() += "\n" + line;
                else
                    m.fields.push_back(line);
                continue;
            }
            if (line.starts_with("- ")) // RFC 934 stuffing
                line.erase(0, 2);
            m.body += line + "\n";
        }
        d.messages.push_back(std::move(m));
    }
    d.trailer = body.substr(at);
    return d;
}

} // namespace liststest
