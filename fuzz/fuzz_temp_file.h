// For fuzz targets whose parser reads a path, not bytes: writes each input to one temporary file,
// created once per process (mkstemp under /tmp, named after the target) and rewritten per input.
#pragma once
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

/// The one temporary file of this process; removed at exit so runs leave nothing in /tmp.
inline std::string& fuzz_input_path() {
    static std::string path;
    return path;
}

/// The path holding `data`, or "" when it could not be written (the input is then skipped).
inline std::string write_fuzz_input(const char* target, const uint8_t* data, size_t size) {
    static const std::string path = [&] {
        std::string name = std::string("/tmp/iotwatch-fuzz-") + target + "-XXXXXX";
        const int fd = mkstemp(name.data());
        if (fd >= 0) close(fd);
        fuzz_input_path() = name;
        std::atexit([] { unlink(fuzz_input_path().c_str()); });
        return name;
    }();
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) return {};
    const bool ok = std::fwrite(data, 1, size, f) == size;
    return std::fclose(f) == 0 && ok ? path : std::string();
}
