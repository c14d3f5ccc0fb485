// Shared by the benchmark programs: `-h`/`--help` prints the usage and exits 0, and any other
// argument starting with '-' where a positional one is expected is refused (exit 2), so that a
// mistyped option is not taken for a file name or a count (bench_store_insert once created a
// SQLite database named "--help").
#pragma once
#include <cstdio>
#include <cstdlib>
#include <cstring>

/// Call first in main(). `options_allowed`: the program takes --name VALUE options of its own.
inline void handle_usage(int argc, char** argv, const char* usage, bool options_allowed = false) {
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "-h") == 0 || std::strcmp(argv[i], "--help") == 0) {
            std::printf("usage: %s\n", usage);
            std::exit(0);
        }
        if (!options_allowed && argv[i][0] == '-' && argv[i][1] != '\0') {
            std::fprintf(stderr, "%s: unknown option %s\nusage: %s\n", argv[0], argv[i], usage);
            std::exit(2);
        }
    }
}
