#include "qm/tools/queue_report.hpp"

#include <catch2/catch.hpp>

TEST_CASE("qmail-qread lines for a preprocessed message", "[tools][qread]") {
    qm::tools::QueuedMessage m;
    m.id = 12345;
    m.birth = 812090814; // 1995-09-26 04:46:54 GMT
    m.size = 678;
    m.sender = "joe@a.example";
    m.recipients = {{false, false, "bob@test.example"},
                    {true, true, "ann@b.example"},
                    {false, true, "cy@c.example"}};
    CHECK(qm::tools::format_qread(m) == "26 Sep 1995 04:46:54 GMT  #12345  678  <joe@a.example> \n"
                                        "\tlocal\tbob@test.example\n"
                                        "  done\tremote\tann@b.example\n"
                                        "\tremote\tcy@c.example\n");
}

TEST_CASE("qmail-qread marks bounces and hides control characters", "[tools][qread]") {
    qm::tools::QueuedMessage m;
    m.id = 7;
    m.birth = 0;
    m.size = 1;
    m.sender = "";
    m.bouncing = true;
    m.recipients = {{false, true, "evil\n@x\x7f"}};
    CHECK(qm::tools::format_qread(m) ==
          "1 Jan 1970 00:00:00 GMT  #7  1  <>  bouncing\n\tremote\tevil_@x_\n");
    m.trouble = "No such file or directory";
    CHECK(qm::tools::format_qread(m) == "warning: trouble with #7: No such file or directory\n");
}

TEST_CASE("qmail-qstat lines", "[tools][qstat]") {
    CHECK(qm::tools::format_qstat({3, 1}) ==
          "messages in queue: 3\nmessages in queue but not yet preprocessed: 1\n");
}
