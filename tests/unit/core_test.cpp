#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <random>
#include <vector>

#include "core/bit_stream.h"
#include "core/byte_buffer.h"
#include "core/flat_table.h"
#include "core/ip_address.h"
#include "core/prefix.h"
#include "core/radix_sort.h"
#include "core/timestamp.h"

using namespace iotwatch;

TEST(IpAddress, ParsesAndPrintsBothFamilies) {
    auto a = IpAddress::parse("192.0.2.1");
    ASSERT_TRUE(a);
    EXPECT_TRUE(a->is_v4());
    EXPECT_EQ(a->v4_value(), 0xC0000201u);
    EXPECT_EQ(a->to_string(), "192.0.2.1");
    auto b = IpAddress::parse("2001:db8::1");
    ASSERT_TRUE(b);
    EXPECT_FALSE(b->is_v4());
    EXPECT_EQ(b->to_string(), "2001:db8::1");
    EXPECT_FALSE(IpAddress::parse("300.1.1.1"));
    EXPECT_FALSE(IpAddress::parse(""));
    EXPECT_NE(a->hash(), b->hash());
}

// IPv4 text is formatted by hand (not inet_ntop): the same text as inet_ntop for every octet
// value in every position, and for random addresses; each parses back to the address.
TEST(IpAddress, Ipv4TextIsInetNtopsText) {
    std::vector<uint32_t> values = {0u, 0xFFFFFFFFu, 0x01020304u, 0x0A000064u, 0xC0A80001u};
    for (uint32_t octet = 0; octet < 256; ++octet)
        for (int shift = 0; shift < 32; shift += 8) values.push_back(octet << shift | 0x01010101u);
    std::mt19937 rng(3);
    for (int i = 0; i < 100000; ++i) values.push_back(rng());
    for (uint32_t v : values) {
        const uint32_t be = htonl(v);
        char want[INET_ADDRSTRLEN];
        ASSERT_NE(inet_ntop(AF_INET, &be, want, sizeof want), nullptr);
        const IpAddress a = IpAddress::v4(v);
        ASSERT_EQ(a.to_string(), want) << std::hex << v;
        ASSERT_EQ(IpAddress::parse(want), a);
    }
}

TEST(Prefix, ContainsAndRejectsHostBits) {
    auto p = Prefix::parse("198.18.0.0/15");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->length(), 15u);
    EXPECT_EQ(p->size(), 131072u);
    EXPECT_TRUE(p->contains(*IpAddress::parse("198.19.255.255")));
    EXPECT_FALSE(p->contains(*IpAddress::parse("198.20.0.0")));
    EXPECT_EQ(p->offset_of(*IpAddress::parse("198.19.0.1")), 65537u);
    std::string err;
    EXPECT_FALSE(Prefix::parse("198.18.0.1/15", &err));
    EXPECT_NE(err.find("host bits"), std::string::npos);
    EXPECT_FALSE(Prefix::parse("10.0.0.0/33", &err));
    auto v6 = Prefix::parse("2001:db8::/32");
    ASSERT_TRUE(v6);
    EXPECT_TRUE(v6->contains(*IpAddress::parse("2001:db8:1::5")));
    EXPECT_FALSE(v6->contains(*IpAddress::parse("198.18.0.1")));
    EXPECT_FALSE(p->contains(*IpAddress::parse("2001:db8::1")));
    EXPECT_TRUE(Prefix::parse("0.0.0.0/0")->contains(*IpAddress::parse("8.8.8.8")));
    EXPECT_FALSE(Prefix::parse("0.0.0.0/0")->contains(*IpAddress::parse("2001:db8::1")));
}

TEST(Timestamp, FormatsAndParsesUtc) {
    auto t = parse_utc("2026-11-24T15:05:36Z");
    ASSERT_TRUE(t);
    EXPECT_EQ(format_utc(*t), "2026-11-24T15:05:36Z");
    EXPECT_EQ(format_utc_day(*t), "2026-11-24");
    EXPECT_EQ(bin_start_seconds(*t, 86400) % 86400, 0);
    EXPECT_EQ(format_utc(*parse_utc("1970-01-01")), "1970-01-01T00:00:00Z");
    EXPECT_EQ(format_utc(*parse_utc("2024-02-29T23:59:59.123456789Z"), 9), "2024-02-29T23:59:59.123456789Z");
    EXPECT_FALSE(parse_utc("2026-13-01"));
    EXPECT_FALSE(parse_utc("yesterday"));
}

