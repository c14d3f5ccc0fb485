#include "store/row_binary.h"

#include <cerrno>
#include <cstdlib>

#include "core/error.h"

namespace iotwatch {

TsvReader::TsvReader(std::string text, std::string what) : text_(std::move(text)), what_(std::move(what)) {}

bool TsvReader::next() {
    fields_.clear();
    if (pos_ >= text_.size()) return false;
    ++row_;
    std::string field;
    for (;;) {
        if (pos_ >= text_.size()) {  // last row without its newline
            fields_.push_back(std::move(field));
            return true;
        }
        const char c = text_[pos_++];
        if (c == '\n') {
            fields_.push_back(std::move(field));
            return true;
        }
        if (c == '\t') {
            fields_.push_back(std::move(field));
            field.clear();
            continue;
        }
        if (c != '\\' || pos_ >= text_.size()) {
            field.push_back(c);
            continue;
        }
        const char e = text_[pos_++];
        switch (e) {
        case 't': field.push_back('\t'); break;
        case 'n': field.push_back('\n'); break;
        case 'r': field.push_back('\r'); break;
        case 'b': field.push_back('\b'); break;
        case 'f': field.push_back('\f'); break;
        case '0': field.push_back('\0'); break;
        default: field.push_back(e); break;  // \\ \' and anything else: the character itself
        }
    }
}

void TsvReader::expect(size_t n) const {
    if (fields_.size() != n)
        throw StoreError(what_ + ": result row " + std::to_string(row_) + " has " + std::to_string(fields_.size()) +
                         " fields, expected " + std::to_string(n));
}

const std::string& TsvReader::text(size_t i) const {
    if (i >= fields_.size())
        throw StoreError(what_ + ": result row " + std::to_string(row_) + " has no field " + std::to_string(i + 1));
    return fields_[i];
}

int64_t TsvReader::i64(size_t i) const {
    const std::string& s = text(i);
    errno = 0;
    char* end = nullptr;
    const long long v = std::strtoll(s.c_str(), &end, 10);
    if (s.empty() || *end || errno)
        throw StoreError(what_ + ": result row " + std::to_string(row_) + " field " + std::to_string(i + 1) +
                         " is not an integer: '" + s.substr(0, 40) + "'");
    return v;
}

double TsvReader::f64(size_t i) const {
    const std::string& s = text(i);
    char* end = nullptr;
    const double v = std::strtod(s.c_str(), &end);
    if (s.empty() || *end)
        throw StoreError(what_ + ": result row " + std::to_string(row_) + " field " + std::to_string(i + 1) +
                         " is not a number: '" + s.substr(0, 40) + "'");
    return v;
}

}  // namespace iotwatch
