// PrefixTable against a brute-force oracle: scan every prefix, keep the longest containing the address.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <stdexcept>
#include <vector>

#include "enrich/prefix_table.h"

using namespace iotwatch;

namespace {

struct Oracle {
    std::map<Prefix, uint32_t> prefixes;  // last value wins, like PrefixTable::add
    uint32_t lookup(const IpAddress& a, Prefix* matched) const {
        uint32_t value = PrefixTable::kNoMatch;
        int best = -1;
        for (const auto& [p, v] : prefixes) {
            if (p.contains(a) && int(p.length128()) > best) {
                best = int(p.length128());
                value = v;
                *matched = p;
            }
        }
        return value;
    }
};

Prefix pfx(const char* text) {
    auto p = Prefix::parse(text);
    if (!p) throw std::invalid_argument(text);
    return *p;
}
IpAddress addr(const char* text) { return *IpAddress::parse(text); }

// Random nested prefix sets: parents are drawn first, children are often carved out of an earlier
// prefix (so nesting is deep), sometimes the exact sibling of one (adjacent ranges), sometimes a
// duplicate with a new value.
class RandomPrefixes {
public:
    explicit RandomPrefixes(uint64_t seed, bool v6) : rng_(seed), v6_(v6) {}

    Prefix next(const std::vector<Prefix>& earlier) {
        const unsigned max_len = v6_ ? 128 : 32;
        std::uniform_int_distribution<int> pick(0, 9);
        const int kind = pick(rng_);
        if (!earlier.empty() && kind < 5) {  // nested inside or adjacent to an earlier prefix
            const Prefix& parent = earlier[rng_() % earlier.size()];
            if (parent.length() == max_len) return parent;
            std::uniform_int_distribution<unsigned> extra(1, std::min(max_len - parent.length(), 12u));
            const unsigned len = parent.length() + extra(rng_);
            Prefix child(random_address_in(parent), len);
            if (kind == 4) return sibling(child);
            return child;
        }
        if (!earlier.empty() && kind == 5) return earlier[rng_() % earlier.size()];  // duplicate
        std::uniform_int_distribution<unsigned> len(0, max_len);
        unsigned l = len(rng_);
        if (kind == 6) l = 0;
        if (kind == 7) l = max_len;
        return Prefix(random_address(), l);
    }

