// The allow-list sanitizer (sanitize.hpp) and the message renderer (render.hpp) on their
// own: what is kept, dropped, unwrapped and bounded, and the MIME shapes (alternatives,
// enclosed messages, attachments) as the pages show them. Every output is also parsed with
// gumbo (html_check.hpp) to check it holds only allow-listed HTML and stays in its place.
#include "html_check.hpp"
#include "qm/web/server/render.hpp"
#include "qm/web/server/sanitize.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <string>

using qm::web::server::render_message;
using qm::web::server::RenderBudget;
using qm::web::server::RenderOptions;
using qm::web::server::safe_href;
using qm::web::server::sanitize_html;

namespace {

std::string clean(std::string_view html) {
    auto s = sanitize_html(html);
    INFO(s.html);
    CHECK(webtest::fragment_problems(s.html).empty());
    return s.html;
}

size_t count(std::string_view s, std::string_view what) {
    size_t n = 0;
    for (size_t p = s.find(what); p != std::string_view::npos; p = s.find(what, p + 1))
        ++n;
    return n;
}

std::string render(const std::string& message, RenderOptions options = {}) {
    RenderBudget budget;
    if (options.attachment_base.empty())
        options.attachment_base = "/team/m@x/";
    auto r = render_message(message, options, budget);
    INFO(r.html);
    CHECK(webtest::fragment_problems(r.html).empty());
    return r.html;
}

} // namespace

TEST_CASE("the sanitizer keeps text structure and drops every attribute of the mail's",
          "[web][render]") {
    CHECK(
        clean("<p class=\"x\" style=\"color:red\" id=\"y\" title=\"t\">a <b>b</b> <i>i</i></p>") ==
        "<p>a <b>b</b> <i>i</i></p>");
    CHECK(clean("<font color=red>t</font><center>c</center>") == "t<div>c</div>");
    CHECK(clean("<table border=1><tr><td>x</td></tr></table>") ==
          "<table><tbody><tr><td>x</td></tr></tbody></table>");
    CHECK(clean("<ul><li>one<li>two</ul>") == "<ul><li>one</li><li>two</li></ul>");
    CHECK(clean("a<br>b<hr>") == "a<br>b<hr>");
    CHECK(clean("<p>1 &lt; 2 &amp; \"q\"</p>") == "<p>1 &lt; 2 &amp; &quot;q&quot;</p>");
}

TEST_CASE("the sanitizer drops scripts styles and embedded things with their content",
          "[web][render]") {
    const std::string out =
        clean("<script>alert(1)</script><style>p{}</style><iframe>f</iframe><svg><text>s</text>"
              "</svg><math><mi>m</mi></math><form><input value=v><button>b</button><select>"
              "<option>o</option></select></form><noscript>ns</noscript><object>o</object>"
              "<template>t</template>kept");
    CHECK(out == "kept");
}

TEST_CASE("images are never loaded: their alt text is shown", "[web][render]") {
    CHECK(clean("<img src=\"http://track.example/p.gif\" alt=\"Logo\" onerror=\"alert(1)\">") ==
          "[image: Logo]");
    CHECK(clean("<img src=x>") == "[image]");
    CHECK(clean("<img alt=\"<script>\">") == "[image: &lt;script&gt;]");
}

TEST_CASE("links keep only http and https whatever the obfuscation", "[web][render]") {
    CHECK(safe_href("https://example.org/a?b=1") == "https://example.org/a?b=1");
    CHECK(safe_href(" HTTP://example.org/") == "HTTP://example.org/");
    for (const char* bad :
         {"javascript:alert(1)", " JavaScript:alert(1)", "java\tscript:alert(1)",
          "java\nscript:alert(1)", "\x01javascript:alert(1)", "data:text/html,<script>",
          "vbscript:msgbox", "mailto:joe@far.example", "//evil.example/", "/team/raw", "relative",
          "http:/'a.example/", "https:x"})
        CHECK(safe_href(bad).empty());
    // What gumbo decodes from character references is checked after decoding.
    CHECK(clean("<a href=\"&#106;avascript:alert(1)\">x</a>") == "x");
    CHECK(clean("<a href=\"java&#x09;script:alert(1)\">x</a>") == "x");
    CHECK(clean("<a href=\"https://e.example/?a=1&amp;b=&quot;\" onclick=\"x\">y</a>") ==
          "<a href=\"https://e.example/?a=1&amp;b=&quot;\" rel=\"nofollow noopener "
          "noreferrer\">y</a>");
    CHECK(clean("<a href=\"http://a.example/\"><a href=\"http://b.example/\">b</a></a>") ==
          "<a href=\"http://a.example/\" rel=\"nofollow noopener noreferrer\"></a><a "
          "href=\"http://b.example/\" rel=\"nofollow noopener noreferrer\">b</a>");
}

