#include <gtest/gtest.h>

#include <cstdint>

#include "telescope/port_counters.h"

using namespace iotwatch;

namespace {

constexpr uint64_t k32 = uint64_t(1) << 32;

TEST(PortCounters, CountsPastTwoToTheThirtyTwoStayExact) {
    PortCounters c(131072);
    // One below the carry, then single packets across it (the per-packet path).
    c.add(23, k32 - 2);
    c.add_one(23);
    EXPECT_EQ(c[23], k32 - 1);
    c.add_one(23);
    EXPECT_EQ(c[23], k32);  // the low 32 bits read 0 here: the carry holds the rest
    c.add_one(23);
    EXPECT_EQ(c[23], k32 + 1);
    // Folding large counts: a carry from the low part and a high part of its own in one add.
    c.add(23, 3 * k32 + (k32 - 1));
    EXPECT_EQ(c[23], 5 * k32);
    // Other slots are untouched by the carry list.
    c.add_one(65536 + 53);
    EXPECT_EQ(c[65536 + 53], 1u);
    EXPECT_EQ(c[24], 0u);
}

TEST(PortCounters, SetReplacesTheWholeCountAndZeroClearsIt) {
    PortCounters c(131072);
    c.set(445, 7 * k32 + 5);
    EXPECT_EQ(c[445], 7 * k32 + 5);
    c.set(445, 9);  // a smaller count drops the slot's carry
    EXPECT_EQ(c[445], 9u);
    c.set(80, k32);
    c.add(80, k32);
    EXPECT_EQ(c[80], 2 * k32);
    c.zero(80);
    c.zero(445);
    c.clear_carries();
    EXPECT_EQ(c[80], 0u);
    EXPECT_EQ(c[445], 0u);
    EXPECT_EQ(c.bytes(), 131072 * sizeof(uint32_t));
}

}  // namespace
