// ByteSource: a window of contiguous bytes over a capture's (decompressed) contents, so the record
// walkers can parse headers in place. need(n) is an inline check in the common case; only when the
// window runs out does a virtual refill() read, decompress and compact (never per packet for
// mmapped files, whose window is the whole file).
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"

namespace iotwatch {

class ByteSource {
public:
    virtual ~ByteSource() = default;
    /// Makes at least `n` bytes available at data(), unless the input ends first. Returns the bytes
    /// available (< n only at the end of input). Throws InputError on read/decompression errors that
    /// happen before any byte could be returned.
    size_t need(size_t n) {
        if (end_ - pos_ >= n) return end_ - pos_;
        return refill(n);
    }
    const uint8_t* data() const { return buf_ + pos_; }
    void skip(size_t n) { pos_ += n; }
    /// Offset of data() in the (decompressed) input.
    uint64_t offset() const { return base_ + pos_; }
    /// A decompression error seen at the end of the good data (reported by the walker when it
    /// finds the input ending there).
    const std::optional<std::string>& stream_error() const { return stream_error_; }
    /// Size of the underlying file when known (for progress), else 0.
    virtual uint64_t size_hint() const { return 0; }

protected:
    virtual size_t refill(size_t n) = 0;
    const uint8_t* buf_ = nullptr;
    size_t pos_ = 0;
    size_t end_ = 0;
    uint64_t base_ = 0;
    std::optional<std::string> stream_error_;
};

/// Opens `path` ("-" = stdin), detects gzip/zstd by magic bytes and returns the matching source:
/// mmap for plain regular files, streaming otherwise. Throws InputError (path, offset 0) when the
/// file cannot be opened.
std::unique_ptr<ByteSource> open_byte_source(const std::string& path);
/// A source over a copy of `bytes` (fuzzing, tests).
std::unique_ptr<ByteSource> memory_byte_source(std::vector<uint8_t> bytes);

}  // namespace iotwatch
