// ByteWriter / ByteReader: a minimal binary encoding for checkpoints (little-endian PODs, length-
// prefixed vectors and strings). ByteReader throws InputError on a short or corrupt buffer instead
// of reading past its end.
#pragma once
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "core/error.h"

namespace iotwatch {

class ByteWriter {
public:
    template <typename T>
    void put(const T& v) {
        static_assert(std::is_trivially_copyable_v<T>);
        const char* p = reinterpret_cast<const char*>(&v);
        buf_.append(p, sizeof(T));
    }
    template <typename T>
    void put_vector(const std::vector<T>& v) {
        static_assert(std::is_trivially_copyable_v<T>);
        put<uint64_t>(v.size());
        buf_.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
    }
    void put_string(const std::string& s) {
        put<uint64_t>(s.size());
        buf_ += s;
    }
    /// LEB128: 7 bits a byte, low groups first (1 byte for values < 128).
    void put_varint(uint64_t v) {
        while (v >= 0x80) {
            buf_.push_back(static_cast<char>(v | 0x80));
            v >>= 7;
        }
        buf_.push_back(static_cast<char>(v));
    }
    void reserve(size_t more) { buf_.reserve(buf_.size() + more); }
    /// A length prefix written after its contents: begin_length() puts a placeholder and returns
    /// where it is; end_length(at) sets it to the bytes written since. The encoding is
    /// put_string's, so a ByteReader reads the whole as one get_string().
    size_t begin_length() {
        put<uint64_t>(0);
        return buf_.size();
    }
    void end_length(size_t at) {
        const uint64_t n = buf_.size() - at;
        std::memcpy(buf_.data() + at - sizeof n, &n, sizeof n);
    }
    std::string& data() { return buf_; }

private:
    std::string buf_;
};

class ByteReader {
public:
    ByteReader(const std::string& buf, std::string name) : buf_(buf), name_(std::move(name)) {}
    template <typename T>
    T get() {
        static_assert(std::is_trivially_copyable_v<T>);
        need(sizeof(T));
        T v;
        std::memcpy(&v, buf_.data() + pos_, sizeof(T));
        pos_ += sizeof(T);
        return v;
    }
    template <typename T>
    std::vector<T> get_vector() {
        uint64_t n = get<uint64_t>();
        if (n > (buf_.size() - pos_) / sizeof(T)) fail("vector length " + std::to_string(n) + " exceeds the data");
        std::vector<T> v(n);
        if (n) std::memcpy(v.data(), buf_.data() + pos_, n * sizeof(T));  // (data() may be null when empty)
        pos_ += n * sizeof(T);
        return v;
    }
    std::string get_string() {
        uint64_t n = get<uint64_t>();
        need(n);
        std::string s = buf_.substr(pos_, n);
        pos_ += n;
        return s;
    }
    uint64_t get_varint() {
        uint64_t v = 0;
        for (int shift = 0;; shift += 7) {
            if (pos_ >= buf_.size()) fail("ends inside a varint");
            if (shift > 63) fail("varint longer than 64 bits");
            const uint8_t b = static_cast<uint8_t>(buf_[pos_++]);
            v |= uint64_t(b & 0x7F) << shift;
            if (!(b & 0x80)) return v;
        }
    }
    /// The next `n` bytes, in place (valid while the buffer lives).
    const uint8_t* get_bytes(uint64_t n) {
        need(n);
        const uint8_t* p = reinterpret_cast<const uint8_t*>(buf_.data()) + pos_;
        pos_ += n;
        return p;
    }
    bool at_end() const { return pos_ == buf_.size(); }
    size_t remaining() const { return buf_.size() - pos_; }
    [[noreturn]] void fail(const std::string& why) const { throw InputError(name_, pos_, why); }

private:
    void need(uint64_t n) const {
        if (n > buf_.size() - pos_) fail("ends early (needs " + std::to_string(n) + " more bytes)");
    }
    const std::string& buf_;
    std::string name_;
    size_t pos_ = 0;
};

}  // namespace iotwatch
