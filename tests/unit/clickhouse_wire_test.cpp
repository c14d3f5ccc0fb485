// The ClickHouse backend's wire formats and URL, without a server (the server is exercised by
// tests/integration/clickhouse_backend.sh).
#include <gtest/gtest.h>

#include "core/error.h"
#include "store/clickhouse_client.h"
#include "store/row_binary.h"

using namespace iotwatch;

TEST(RowBinary, EncodesLittleEndianNumbersAndLeb128Strings) {
    RowBinaryWriter w;
    w.u8(7).i64(-2).u64(0x0102030405060708ULL).f64(1.5).str("ab").str(std::string(200, 'x'));
    const std::string& d = w.data();
    ASSERT_EQ(d.size(), 1u + 8 + 8 + 8 + (1 + 2) + (2 + 200));
    EXPECT_EQ(uint8_t(d[0]), 7);
    EXPECT_EQ(uint8_t(d[1]), 0xFE);  // -2, low byte first
    EXPECT_EQ(uint8_t(d[8]), 0xFF);
    EXPECT_EQ(uint8_t(d[9]), 0x08);  // the u64's lowest byte
    EXPECT_EQ(uint8_t(d[16]), 0x01);
    EXPECT_EQ(d.substr(25, 3), std::string("\x02" "ab", 3));
    EXPECT_EQ(uint8_t(d[28]), 0xC8);  // 200 = 0x48 | 0x80, then 0x01
    EXPECT_EQ(uint8_t(d[29]), 0x01);
    RowBinaryWriter all;
    all.append(w).append(w);
    EXPECT_EQ(all.data(), d + d);
}

TEST(TsvReader, UnescapesFieldsAndNamesBadRows) {
    TsvReader r("1\ta\\tb\\\\c\\nd\t2.5\n-7\t\\0\\'\tnan\n", "t");
    ASSERT_TRUE(r.next());
    r.expect(3);
    EXPECT_EQ(r.i64(0), 1);
    EXPECT_EQ(r.text(1), "a\tb\\c\nd");
    EXPECT_DOUBLE_EQ(r.f64(2), 2.5);
    ASSERT_TRUE(r.next());
    EXPECT_EQ(r.i64(0), -7);
    EXPECT_EQ(r.text(1), std::string("\0'", 2));
    EXPECT_FALSE(r.next());
    TsvReader bad("x\t1\n", "scan_event");
    ASSERT_TRUE(bad.next());
    EXPECT_THROW(bad.expect(3), StoreError);
    try {
        bad.i64(0);
        FAIL() << "not an integer";
    } catch (const StoreError& e) {
        EXPECT_NE(std::string(e.what()).find("scan_event: result row 1 field 1"), std::string::npos) << e.what();
    }
}

TEST(ClickHouseUrl, ParsesHostPortAndDatabase) {
    auto u = ClickHouseUrl::parse("clickhouse://127.0.0.1:18123/telescope");
    EXPECT_EQ(u.host, "127.0.0.1");
    EXPECT_EQ(u.port, 18123);
    EXPECT_EQ(u.database, "telescope");
    auto d = ClickHouseUrl::parse("clickhouse://ch.example");
    EXPECT_EQ(d.port, 8123);
    EXPECT_EQ(d.database, "iotwatch");
    auto v6 = ClickHouseUrl::parse("clickhouse://[::1]:9123/x");
    EXPECT_EQ(v6.host, "::1");
    EXPECT_EQ(v6.port, 9123);
    EXPECT_EQ(ClickHouseUrl::parse("clickhouse://[::1]/x").port, 8123);
    EXPECT_THROW(ClickHouseUrl::parse("http://h/x"), ConfigError);
    EXPECT_THROW(ClickHouseUrl::parse("clickhouse://h:0/x"), ConfigError);
    EXPECT_THROW(ClickHouseUrl::parse("clickhouse://h:99999/x"), ConfigError);
    EXPECT_THROW(ClickHouseUrl::parse("clickhouse://h/x;DROP"), ConfigError);
    EXPECT_THROW(ClickHouseUrl::parse("clickhouse:///x"), ConfigError);
}
