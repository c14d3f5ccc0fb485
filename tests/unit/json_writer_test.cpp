#include <gtest/gtest.h>

#include <limits>
#include <sstream>

#include "core/json_writer.h"
#include "store/rows.h"

using namespace iotwatch;

TEST(JsonWriter, WritesNestedValuesWithCommas) {
    std::ostringstream os;
    JsonWriter w(os);
    w.begin_object();
    w.key("a").value(uint64_t(1));
    w.key("b").begin_array().value("x").value(true).null().value(-3).end_array();
    w.key("c").begin_object().end_object();
    w.key("d").value(0.5);
    w.key("e").value(std::numeric_limits<double>::infinity());
    w.end_object();
    EXPECT_EQ(os.str(), R"({"a":1,"b":["x",true,null,-3],"c":{},"d":0.5,"e":null})");
}

TEST(JsonWriter, EscapesControlQuotesAndBadUtf8) {
    EXPECT_EQ(JsonWriter::quote("a\"b\\c\n\t\x01"), "\"a\\\"b\\\\c\\n\\t\\u0001\"");
    EXPECT_EQ(JsonWriter::quote("caf\xC3\xA9"), "\"caf\xC3\xA9\"");           // valid UTF-8 kept
    EXPECT_EQ(JsonWriter::quote("\xFF\xC3"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");  // invalid bytes replaced
    EXPECT_EQ(JsonWriter::quote("\xED\xA0\x80"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");  // surrogate
}

TEST(PacketClassNames, RoundTrip) {
    for (int c = 0; c <= kClassCount; ++c) EXPECT_EQ(packet_class_from_name(packet_class_name(uint8_t(c))), c);
    EXPECT_EQ(packet_class_from_name("bogus"), -1);
    EXPECT_STREQ(packet_class_name(kClassTcpOther), "tcp_other");
}