TEST_CASE("addresses in HTML text and links are obfuscated", "[web][render]") {
    const std::string out =
        clean("<p>write to joe@far.example</p><a href=\"mailto:joe@far.example\">mail "
              "joe@far.example</a><a href=\"https://x.example/?u=ann@near.example\">u</a>");
    CHECK(out.find("far.example") == std::string::npos);
    CHECK(out.find("near.example") == std::string::npos);
    CHECK(out.find("joe@f…") != std::string::npos);
    CHECK(out.find("mailto") == std::string::npos);
}

TEST_CASE("the sanitizer bounds the parser's work and the output's depth", "[web][render]") {
    std::string deep;
    for (int i = 0; i < 100; ++i)
        deep += "<div>";
    const std::string out = clean(deep + "x");
    CHECK(count(out, "<div>") == 32);
    CHECK(out.find('x') != std::string::npos);
    // gumbo is quadratic in nesting: a megabyte of <div> or of distinct <b> is cut at the
    // tag limit and costs milliseconds, not minutes.
    // Formatting elements left open are cloned into every later paragraph: 500 of them and
    // 500 paragraphs are within the tag limit and cost 250,000 elements (the limit's worst).
    std::string reopened = "<div>";
    for (int i = 0; i < 1000; ++i)
        reopened += "<b a=" + std::to_string(i) + ">";
    reopened += "</div>";
    while (reopened.size() < (1u << 20))
        reopened += "<p>x</p>";
    for (std::string unit : {"<div>", "<b a=1>x", "<table><tr><td>", ""}) {
        std::string bomb = unit.empty() ? reopened : "";
        while (bomb.size() < (1u << 20))
            bomb += unit;
        const auto start = std::chrono::steady_clock::now();
        auto s = sanitize_html(bomb);
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now() - start)
                            .count();
        CHECK(s.truncated);
        CHECK(s.tags == 1000);
        CHECK(ms < 1500);
        CHECK(webtest::fragment_problems(s.html).empty());
    }
}

TEST_CASE("a table's parts are written only where a table holds them", "[web][render]") {
    // caption dropped, tfoot as tbody, no text between rows: nothing is moved out of the
    // table by the page's parser.
    const std::string out = clean("<table><caption>c<div>d</div></caption><tfoot><tr><td>f</td>"
                                  "</tr></tfoot></table>");
    CHECK(out == "<table><tbody><tr><td>f</td></tr></tbody></table>");
}

TEST_CASE("multipart/alternative shows the text/plain part and folds the HTML one",
          "[web][render]") {
    const std::string m = "Content-Type: multipart/mixed; boundary=\"m\"\n\n--m\n"
                          "Content-Type: multipart/alternative; boundary=\"a\"\n\n--a\n"
                          "Content-Type: text/plain\n\nplain words\n> quoted\n--a\n"
                          "Content-Type: text/html\n\n<p>html <b>words</b></p>\n--a--\n--m\n"
                          "Content-Type: application/pdf; name=\"r.pdf\"\n\n%PDF\n--m--\n";
    RenderOptions o;
    o.attachments.push_back({3, "r.pdf", "application/pdf", 5});
    const std::string out = render(m, o);
    const size_t plain = out.find("plain words");
    const size_t folded = out.find("<details><summary>HTML version</summary>");
    const size_t html = out.find("<div class=\"html\"><p>html <b>words</b></p>");
    REQUIRE(plain != std::string::npos);
    REQUIRE(folded != std::string::npos);
    REQUIRE(html != std::string::npos);
    CHECK(plain < folded);
    CHECK(folded < html);
    CHECK(out.find("quoted text (1 line)") != std::string::npos);
    // The attachment after the alternative is the mixed part's, not folded with the HTML
    // (walk_mime's end of each multipart).
    const size_t att = out.find("<a href=\"/team/m@x/3-r.pdf\" download>r.pdf</a>");
    REQUIRE(att != std::string::npos);
    CHECK(out.rfind("</details>", att) != std::string::npos);
    CHECK(out.find("</details>", html) < att);
}