TEST(ByteBuffer, VarintsRoundTripAndCorruptionIsAnError) {
    ByteWriter w;
    const uint64_t values[] = {0, 1, 127, 128, 300, 1ull << 32, ~0ull};
    for (uint64_t v : values) w.put_varint(v);
    EXPECT_EQ(w.data().size(), 1u + 1 + 1 + 2 + 2 + 5 + 10);
    ByteReader r(w.data(), "test");
    for (uint64_t v : values) EXPECT_EQ(r.get_varint(), v);
    EXPECT_TRUE(r.at_end());
    const std::string cut = w.data().substr(0, w.data().size() - 1);  // ends inside the last varint
    ByteReader r2(cut, "test");
    for (int i = 0; i < 6; ++i) r2.get_varint();
    EXPECT_THROW(r2.get_varint(), InputError);
    const std::string too_long(11, '\xff');
    ByteReader r3(too_long, "test");
    EXPECT_THROW(r3.get_varint(), InputError);
}

// radix_sort equals a stable sort by key, in cache and above the cache threshold (where it splits
// by the top digit first), for keys shaped like the telescope's (id << 32 | index) and for keys
// with few, scattered or no varying bits; the payload of equal keys keeps its order.
TEST(RadixSort, EqualsStableSortForEveryKeyShape) {
    struct Item {
        uint64_t key;
        uint64_t seq;
    };
    std::mt19937_64 rng(7);
    const std::vector<size_t> sizes = {0, 1, 2, 3, 1000, 16384, 70000, 1100000};
    const std::vector<std::function<uint64_t()>> shapes = {
        [&] { return (rng() % 130000) << 32 | (rng() % 65536); },   // (source id, dense destination)
        [&] { return rng(); },                                       // every bit
        [&] { return rng() % 1500; },                                // one digit
        [&] { return (rng() & 1) << 63 | (rng() & 1) << 5; },        // two scattered bits
        [&] { return uint64_t(42); },                                // none
        [&] { return (rng() % 64) << 40; },                          // high bits only
        [&] { return rng() % 2 ? rng() : rng() % 1000; },            // skewed: one big bucket, many small
        [&] { return rng() % (1u << 24); },                          // a pair log entry: two 12-bit digits
        [&] { return (rng() % 4096) << 3; },                         // one 12-bit digit
        [&] { return (rng() % (1u << 25)) << 7 | (rng() & 1); },     // 26 bits, a gap above the lowest
    };
    for (size_t n : sizes) {
        for (size_t s = 0; s < shapes.size(); ++s) {
            std::vector<Item> v(n), tmp;
            for (size_t i = 0; i < n; ++i) v[i] = {shapes[s](), i};
            auto expect = v;
            std::stable_sort(expect.begin(), expect.end(), [](const Item& a, const Item& b) { return a.key < b.key; });
            radix_sort(v, tmp, [](const Item& x) { return x.key; });
            ASSERT_EQ(v.size(), n);
            for (size_t i = 0; i < n; ++i) {
                ASSERT_EQ(v[i].key, expect[i].key) << "n=" << n << " shape=" << s << " i=" << i;
                ASSERT_EQ(v[i].seq, expect[i].seq) << "n=" << n << " shape=" << s << " i=" << i;
            }
            std::vector<uint64_t> keys(n), scratch;
            for (size_t i = 0; i < n; ++i) keys[i] = shapes[s]();
            auto sorted = keys;
            std::sort(sorted.begin(), sorted.end());
            radix_sort(keys, scratch, [](uint64_t k) { return k; });
            ASSERT_EQ(keys, sorted) << "n=" << n << " shape=" << s;
        }
    }
}

