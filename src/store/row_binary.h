// RowBinaryWriter / TsvReader: the two wire formats iotwatch speaks with ClickHouse over HTTP.
// Inserts go as RowBinary (little-endian fixed-width numbers, strings as LEB128 length + bytes),
// the cheapest format for the server to parse; query results come back as TabSeparated, which
// 18.16 escapes as documented (\t \n \\ \0 \b \f \r \' and \xHH never appear unescaped).
#pragma once
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace iotwatch {

class RowBinaryWriter {
public:
    RowBinaryWriter& u8(uint8_t v) { return raw(&v, 1); }
    RowBinaryWriter& u64(uint64_t v) { return raw(&v, 8); }
    RowBinaryWriter& i64(int64_t v) { return raw(&v, 8); }
    RowBinaryWriter& f64(double v) { return raw(&v, 8); }
    RowBinaryWriter& str(std::string_view s) {
        uint64_t n = s.size();
        while (n >= 0x80) {
            buf_.push_back(static_cast<char>(n | 0x80));
            n >>= 7;
        }
        buf_.push_back(static_cast<char>(n));
        buf_.append(s.data(), s.size());
        return *this;
    }
    /// Appends bytes already in RowBinary (another writer's rows).
    RowBinaryWriter& append(const RowBinaryWriter& rows) {
        buf_ += rows.buf_;
        return *this;
    }
    const std::string& data() const { return buf_; }
    std::string take() { return std::move(buf_); }
    bool empty() const { return buf_.empty(); }
    void clear() { buf_.clear(); }

private:
    RowBinaryWriter& raw(const void* p, size_t n) {
        static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "RowBinary is little-endian");
        buf_.append(static_cast<const char*>(p), n);
        return *this;
    }
    std::string buf_;
};

/// Rows of a TabSeparated result. Throws StoreError (naming `what` and the row) on a row with a
/// different number of fields than expected or a number that does not parse.
class TsvReader {
public:
    TsvReader(std::string text, std::string what);
    /// Advances to the next row; false at the end.
    bool next();
    size_t columns() const { return fields_.size(); }
    const std::string& text(size_t i) const;
    int64_t i64(size_t i) const;
    double f64(size_t i) const;
    /// Throws unless the current row has exactly n fields.
    void expect(size_t n) const;

private:
    std::string text_;
    std::string what_;
    size_t pos_ = 0;
    size_t row_ = 0;
    std::vector<std::string> fields_;
};

}  // namespace iotwatch