    IpAddress random_address() {
        if (!v6_) return IpAddress::v4(uint32_t(rng_()));
        // Half in 2001:db8::/32-ish space so that random prefixes collide, half anywhere.
        uint64_t hi = rng_(), lo = rng_();
        if (rng_() & 1) hi = 0x20010db800000000ULL | (hi & 0xFFFF);
        return IpAddress::from_halves(hi, lo);
    }
    IpAddress random_address_in(const Prefix& p) {
        const IpAddress r = random_address();
        const unsigned len = p.length128();
        auto keep = [](unsigned bits) { return bits == 0 ? 0 : bits >= 64 ? ~0ULL : ~0ULL << (64 - bits); };
        const uint64_t mhi = keep(len > 64 ? 64 : len), mlo = keep(len > 64 ? len - 64 : 0);
        uint64_t hi = (p.network().hi() & mhi) | (r.hi() & ~mhi);
        uint64_t lo = (p.network().lo() & mlo) | (r.lo() & ~mlo);
        return IpAddress::from_halves(hi, lo);
    }
    // The other half of the parent of p (same length, adjacent range).
    Prefix sibling(const Prefix& p) {
        const unsigned len = p.length128();
        if (len == 0) return p;
        uint64_t hi = p.network().hi(), lo = p.network().lo();
        if (len <= 64) hi ^= 1ULL << (64 - len);
        else lo ^= 1ULL << (128 - len);
        return Prefix(IpAddress::from_halves(hi, lo), p.length());
    }
    // Addresses at and just around the edges of p: first, last, one before, one after.
    std::vector<IpAddress> edges(const Prefix& p) {
        using u128 = unsigned __int128;
        const u128 first = (u128(p.network().hi()) << 64) | p.network().lo();
        const unsigned host = 128 - p.length128();
        const u128 last = first | (host == 128 ? ~u128(0) : (u128(1) << host) - 1);
        std::vector<IpAddress> out;
        for (u128 v : {first, last, first - 1, last + 1})
            out.push_back(IpAddress::from_halves(uint64_t(v >> 64), uint64_t(v)));
        return out;
    }
    std::mt19937_64& rng() { return rng_; }

private:
    std::mt19937_64 rng_;
    bool v6_;
};

void check_against_oracle(uint64_t seed, int n_prefixes, int n_lookups, bool mixed_families) {
    RandomPrefixes gen4(seed, false), gen6(seed + 1000, true);
    PrefixTable table;
    Oracle oracle;
    std::vector<Prefix> v4, v6;
    for (int i = 0; i < n_prefixes; ++i) {
        const bool six = mixed_families && (i % 3 == 0);
        Prefix p = six ? gen6.next(v6) : gen4.next(v4);
        (six ? v6 : v4).push_back(p);
        const uint32_t value = uint32_t(i);
        table.add(p, value);
        oracle.prefixes[p] = value;
    }
    table.build();
    ASSERT_EQ(table.size(), oracle.prefixes.size());

    std::vector<IpAddress> probes;
    for (const Prefix& p : v4) {
        for (const IpAddress& a : gen4.edges(p)) probes.push_back(a);
        probes.push_back(gen4.random_address_in(p));
    }
    for (const Prefix& p : v6) {
        for (const IpAddress& a : gen6.edges(p)) probes.push_back(a);
        probes.push_back(gen6.random_address_in(p));
    }
    for (int i = 0; i < n_lookups; ++i) {
        probes.push_back(gen4.random_address());
        if (mixed_families) probes.push_back(gen6.random_address());
    }
    probes.push_back(IpAddress::from_halves(0, 0));
    probes.push_back(IpAddress::from_halves(~0ULL, ~0ULL));
    probes.push_back(IpAddress::v4(0));
    probes.push_back(IpAddress::v4(UINT32_MAX));
    for (const IpAddress& a : probes) {
        Prefix want_prefix, got_prefix;
        const uint32_t want = oracle.lookup(a, &want_prefix);
        const uint32_t got = table.lookup(a, &got_prefix);
        ASSERT_EQ(got, want) << "address " << a.to_string() << " seed " << seed;
        ASSERT_EQ(table.lookup(a), want) << "address " << a.to_string();
        if (want != PrefixTable::kNoMatch) {
            ASSERT_EQ(got_prefix, want_prefix) << "address " << a.to_string() << " matched "
                                               << got_prefix.to_string() << " want " << want_prefix.to_string();
        }
    }
}

}  // namespace

TEST(PrefixTable, EmptyTableMatchesNothing) {
    PrefixTable t;
    t.build();
    EXPECT_EQ(t.size(), 0u);
    Prefix untouched = pfx("192.0.2.0/24");
    EXPECT_EQ(t.lookup(addr("10.1.2.3")), PrefixTable::kNoMatch);
    EXPECT_EQ(t.lookup(addr("2001:db8::1"), &untouched), PrefixTable::kNoMatch);
    EXPECT_EQ(untouched, pfx("192.0.2.0/24"));
}

TEST(PrefixTable, LongestPrefixWinsAndMatchedPrefixIsReported) {
    PrefixTable t;
    t.add(pfx("10.0.0.0/8"), 1);
    t.add(pfx("10.1.0.0/16"), 2);
    t.add(pfx("10.1.2.0/24"), 3);
    t.add(pfx("10.1.2.3/32"), 4);
    t.add(pfx("2001:db8::/32"), 5);
    t.add(pfx("2001:db8:0:1::/64"), 6);
    t.add(pfx("2001:db8:0:1::8/125"), 7);
    t.build();
    Prefix m;
    EXPECT_EQ(t.lookup(addr("10.200.0.1"), &m), 1u);
    EXPECT_EQ(m, pfx("10.0.0.0/8"));
    EXPECT_EQ(t.lookup(addr("10.1.9.9"), &m), 2u);
    EXPECT_EQ(t.lookup(addr("10.1.2.4"), &m), 3u);
    EXPECT_EQ(m, pfx("10.1.2.0/24"));
    EXPECT_EQ(t.lookup(addr("10.1.2.3"), &m), 4u);
    EXPECT_EQ(m, pfx("10.1.2.3/32"));
    EXPECT_EQ(t.lookup(addr("11.0.0.0")), PrefixTable::kNoMatch);
    EXPECT_EQ(t.lookup(addr("9.255.255.255")), PrefixTable::kNoMatch);
    EXPECT_EQ(t.lookup(addr("2001:db8:0:1::9"), &m), 7u);
    EXPECT_EQ(m, pfx("2001:db8:0:1::8/125"));
    EXPECT_EQ(t.lookup(addr("2001:db8:0:1::10")), 6u);
    EXPECT_EQ(t.lookup(addr("2001:db8:0:1::7")), 6u);
    EXPECT_EQ(t.lookup(addr("2001:db8:ffff::1")), 5u);
    EXPECT_EQ(t.lookup(addr("2001:db9::")), PrefixTable::kNoMatch);
    EXPECT_EQ(t.lookup(addr("::ffff:10.1.2.3")), 4u);  // the IPv4-mapped spelling is the same address
}