// Bit streams round-trip mixed codes (plain bits, unary past 32, Exp-Golomb, Rice with every
// parameter), and a reader fails with an InputError, not a wrong value, on a stream cut short or a
// unary run past its limit.
TEST(BitStream, RoundTripsAndFailsOnDamage) {
    std::mt19937_64 rng(17);
    struct Item {
        int kind;
        uint64_t v;
        int k;
    };
    std::vector<Item> items;
    for (int i = 0; i < 20000; ++i) {
        const int kind = int(rng() % 4), k = int(rng() % 32);
        uint64_t v = rng() >> (rng() % 64);
        if (kind == 0) v &= (uint64_t(1) << k) - 1;     // plain k bits
        if (kind == 1) v %= 100;                         // unary
        if (kind == 2) v &= 0xFFFFFFFFu;                 // Exp-Golomb (< 2^32)
        if (kind == 3) v = (rng() % 70) << k | (v & ((uint64_t(1) << k) - 1));  // Rice, quotient < 70
        items.push_back({kind, v, k});
    }
    ByteWriter w;
    {
        BitWriter bits(w);
        for (const Item& it : items) {
            if (it.kind == 0) bits.put(it.v, it.k);
            if (it.kind == 1) bits.put_unary(it.v);
            if (it.kind == 2) bits.put_exp_golomb(it.v);
            if (it.kind == 3) bits.put_rice(it.v, it.k);
        }
        bits.finish();
    }
    const std::string blob = w.data();
    {
        // put_rice() writes both parts at once when they fit: the same bits as unary then k bits.
        ByteWriter fast, slow;
        BitWriter f(fast), s(slow);
        for (const Item& it : items) {
            if (it.kind != 3) continue;
            f.put_rice(it.v, it.k);
            s.put_unary(it.v >> it.k);
            if (it.k) s.put(it.v, it.k);
        }
        f.finish();
        s.finish();
        EXPECT_EQ(fast.data(), slow.data());
    }
    {
        ByteReader r(blob, "test");
        BitReader bits(r, r.get_bytes(blob.size()), blob.size());
        for (const Item& it : items) {
            uint64_t got = 0;
            if (it.kind == 0) got = bits.get(it.k);
            if (it.kind == 1) got = bits.get_unary(100);
            if (it.kind == 2) got = bits.get_exp_golomb();
            if (it.kind == 3) got = bits.get_rice(it.k, 70);
            ASSERT_EQ(got, it.v) << "kind " << it.kind << " k " << it.k;
        }
    }
    {
        ByteReader r(blob, "test");
        const size_t half = blob.size() / 2;
        BitReader bits(r, r.get_bytes(half), half);
        auto read_all = [&] {
            for (const Item& it : items) {
                if (it.kind == 0) bits.get(it.k);
                if (it.kind == 1) bits.get_unary(100);
                if (it.kind == 2) bits.get_exp_golomb();
                if (it.kind == 3) bits.get_rice(it.k, 70);
            }
        };
        EXPECT_THROW(read_all(), InputError);
    }
    ByteWriter ones;
    {
        BitWriter bits(ones);
        bits.put_unary(50);
        bits.finish();
    }
    const std::string u = ones.data();
    ByteReader r(u, "test");
    BitReader bits(r, r.get_bytes(u.size()), u.size());
    EXPECT_THROW(bits.get_unary(49), InputError);
}

// The table doubles at its configured load, its slots keep the requested alignment, and every
// entry survives the growths (the source table runs at 50%, the others at the default 75%).
TEST(FlatTable, GrowsAtItsMaxLoadAndKeepsEveryEntry) {
    struct Big {
        uint64_t v[13] = {};
    };
    FlatTable<uint64_t, Big, MixHash, 64> half(~0ULL, 16, MixHash(), 50);
    FlatTable<uint64_t, uint64_t, MixHash> dflt(~0ULL, 16);
    static_assert(sizeof(decltype(half)::Slot) == 128 && alignof(decltype(half)::Slot) == 64);
    for (uint64_t k = 0; k < 1000; ++k) {
        half[k].v[0] = k * 3;
        dflt[k] = k * 5;
        EXPECT_LE(half.size() * 100, half.capacity() * 50);
        EXPECT_LE(dflt.size() * 100, dflt.capacity() * 75);
    }
    EXPECT_EQ(half.capacity(), 2048u);  // 1000 > 50% of 1024
    EXPECT_EQ(dflt.capacity(), 2048u);  // 1000 > 75% of 1024 too; 700 would not be
    for (uint64_t k = 0; k < 1000; ++k) {
        ASSERT_NE(half.find(k), nullptr);
        EXPECT_EQ(half.find(k)->v[0], k * 3);
        EXPECT_EQ(reinterpret_cast<uintptr_t>(half.find(k)) % 64, 8u);  // the value follows the 8-byte key
        EXPECT_EQ(*dflt.find(k), k * 5);
    }
    EXPECT_EQ(half.find(5000), nullptr);
    FlatTable<uint64_t, uint64_t, MixHash> three_quarters(~0ULL, 16), a_half(~0ULL, 16, MixHash(), 50);
    for (uint64_t k = 0; k < 700; ++k) three_quarters[k] = a_half[k] = k;
    EXPECT_EQ(three_quarters.capacity(), 1024u);
    EXPECT_EQ(a_half.capacity(), 2048u);
}

