// CsvLines: the data lines of a headed CSV text (partner feeds, site lists), one at a time, each
// named FILE:LINE for error messages; and find_column, a header column by its aliases.
#pragma once
#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace iotwatch {

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

}  // namespace iotwatch
