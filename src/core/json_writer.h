// JsonWriter: a small streaming JSON writer (RFC 8259) for every machine-readable output.
// Strings are escaped (control characters as \uXXXX; invalid UTF-8 bytes replaced by U+FFFD) so
// whatever a capture or file name contains, the output parses. Commas are placed automatically.
#pragma once
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace iotwatch {

class JsonWriter {
public:
    explicit JsonWriter(std::ostream& out) : out_(out) {}

    JsonWriter& begin_object();
    JsonWriter& end_object();
    JsonWriter& begin_array();
    JsonWriter& end_array();
    /// Object key; the next call writes its value.
    JsonWriter& key(std::string_view k);

    JsonWriter& value(std::string_view s);
    JsonWriter& value(const std::string& s) { return value(std::string_view(s)); }
    JsonWriter& value(const char* s) { return value(std::string_view(s)); }
    JsonWriter& value(bool b);
    JsonWriter& value(int v) { return value(static_cast<int64_t>(v)); }
    JsonWriter& value(unsigned v) { return value(static_cast<uint64_t>(v)); }
    JsonWriter& value(long long v) { return value(static_cast<int64_t>(v)); }
    JsonWriter& value(unsigned long long v) { return value(static_cast<uint64_t>(v)); }
    JsonWriter& value(int64_t v);   // long on this platform
    JsonWriter& value(uint64_t v);  // unsigned long
    /// Finite doubles with up to 6 significant decimals; NaN/inf become null.
    JsonWriter& value(double v);
    JsonWriter& null();

    /// `s` escaped as a JSON string literal, quotes included.
    static std::string quote(std::string_view s);

private:
    void separate();
    std::ostream& out_;
    std::vector<bool> first_;  // per open container: no element written yet
    bool after_key_ = false;
};

}  // namespace iotwatch
