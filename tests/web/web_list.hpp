// Test helpers for the web index: a list directory with just what the indexer reads
// (outlocal, the archived flag, lock, num, archive/N/NN), synthetic posts in threads, and
// a dump of everything the index says about them, to compare two indexes.
#pragma once

#include "qm/lists/core/listdir.hpp"
#include "qm/lists/core/mime.hpp"
#include "qm/web/index/index.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <filesystem>
#include <string>

namespace webtest {

struct ListDir {
    qmtest::TempDir tmp;
    std::string dir = tmp / "list";

    ListDir() {
        std::filesystem::create_directories(dir + "/archive");
        for (auto [name, text] : {std::pair<const char*, const char*>{"outlocal", "team\n"},
                                  {"outhost", "lists.example\n"},
                                  {"archived", ""},
                                  {"lock", ""},
                                  {"num", "0:0\n"}})
            qmtest::spit(dir + "/" + name, text);
    }
    // archive/N/NN with mode (0744: completely archived, as ezmlm-send leaves it).
    void put(unsigned long n, const std::string& text, unsigned mode = 0744) const {
        const std::string path = qm::lists::archive_path(dir, n);
        std::filesystem::create_directories(std::filesystem::path(path).parent_path());
        qmtest::spit(path, text, mode);
        ::chmod(path.c_str(), mode);
    }
    void num(unsigned long n) const { qmtest::spit(dir + "/num", std::to_string(n) + ":0\n"); }
};

// Post n of a synthetic list: threads of five (a root, then replies to the root or to
// the previous reply), replies before their parents now and then, Latin-1 bodies in
// base64 in every seventh post, an attachment in every eleventh.
inline std::string post(unsigned long n) {
    const unsigned long root = n - (n - 1) % 5;
    const bool reply = n != root;
    std::string m = "From: Poster " + std::to_string(n % 13) + " <p" + std::to_string(n % 13) +
                    "@example.org>\n";
    m += "Subject: " + std::string(reply ? "Re: " : "") + "topic " + std::to_string(root) + "\n";
    m += "Date: " + std::to_string(n % 28 + 1) + " Mar 2026 10:00:" + std::to_string(10 + n % 50) +
         " +0000\n";
    m += "Message-ID: <" + std::to_string(n) + "@example.org>\n";
    if (reply) {
        const unsigned long parent = n % 2 == 0 ? root : n - 1;
        m += "In-Reply-To: <" + std::to_string(parent) + "@example.org>\n";
        m += "References: <" + std::to_string(root) + "@example.org> <" + std::to_string(parent) +
             "@example.org>\n";
    }
    std::string words =
        "word" + std::to_string(n) + " common text about thread " + std::to_string(root) + "\n";
    for (int i = 0; i < 20; ++i)
        words += "quoted line " + std::to_string(i) + " of a reply that says little\n";
    if (n % 11 == 0) {
        m += "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b\"\n\n--b\n"
             "Content-Type: text/plain\n\n" +
             words +
             "--b\nContent-Type: application/octet-stream; name=data.bin\n"
             "Content-Transfer-Encoding: base64\n\n" +
             qm::lists::encode_base64(std::string(600, 'z')) + "--b--\n";
    } else if (n % 7 == 0) {
        m += "MIME-Version: 1.0\nContent-Type: text/plain; charset=iso-8859-1\n"
             "Content-Transfer-Encoding: base64\n\n" +
             qm::lists::encode_base64("K\xf6ln " + words);
    } else {
        m += "\n" + words;
    }
    return m;
}

// The archive holds posts 1..n, num says n. The replies of every third thread arrive
// before their root (as when the root waited for a moderator).
inline void fill(const ListDir& l, unsigned long n) {
    for (unsigned long i = 1; i <= n; ++i) {
        unsigned long source = i;
        const unsigned long root = i - (i - 1) % 5;
        if ((root / 5) % 3 == 1 && root + 4 <= n)
            source = i == root + 4 ? root : i + 1; // the root comes last of its five
        l.put(i, post(source));
    }
    l.num(n);
}

// Everything the index holds about messages 1..n and their threads, as text.
inline std::string dump(const std::string& list_dir, unsigned long n) {
    auto index = qm::web::Index::open(qm::web::index_path(list_dir));
    REQUIRE(index);
    std::string out;
    auto last = index->last_indexed();
    REQUIRE(last);
    out += "last " + std::to_string(*last) + "\n";
    for (unsigned long i = 1; i <= n; ++i) {
        auto m = index->message(i);
        REQUIRE(m);
        if (!*m) {
            out += std::to_string(i) + " -\n";
            continue;
        }
        const auto& r = **m;
        out += std::to_string(i) + " " + r.message_id + " " + std::to_string(r.date) + " " +
               r.from_name + " <" + r.from_address + "> " + r.subject + " t" +
               std::to_string(r.thread) + " p" + (r.parent ? std::to_string(*r.parent) : "-") +
               " " + std::to_string(r.size) + " a" + std::to_string(r.attachments) + "\n";
        auto t = index->thread(r.thread);
        REQUIRE(t);
        REQUIRE(*t);
        out += "  thread " + std::to_string((*t)->root) + " " + (*t)->subject + " " +
               std::to_string((*t)->messages) + " " + std::to_string((*t)->first_date) + "-" +
               std::to_string((*t)->last_date) + "\n";
    }
    auto c = index->counts();
    REQUIRE(c);
    out += "counts " + std::to_string(c->messages) + " " + std::to_string(c->threads) + " " +
           std::to_string(c->missing) + " " + std::to_string(c->searchable) + " " +
           std::to_string(c->attachments) + "\n";
    return out;
}

} // namespace webtest
