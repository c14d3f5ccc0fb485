#include "core/csv_lines.h"

#include "core/text_fields.h"

namespace iotwatch {

bool CsvLines::next() {
    while (pos_ < text_.size()) {
        size_t end = text_.find('\n', pos_);
        if (end == std::string_view::npos) end = text_.size();
        const std::string_view line = text_.substr(pos_, end - pos_);
        pos_ = end + 1;
        ++line_no_;
        if (trim(line).empty() || line.front() == '#') continue;
        where_ = name_ + ":" + std::to_string(line_no_);
        split_ = split_csv_line(line, cells_);
        return true;
    }
    return false;
}

std::string CsvLines::cell(int column) const {
    return column >= 0 && size_t(column) < cells_.size() ? cells_[size_t(column)] : std::string();
}

int find_column(const std::vector<std::string>& header, std::initializer_list<std::string_view> names) {
    for (size_t i = 0; i < header.size(); ++i) {
        const std::string h = lower(trim(header[i]));
        for (std::string_view n : names)
            if (h == n) return static_cast<int>(i);
    }
    return -1;
}

}  // namespace iotwatch