TEST(PrefixTable, DuplicateKeepsTheLastValue) {
    PrefixTable t;
    t.add(pfx("198.18.0.0/15"), 1);
    t.add(pfx("198.18.0.0/15"), 2);
    t.add(pfx("198.18.0.0/16"), 3);
    EXPECT_EQ(t.size(), 2u);
    t.build();
    EXPECT_EQ(t.size(), 2u);
    EXPECT_EQ(t.lookup(addr("198.19.1.1")), 2u);
    EXPECT_EQ(t.lookup(addr("198.18.1.1")), 3u);
}

TEST(PrefixTable, DefaultRoutesAndHostRoutes) {
    PrefixTable t;
    t.add(pfx("0.0.0.0/0"), 1);
    t.add(pfx("255.255.255.255/32"), 2);
    t.add(pfx("0.0.0.0/32"), 3);
    t.add(pfx("::/0"), 4);  // in the 128-bit space ::/0 also contains the IPv4-mapped block
    t.add(pfx("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128"), 5);
    t.add(pfx("::/128"), 6);
    t.build();
    EXPECT_EQ(t.lookup(addr("8.8.8.8")), 1u);
    EXPECT_EQ(t.lookup(addr("255.255.255.255")), 2u);
    EXPECT_EQ(t.lookup(addr("255.255.255.254")), 1u);
    EXPECT_EQ(t.lookup(addr("0.0.0.0")), 3u);
    EXPECT_EQ(t.lookup(addr("2001:db8::1")), 4u);
    EXPECT_EQ(t.lookup(addr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")), 5u);
    EXPECT_EQ(t.lookup(addr("::")), 6u);
    EXPECT_EQ(t.lookup(addr("::1")), 4u);
    EXPECT_EQ(t.lookup(addr("::fffe:ffff:ffff")), 4u);  // just below the IPv4-mapped block
    EXPECT_EQ(t.lookup(addr("::1:0:0:0")), 4u);         // just above it
}

TEST(PrefixTable, AdjacentRangesAndBucketEdges) {
    PrefixTable t;
    t.add(pfx("10.0.0.0/16"), 1);
    t.add(pfx("10.1.0.0/16"), 2);
    t.add(pfx("10.2.0.0/15"), 3);
    t.add(pfx("10.2.255.255/32"), 4);
    t.add(pfx("10.3.0.0/32"), 5);
    t.build();
    EXPECT_EQ(t.lookup(addr("10.0.255.255")), 1u);
    EXPECT_EQ(t.lookup(addr("10.1.0.0")), 2u);
    EXPECT_EQ(t.lookup(addr("10.1.255.255")), 2u);
    EXPECT_EQ(t.lookup(addr("10.2.0.0")), 3u);
    EXPECT_EQ(t.lookup(addr("10.2.255.255")), 4u);
    EXPECT_EQ(t.lookup(addr("10.3.0.0")), 5u);
    EXPECT_EQ(t.lookup(addr("10.3.0.1")), 3u);
    EXPECT_EQ(t.lookup(addr("10.4.0.0")), PrefixTable::kNoMatch);
}

TEST(PrefixTable, AddAfterBuildAndLookupBeforeBuildAreErrors) {
    PrefixTable t;
    t.add(pfx("10.0.0.0/8"), 1);
    EXPECT_THROW(t.lookup(addr("10.0.0.1")), std::logic_error);
    t.build();
    EXPECT_THROW(t.add(pfx("11.0.0.0/8"), 2), std::logic_error);
    t.build();  // a second build does nothing
    EXPECT_EQ(t.lookup(addr("10.0.0.1")), 1u);
}

TEST(PrefixTable, MatchesBruteForceOracleIPv4) {
    for (uint64_t seed = 1; seed <= 20; ++seed) check_against_oracle(seed, 300, 300, false);
}

TEST(PrefixTable, MatchesBruteForceOracleIPv6AndMixed) {
    for (uint64_t seed = 101; seed <= 120; ++seed) check_against_oracle(seed, 300, 300, true);
}

TEST(PrefixTable, MatchesBruteForceOracleLargerSet) { check_against_oracle(777, 3000, 2000, true); }
