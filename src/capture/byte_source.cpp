#include "capture/byte_source.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22  // Linux 5.14; older glibc headers lack the name
#endif

namespace iotwatch {
namespace {

/// The whole file mapped read-only. The window handed to the walker grows 16 MB at a time, each
/// step populating the page tables of the next 16 MB in one madvise(MADV_POPULATE_READ) call: one
/// system call instead of a page fault per 64 kB (fault-around). Alone it made no difference the
/// ingest benchmark could measure (its costly faults were in anonymous memory, see main.cpp); it
/// is kept because it can only remove faults. Where the kernel lacks it (before 5.14) the pages
/// simply fault in as they are touched.
class MmapSource final : public ByteSource {
public:
    MmapSource(void* map, size_t size) : map_(map), size_(size) {
        buf_ = static_cast<const uint8_t*>(map);
        if (size > 0) madvise(map, size, MADV_SEQUENTIAL);
        grow(0);
    }
    ~MmapSource() override {
        if (map_ && size_) munmap(map_, size_);
    }
    uint64_t size_hint() const override { return size_; }

protected:
    size_t refill(size_t n) override {
        grow(n);
        return end_ - pos_;
    }

private:
    static constexpr size_t kWindow = size_t(16) << 20;  // a multiple of the page size
    void grow(size_t n) {
        const size_t target = std::max(end_, pos_ + n);
        const size_t want = std::min(size_, (target / kWindow + 1) * kWindow);
        if (want <= end_) return;
        // end_ is a multiple of kWindow (or size_, and then want <= end_), so the start is page-aligned.
        madvise(static_cast<uint8_t*>(map_) + end_, want - end_, MADV_POPULATE_READ);
        end_ = want;
    }
    void* map_;
    size_t size_;
};

/// Bytes held in memory.
class MemorySource final : public ByteSource {
public:
    explicit MemorySource(std::vector<uint8_t> bytes) : bytes_(std::move(bytes)) {
        buf_ = bytes_.data();
        end_ = bytes_.size();
    }
    uint64_t size_hint() const override { return bytes_.size(); }

protected:
    size_t refill(size_t) override { return end_ - pos_; }

private:
    std::vector<uint8_t> bytes_;
};

/// Raw bytes from a file descriptor, with the bytes already read for magic detection in front.
class FdInput {
public:
    FdInput(int fd, bool owned, std::string name, std::vector<uint8_t> prefix)
        : fd_(fd), owned_(owned), name_(std::move(name)), prefix_(std::move(prefix)) {}
    ~FdInput() {
        if (owned_ && fd_ >= 0) ::close(fd_);
    }
    /// Reads up to cap bytes; 0 at end of input. Throws InputError on read errors.
    size_t read(uint8_t* dst, size_t cap) {
        if (prefix_pos_ < prefix_.size()) {
            size_t n = std::min(cap, prefix_.size() - prefix_pos_);
            std::memcpy(dst, prefix_.data() + prefix_pos_, n);
            prefix_pos_ += n;
            consumed_ += n;
            return n;
        }
        for (;;) {
            ssize_t n = ::read(fd_, dst, cap);
            if (n >= 0) {
                consumed_ += uint64_t(n);
                return size_t(n);
            }
            if (errno != EINTR) throw InputError(name_, consumed_, std::string("read failed: ") + std::strerror(errno));
        }
    }
    uint64_t consumed() const { return consumed_; }

private:
    int fd_;
    bool owned_;
    std::string name_;
    std::vector<uint8_t> prefix_;
    size_t prefix_pos_ = 0;
    uint64_t consumed_ = 0;
};

/// Streams decompressed (or raw) bytes into a compacting window.
class StreamSource : public ByteSource {
public:
    StreamSource(std::unique_ptr<FdInput> in, std::string name, uint64_t file_size)
        : in_(std::move(in)), name_(std::move(name)), file_size_(file_size) {
        window_.resize(1 << 20);
        buf_ = window_.data();
    }
    uint64_t size_hint() const override { return file_size_; }

protected:
    /// Produces up to cap bytes of content at dst; 0 at the end (set stream_error_ for a bad end).
    virtual size_t produce(uint8_t* dst, size_t cap) = 0;

    size_t refill(size_t n) override {
        // Compact: move the unread tail to the front.
        size_t avail = end_ - pos_;
        if (pos_ > 0) {
            std::memmove(window_.data(), window_.data() + pos_, avail);
            base_ += pos_;
            pos_ = 0;
            end_ = avail;
        }
        if (window_.size() < n) window_.resize(std::max(n, window_.size() * 2));
        buf_ = window_.data();
        while (end_ < n && !eof_) {
            size_t got = produce(window_.data() + end_, window_.size() - end_);
            if (got == 0) eof_ = true;
            end_ += got;
        }
        return end_ - pos_;
    }

