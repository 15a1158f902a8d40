#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#include <string>

// CTest runs each test by passing its name to the test binary. A name that starts with
// '-' is read as an option, and a ';' splits it into a list: either way Catch2 runs no test
// and reports success. Such a name would be a test that can never fail.
TEST_CASE("every test name can be run by CTest", "[tests]") {
    const auto& tests = Catch::getRegistryHub().getTestCaseRegistry().getAllTests();
    REQUIRE_FALSE(tests.empty());
    for (const auto& t : tests) {
        INFO(t.name);
        CHECK(t.name.find(';') == std::string::npos);
        CHECK_FALSE(t.name.starts_with("-"));
    }
}
