// ReceivePacer: the collector's wait after draining its sockets is bounded by the socket buffer
// at the measured rate and by the configured maximum, and is zero when nothing was read.
#include <gtest/gtest.h>

#include <cstdint>

#include "flows/receive_pacer.h"

namespace iotwatch {
namespace {

TEST(ReceivePacer, WaitsUntilAnEighthOfTheBufferWouldFillAtTheMeasuredRate) {
    const ReceivePacer pacer(1000000, 8 << 20);  // at most 1 ms; 8 MiB buffer: 1 MiB budget
    // 200 MB/s (200,000 bytes in the last millisecond): 1 MiB fills in 5.2 ms, so the 1 ms cap.
    EXPECT_EQ(pacer.pause_ns(200000, 1000000), 1000000);
    // 2 GB/s: 1 MiB fills in 524 us.
    EXPECT_EQ(pacer.pause_ns(2000000, 1000000), int64_t(1048576) * 1000000 / 2000000);
    // Nothing read: no wait (the loop blocks in poll instead); a zero cap never waits.
    EXPECT_EQ(pacer.pause_ns(0, 1000000), 0);
    EXPECT_EQ(ReceivePacer(0, 8 << 20).pause_ns(1000, 1000000), 0);
    // A small buffer (the kernel's default 208 KiB) keeps the wait short at high rates.
    EXPECT_EQ(ReceivePacer(1000000, 212992).pause_ns(2000000, 1000000), int64_t(212992 / 8) * 1000000 / 2000000);
    // A long idle gap before a few bytes does not overflow, and is capped.
    EXPECT_EQ(pacer.pause_ns(1, INT64_MAX), 1000000);
    // A clock that went backwards counts as no time: no wait.
    EXPECT_EQ(pacer.pause_ns(1000, -5), 0);
}

}  // namespace
}  // namespace iotwatch
