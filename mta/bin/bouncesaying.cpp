// bouncesaying error [program [arg...]]: bounces the message with error, or, given a
// program, only if the program exits 0 (bouncesaying(1)).
#include "qm/tools/child.hpp"

#include <cstdio>
#include <cstring>
#include <new>

int main(int argc, char** argv) {
    if (argc > 1 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)) {
        std::puts("usage: bouncesaying error [program [arg...]]\n"
                  "Without a program: prints error and exits 100 (bounce).\n"
                  "With one: runs it on the message; exit 0 from it -> print error, exit 100;\n"
                  "111 from it (or a crash) -> exit 111; any other exit -> exit 0.");
        return 0;
    }
    if (argc < 2) {
        std::fputs("bouncesaying: usage: bouncesaying error [ program [ arg ... ] ]\n", stderr);
        return 100;
    }
    try {
        if (argc > 2) {
            auto matched =
                qm::tools::run_condition(std::vector<std::string>(argv + 2, argv + argc));
            if (!matched) {
                std::fprintf(stderr, "bouncesaying: fatal: %s\n", matched.error().text.c_str());
                return 111;
            }
            if (!*matched)
                return 0;
        }
        std::fprintf(stderr, "%s\n", argv[1]);
        return 100;
    } catch (const std::exception&) {
        std::fputs("bouncesaying: fatal: out of memory\n", stderr);
        return 111;
    }
}
