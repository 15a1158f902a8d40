// dkimpy (Debian's python3-dkim) as the independent ARC verifier: a small script, written
// into the test's directory, runs dkim.arc_verify and dkim.verify on a message with a
// dnsfunc that answers from the records the test gives, so no DNS server is needed.
#pragma once

#include "support.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace qmtest {

inline bool have_dkimpy() {
    return run({"/usr/bin/python3", "-c", "import dkim"}).exit_code == 0;
}

struct DkimpyVerdict {
    std::string cv;                // arc_verify's chain result: "pass", "fail", "none", or "ended"
                                   // when a seal said cv=fail ("the chain is terminated")
    std::string reason;            // its words
    std::vector<std::string> sets; // per set, newest first: "i=2 ams=1 as=1 cv=pass"
    std::string dkim;              // dkim.verify on the topmost DKIM-Signature: pass/fail
    std::string log;               // the script's whole output, for INFO
};

// records: "selector._domainkey.domain" -> TXT text.
inline DkimpyVerdict dkimpy_verify(const TempDir& dir,
                                   const std::map<std::string, std::string>& records,
                                   const std::string& message) {
    spit(dir / "arc_verify.py",
         "import sys, dkim\n"
         "records = {}\n"
         "for line in open(sys.argv[1], 'rb').read().split(b'\\n'):\n"
         "    if line:\n"
         "        name, txt = line.split(b' ', 1)\n"
         "        records[name.lower()] = txt\n"
         "def dnsfunc(name, timeout=5):\n"
         "    return records.get(name.lower().rstrip(b'.'))\n"
         "# On the wire: CRLF line ends.\n"
         "message = open(sys.argv[2], 'rb').read().replace(b'\\r\\n', b'\\n')\n"
         "message = message.replace(b'\\n', b'\\r\\n')\n"
         "cv, results, reason = dkim.arc_verify(message, dnsfunc=dnsfunc)\n"
         "print((cv or b'ended').decode(), reason)\n"
         "for r in results:\n"
         "    print('i=%d ams=%d as=%d cv=%s' % (r['instance'], r['ams-valid'], r['as-valid'],\n"
         "          r['cv'].decode()))\n"
         "print('dkim', 'pass' if dkim.verify(message, dnsfunc=dnsfunc) else 'fail')\n");
    std::string table;
    for (const auto& [name, txt] : records)
        table += name + " " + txt + "\n";
    spit(dir / "records", table);
    spit(dir / "message", message);
    auto r = run({"/usr/bin/python3", dir / "arc_verify.py", dir / "records", dir / "message"});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    DkimpyVerdict v;
    v.log = r.out + r.err;
    std::istringstream lines(r.out);
    std::string line;
    std::getline(lines, line);
    const size_t space = line.find(' ');
    v.cv = line.substr(0, space);
    v.reason = space == std::string::npos ? "" : line.substr(space + 1);
    while (std::getline(lines, line)) {
        if (line.starts_with("dkim "))
            v.dkim = line.substr(5);
        else
            v.sets.push_back(line);
    }
    return v;
}

} // namespace qmtest