TEST_CASE("an HTML-only message is shown sanitized and charsets are decoded", "[web][render]") {
    const std::string out = render("Content-Type: text/html; charset=iso-8859-1\n\n<p>K\xf6ln "
                                   "<script>x</script></p>\n");
    CHECK(out == "<div class=\"html\"><p>K\xc3\xb6ln </p>\n</div>\n");
    const std::string plain = render("Content-Type: text/plain; charset=x-nonsense\n\nK\xf6ln\n");
    CHECK(plain == "<pre>K\xc3\xb6ln\n</pre>\n");
}

TEST_CASE("enclosed messages are nested with their headers and bounded in depth", "[web][render]") {
    std::string m = "Content-Type: text/plain\n\ninnermost\n";
    for (int i = 0; i < 6; ++i)
        m = "Subject: level " + std::to_string(i) +
            "\nFrom: Ann <ann@far.example>\nContent-Type: multipart/mixed; boundary=\"x" +
            std::to_string(i) + "\"\n\n--x" + std::to_string(i) +
            "\nContent-Type: message/rfc822\n\n" + m + "--x" + std::to_string(i) + "--\n";
    const std::string out = render(m);
    CHECK(count(out, "<blockquote>") == 3); // Limits::enclosed_depth
    CHECK(out.find("Ann &lt;ann@f…&gt;") != std::string::npos);
    CHECK(out.find("levels deep is left out") != std::string::npos);
    CHECK(out.find("innermost") == std::string::npos);
}

TEST_CASE("attachments the index does not list have no link", "[web][render]") {
    const std::string out =
        render("Content-Type: multipart/mixed; boundary=\"m\"\n\n--m\nContent-Type: "
               "application/zip; name=\"<b>x.zip\"\n\nPK\n--m--\n");
    CHECK(out.find("&lt;b&gt;x.zip (application/zip)") != std::string::npos);
    CHECK(out.find("<a ") == std::string::npos);
}

TEST_CASE("a page's budget is shared by the messages rendered into it", "[web][render]") {
    RenderBudget budget{.text_bytes = 100, .html_tags = 10};
    RenderOptions o;
    const std::string m = "Content-Type: text/plain\n\n" + std::string(80, 'a') + "\n";
    auto first = render_message(m, o, budget);
    CHECK_FALSE(first.truncated);
    auto second = render_message(m, o, budget);
    CHECK(second.truncated);
    CHECK(second.html.find("cut short") != std::string::npos);
    auto third = render_message(m, o, budget);
    CHECK(third.html.find("left out") != std::string::npos);
    CHECK(budget.text_bytes == 0);
}

TEST_CASE("list items are written only inside a list so that none closes a div of ours",
          "[web][render]") {
    // gumbo nests this li inside the center (a special element): written as <div> inside a
    // <li>, the page's parser would close both and the next </div> would close the page's.
    const std::string out = clean("<ul><li>a<div><center><li>b</li></center></div></li></ul>");
    CHECK(out == "<ul><li>a<div><div>b</div></div></li></ul>");
    CHECK(clean("<li>lone</li>") == "lone");
    // What was written before: the check sees the page's div closed early.
    CHECK_FALSE(
        webtest::fragment_problems("<ul><li>a<div><div><li>b</li></div></div></li></ul>").empty());
    CHECK_FALSE(webtest::fragment_problems("<div>unclosed").empty());
    CHECK_FALSE(webtest::fragment_problems("</div>").empty());
}

TEST_CASE("a thread page leaves out the alternatives not shown and parses none of them",
          "[web][render]") {
    const std::string m = "Content-Type: multipart/alternative; boundary=\"a\"\n\n--a\n"
                          "Content-Type: text/plain\n\nplain\n--a\nContent-Type: text/html\n\n"
                          "<p>html</p>\n--a--\n";
    RenderOptions o;
    o.fold_alternatives = false;
    RenderBudget budget;
    const auto r = render_message(m, o, budget);
    CHECK(r.html == "<pre>plain\n</pre>\n");
    CHECK(budget.html_tags == RenderBudget{}.html_tags);
    RenderBudget folded;
    CHECK(render_message(m, {}, folded).html.find("<p>html</p>") != std::string::npos);
    CHECK(folded.html_tags == RenderBudget{}.html_tags - 2);
}
