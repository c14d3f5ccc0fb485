// Small text helpers the line-oriented input parsers share (partner feeds, site lists): trimming,
// case folding, one RFC 4180 CSV line, and the time formats feeds use.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace iotwatch {

/// `s` without leading/trailing spaces, tabs and a trailing CR.
std::string trim(std::string_view s);
/// ASCII lower case.
std::string lower(std::string s);
/// Splits one CSV line (RFC 4180 quoting, no embedded newlines) into `out`; unquoted cells are
/// trimmed. False on an unterminated quote.
bool split_csv_line(std::string_view line, std::vector<std::string>& out);

/// The lines of a CSV text that carry data, one at a time: blank lines and lines starting with
/// '#' are skipped, the others split by split_csv_line(). `where()` names the current line as
/// "NAME:LINE" (1-based) for error messages. The text must outlive the reader.
class CsvLines {
public:
    CsvLines(std::string_view text, std::string name) : text_(text), name_(std::move(name)) {}
    /// Moves to the next data line; false at the end of the text. `split()` is false when that
    /// line has an unterminated quote (its cells are then not usable).
    bool next();
    bool split() const { return split_; }
    const std::vector<std::string>& cells() const { return cells_; }
    /// Cell `column` of the current line, or "" when the column is -1 or the line is shorter.
    std::string cell(int column) const;
    const std::string& where() const { return where_; }

private:
    std::string_view text_;
    std::string name_;
    size_t pos_ = 0, line_no_ = 0;
    bool split_ = false;
    std::vector<std::string> cells_;
    std::string where_;
};

/// The index of the first header cell that is one of `names` (compared trimmed and in lower
/// case; `names` are given in lower case), or -1.
int find_column(const std::vector<std::string>& header, std::initializer_list<std::string_view> names);
/// ISO 8601 UTC ("2026-11-24T10:00:00Z", "2026-11-24 10:00:00", optional fraction; read as UTC)
/// or Unix seconds, as ns since the epoch; nullopt when neither, or past what an int64 holds.
std::optional<int64_t> parse_feed_time(const std::string& text);

}  // namespace iotwatch