    std::unique_ptr<FdInput> in_;
    std::string name_;
    uint64_t file_size_;
    std::vector<uint8_t> window_;
    bool eof_ = false;
};

class RawStream final : public StreamSource {
public:
    using StreamSource::StreamSource;

protected:
    size_t produce(uint8_t* dst, size_t cap) override { return in_->read(dst, cap); }
};

class GzipStream final : public StreamSource {
public:
    GzipStream(std::unique_ptr<FdInput> in, std::string name, uint64_t size) : StreamSource(std::move(in), std::move(name), size) {
        std::memset(&zs_, 0, sizeof zs_);
        if (inflateInit2(&zs_, 15 + 32) != Z_OK) throw InputError(name_, 0, "cannot initialise gzip decoder");
        input_.resize(1 << 18);
    }
    ~GzipStream() override { inflateEnd(&zs_); }

protected:
    size_t produce(uint8_t* dst, size_t cap) override {
        if (done_) return 0;
        zs_.next_out = dst;
        zs_.avail_out = static_cast<uInt>(std::min<size_t>(cap, 1u << 30));
        while (zs_.avail_out > 0) {
            if (zs_.avail_in == 0) {
                size_t got = in_->read(input_.data(), input_.size());
                if (got == 0) {
                    if (!clean_end_)
                        stream_error_ = "gzip stream truncated at compressed byte " + std::to_string(in_->consumed());
                    done_ = true;
                    break;
                }
                zs_.next_in = input_.data();
                zs_.avail_in = static_cast<uInt>(got);
            }
            clean_end_ = false;
            int rc = inflate(&zs_, Z_NO_FLUSH);
            if (rc == Z_STREAM_END) {
                // Concatenated gzip members are one stream (like gzip -d).
                clean_end_ = true;
                inflateReset(&zs_);
                continue;
            }
            if (rc != Z_OK && rc != Z_BUF_ERROR) {
                stream_error_ = std::string("gzip data corrupt (") + (zs_.msg ? zs_.msg : "inflate error") +
                                ") near compressed byte " + std::to_string(in_->consumed() - zs_.avail_in);
                done_ = true;
                break;
            }
        }
        return static_cast<size_t>(zs_.next_out - dst);
    }

private:
    z_stream zs_;
    std::vector<uint8_t> input_;
    bool done_ = false;
    bool clean_end_ = false;
};

class ZstdStream final : public StreamSource {
public:
    ZstdStream(std::unique_ptr<FdInput> in, std::string name, uint64_t size) : StreamSource(std::move(in), std::move(name), size) {
        ds_ = ZSTD_createDStream();
        if (!ds_) throw InputError(name_, 0, "cannot initialise zstd decoder");
        ZSTD_initDStream(ds_);
        input_.resize(ZSTD_DStreamInSize());
    }
    ~ZstdStream() override { ZSTD_freeDStream(ds_); }

protected:
    size_t produce(uint8_t* dst, size_t cap) override {
        if (done_) return 0;
        ZSTD_outBuffer out{dst, cap, 0};
        while (out.pos < out.size) {
            if (in_buf_.pos == in_buf_.size) {
                size_t got = in_->read(input_.data(), input_.size());
                if (got == 0) {
                    if (!frame_done_)
                        stream_error_ = "zstd stream truncated at compressed byte " + std::to_string(in_->consumed());
                    done_ = true;
                    break;
                }
                in_buf_ = ZSTD_inBuffer{input_.data(), got, 0};
            }
            size_t rc = ZSTD_decompressStream(ds_, &out, &in_buf_);
            if (ZSTD_isError(rc)) {
                stream_error_ = std::string("zstd data corrupt (") + ZSTD_getErrorName(rc) + ")";
                done_ = true;
                break;
            }
            frame_done_ = rc == 0;
        }
        return out.pos;
    }

private:
    ZSTD_DStream* ds_;
    std::vector<uint8_t> input_;
    ZSTD_inBuffer in_buf_{nullptr, 0, 0};
    bool done_ = false;
    bool frame_done_ = true;
};

}  // namespace

std::unique_ptr<ByteSource> open_byte_source(const std::string& path) {
    const bool is_stdin = path == "-";
    const std::string name = is_stdin ? "<stdin>" : path;
    int fd = is_stdin ? STDIN_FILENO : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw InputError(name, UINT64_MAX, std::string("cannot open: ") + std::strerror(errno));
    struct stat st {};
    const bool regular = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
    if (!is_stdin && !regular && !S_ISFIFO(st.st_mode) && !S_ISCHR(st.st_mode)) {
        ::close(fd);
        throw InputError(name, UINT64_MAX, "not a regular file");
    }
    // Read the magic (up to 4 bytes) to pick the decoder.
    std::vector<uint8_t> magic(4);
    size_t got = 0;
    while (got < 4) {
        ssize_t n = ::read(fd, magic.data() + got, 4 - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += size_t(n);
    }
    magic.resize(got);
    const bool gzip = got >= 2 && magic[0] == 0x1F && magic[1] == 0x8B;
    const bool zstd = got >= 4 && magic[0] == 0x28 && magic[1] == 0xB5 && magic[2] == 0x2F && magic[3] == 0xFD;
    const uint64_t size = regular ? uint64_t(st.st_size) : 0;
    if (!gzip && !zstd && regular && !is_stdin) {
        void* map = nullptr;
        if (st.st_size > 0) {
            map = ::mmap(nullptr, size_t(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
            if (map == MAP_FAILED) {
                int e = errno;
                ::close(fd);
                throw InputError(name, UINT64_MAX, std::string("cannot map: ") + std::strerror(e));
            }
        }
        ::close(fd);
        return std::make_unique<MmapSource>(map, size_t(st.st_size));
    }
    auto in = std::make_unique<FdInput>(fd, !is_stdin, name, std::move(magic));
    if (gzip) return std::make_unique<GzipStream>(std::move(in), name, size);
    if (zstd) return std::make_unique<ZstdStream>(std::move(in), name, size);
    return std::make_unique<RawStream>(std::move(in), name, size);
}

std::unique_ptr<ByteSource> memory_byte_source(std::vector<uint8_t> bytes) {
    return std::make_unique<MemorySource>(std::move(bytes));
}

}  // namespace iotwatch
