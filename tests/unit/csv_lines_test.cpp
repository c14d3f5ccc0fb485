#include <gtest/gtest.h>

#include "core/csv_lines.h"

namespace iotwatch {
namespace {

TEST(CsvLines, SkipsBlankAndCommentLinesAndNamesEachLine) {
    // Line 2 is blank, 3 only spaces and a CR, 4 a comment; the last line has no newline.
    const std::string text = "A,B\n\n  \r\n# note\n\"x, y\",2\n\"open,3\nlast,4";
    CsvLines lines(text, "f.csv");
    ASSERT_TRUE(lines.next());
    EXPECT_EQ(lines.where(), "f.csv:1");
    EXPECT_TRUE(lines.split());
    EXPECT_EQ(find_column(lines.cells(), {"b"}), 1);
    EXPECT_EQ(find_column(lines.cells(), {"c", "a"}), 0);
    EXPECT_EQ(find_column(lines.cells(), {"c"}), -1);
    ASSERT_TRUE(lines.next());
    EXPECT_EQ(lines.where(), "f.csv:5");
    EXPECT_TRUE(lines.split());
    EXPECT_EQ(lines.cell(0), "x, y");
    EXPECT_EQ(lines.cell(1), "2");
    EXPECT_EQ(lines.cell(2), "");   // past the line's cells
    EXPECT_EQ(lines.cell(-1), "");  // a column the header did not have
    ASSERT_TRUE(lines.next());
    EXPECT_EQ(lines.where(), "f.csv:6");
    EXPECT_FALSE(lines.split());  // unterminated quote
    ASSERT_TRUE(lines.next());
    EXPECT_EQ(lines.where(), "f.csv:7");
    EXPECT_EQ(lines.cell(0), "last");
    EXPECT_FALSE(lines.next());
    EXPECT_FALSE(lines.next());
}

TEST(CsvLines, HeaderNamesAreComparedTrimmedAndInLowerCase) {
    EXPECT_EQ(find_column({" IP ", "Time\r"}, {"time"}), 1);
    EXPECT_EQ(find_column({"src_ip", "ip"}, {"ip", "src_ip"}), 0);  // the first cell that matches any name
    EXPECT_EQ(find_column({}, {"ip"}), -1);
    CsvLines empty("", "e.csv");
    EXPECT_FALSE(empty.next());
}

}  // namespace
}  // namespace iotwatch