// retain_if() drops what its predicate rejects and keeps the rest findable with their values,
// after the rebuild shrinks the table; later inserts of dropped keys start from a fresh value.
TEST(FlatTable, RetainIfKeepsOnlyWhatThePredicateAccepts) {
    FlatTable<uint64_t, std::vector<uint64_t>, MixHash> table(~0ULL, 16);
    for (uint64_t k = 0; k < 10000; ++k) table[k].assign(k % 5 + 1, k);
    const size_t before = table.capacity();
    table.retain_if([](const uint64_t& k, const std::vector<uint64_t>& v) { return k % 100 == 7 && v.size() == 3; });
    EXPECT_EQ(table.size(), 100u);
    EXPECT_LT(table.capacity(), before);
    for (uint64_t k = 0; k < 10000; ++k) {
        const std::vector<uint64_t>* v = table.find(k);
        if (k % 100 != 7) {
            EXPECT_EQ(v, nullptr) << k;
            continue;
        }
        ASSERT_NE(v, nullptr) << k;
        EXPECT_EQ(*v, std::vector<uint64_t>(3, k));
    }
    EXPECT_TRUE(table[8].empty());  // dropped: a fresh value
    EXPECT_EQ(table.size(), 101u);
}

// Large blocks are 2 MB-aligned (a transparent huge page can back them) and usable end to end;
// small ones are cache-line aligned. A table grown past the threshold keeps every entry, its slot
// alignment and finds them (the huge-page path is taken: 32768 slots x 128 B = 4 MB).
TEST(HugePageAllocator, AlignsLargeBlocksToHugePagesAndSmallOnesToCacheLines) {
    HugePageAllocator<uint64_t> alloc;
    const size_t big = (3u << 20) / sizeof(uint64_t) + 1;  // just over 3 MB: rounded up to 4 MB
    ASSERT_TRUE(alloc.huge(big));
    uint64_t* p = alloc.allocate(big);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % HugePageAllocator<uint64_t>::kHugePage, 0u);
    for (size_t i = 0; i < big; ++i) p[i] = i;
    uint64_t sum = 0;
    for (size_t i = 0; i < big; ++i) sum += p[i];
    EXPECT_EQ(sum, uint64_t(big) * (big - 1) / 2);
    alloc.deallocate(p, big);
    ASSERT_FALSE(alloc.huge(100));
    uint64_t* q = alloc.allocate(100);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(q) % 64, 0u);
    alloc.deallocate(q, 100);
    EXPECT_THROW(alloc.allocate(size_t(-1) / 4), std::bad_array_new_length);

    struct Big {
        uint64_t v[15] = {};
    };
    FlatTable<uint64_t, Big, MixHash, 64> table(~0ULL, 16, MixHash(), 50);
    for (uint64_t k = 0; k < 10000; ++k) table[k * 7919].v[14] = k;
    EXPECT_EQ(table.capacity(), 32768u);
    ASSERT_TRUE(HugePageAllocator<decltype(table)::Slot>::huge(table.capacity()));
    for (uint64_t k = 0; k < 10000; ++k) {
        const Big* b = table.find(k * 7919);
        ASSERT_NE(b, nullptr);
        EXPECT_EQ(b->v[14], k);
        EXPECT_EQ(reinterpret_cast<uintptr_t>(b) % 64, 8u);
    }
}
