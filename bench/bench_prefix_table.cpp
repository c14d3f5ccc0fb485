// PrefixTable benchmark: longest-prefix-match lookups per second on one core, against a naive
// baseline measured in the same run (a sorted vector of prefixes, std::upper_bound on the network
// address, then a walk up the enclosing prefixes to the nearest one containing the address).
//
// Data: PREFIXES (default 500 k) random prefixes, ~92% IPv4 with a BGP-like length mix (mostly
// /16-/24) and ~8% IPv6 /32-/48; LOOKUPS (default 10 M) addresses, half inside a random added
// prefix, half uniformly random (same family mix). Both structures must return the same values
// (checked) before their times are printed. Each time is the best of 3 passes.
//
// usage: bench_prefix_table [PREFIXES [LOOKUPS]]
// Prints rows in bench/run.sh's format: name, lookups/s, ratio to the baseline.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "core/ip_address.h"
#include "core/prefix.h"
#include "enrich/prefix_table.h"
#include "bench_usage.h"

using namespace iotwatch;

namespace {

// The baseline: prefixes sorted by (network, length), each with the index of its nearest enclosing
// prefix. The last prefix whose network is <= the address is either the answer or nested in it, so
// walking its enclosing chain finds the longest containing prefix (at most 129 steps).
class SortedPrefixVector {
public:
    SortedPrefixVector(std::vector<std::pair<Prefix, uint32_t>> entries) {
        std::stable_sort(entries.begin(), entries.end(),
                         [](const auto& a, const auto& b) { return a.first < b.first; });
        for (size_t i = 0; i < entries.size(); ++i) {  // duplicates: keep the last added value
            if (!prefixes_.empty() && prefixes_.back() == entries[i].first) {
                values_.back() = entries[i].second;
                continue;
            }
            prefixes_.push_back(entries[i].first);
            values_.push_back(entries[i].second);
        }
        parent_.assign(prefixes_.size(), kNone);
        std::vector<uint32_t> open;
        for (uint32_t i = 0; i < prefixes_.size(); ++i) {
            while (!open.empty() && !prefixes_[open.back()].contains(prefixes_[i].network())) open.pop_back();
            if (!open.empty()) parent_[i] = open.back();
            open.push_back(i);
        }
        networks_.reserve(prefixes_.size());
        for (const auto& p : prefixes_) networks_.push_back(p.network());
    }
    uint32_t lookup(const IpAddress& a) const {
        auto it = std::upper_bound(networks_.begin(), networks_.end(), a);
        if (it == networks_.begin()) return PrefixTable::kNoMatch;
        uint32_t i = uint32_t(it - networks_.begin()) - 1;
        while (i != kNone && !prefixes_[i].contains(a)) i = parent_[i];
        return i == kNone ? PrefixTable::kNoMatch : values_[i];
    }

private:
    static constexpr uint32_t kNone = UINT32_MAX;
    std::vector<Prefix> prefixes_;
    std::vector<IpAddress> networks_;
    std::vector<uint32_t> values_;
    std::vector<uint32_t> parent_;
};

unsigned v4_length(std::mt19937_64& rng) {
    // Roughly the IPv4 routing table: over half /24, most of the rest /16-/23, very few shorter
    // (placed at random, a short prefix covers far more of the space than a real one would).
    const unsigned r = unsigned(rng() % 1000);
    if (r < 580) return 24;
    if (r < 680) return 23;
    if (r < 780) return 22;
    if (r < 840) return 21;
    if (r < 890) return 20;
    if (r < 998) return 16 + unsigned(rng() % 4);
    return 8 + unsigned(rng() % 8);
}

IpAddress random_v6(std::mt19937_64& rng) {
    // Global unicast 2000::/3.
    return IpAddress::from_halves((rng() >> 3) | 0x2000000000000000ULL, rng());
}

IpAddress random_inside(const Prefix& p, std::mt19937_64& rng) {
    const unsigned len = p.length128();
    auto keep = [](unsigned bits) { return bits == 0 ? 0 : bits >= 64 ? ~0ULL : ~0ULL << (64 - bits); };
    const uint64_t mhi = keep(len > 64 ? 64 : len), mlo = keep(len > 64 ? len - 64 : 0);
    return IpAddress::from_halves((p.network().hi() & mhi) | (rng() & ~mhi), (p.network().lo() & mlo) | (rng() & ~mlo));
}

template <typename F>
double best_seconds(F&& pass) {
    double best = 1e30;
    for (int i = 0; i < 3; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        pass();
        const std::chrono::duration<double> d = std::chrono::steady_clock::now() - t0;
        best = std::min(best, d.count());
    }
    return best;
}

}  // namespace

int main(int argc, char** argv) {
    handle_usage(argc, argv, "bench_prefix_table [PREFIXES] [LOOKUPS]");
    const size_t n_prefixes = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 500000;
    const size_t n_lookups = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 10000000;
    std::mt19937_64 rng(20260617);

    std::vector<std::pair<Prefix, uint32_t>> entries;
    entries.reserve(n_prefixes);
    for (size_t i = 0; i < n_prefixes; ++i) {
        if (rng() % 100 < 92)
            entries.emplace_back(Prefix(IpAddress::v4(uint32_t(rng())), v4_length(rng)), uint32_t(i));
        else
            entries.emplace_back(Prefix(random_v6(rng), 32 + unsigned(rng() % 17)), uint32_t(i));
    }
    std::vector<IpAddress> addresses;
    addresses.reserve(n_lookups);
    for (size_t i = 0; i < n_lookups; ++i) {
        if (i % 2 == 0) addresses.push_back(random_inside(entries[rng() % entries.size()].first, rng));
        else addresses.push_back(rng() % 100 < 92 ? IpAddress::v4(uint32_t(rng())) : random_v6(rng));
    }

    const auto b0 = std::chrono::steady_clock::now();
    PrefixTable table;
    for (const auto& [p, v] : entries) table.add(p, v);
    table.build();
    const std::chrono::duration<double> build_s = std::chrono::steady_clock::now() - b0;
    SortedPrefixVector naive(entries);

    size_t hits = 0;
    for (size_t i = 0; i < addresses.size(); ++i) {
        const uint32_t got = table.lookup(addresses[i]), want = naive.lookup(addresses[i]);
        if (got != want) {
            std::fprintf(stderr, "MISMATCH at %s: PrefixTable %u, baseline %u\n", addresses[i].to_string().c_str(),
                         got, want);
            return 1;
        }
        hits += got != PrefixTable::kNoMatch;
    }

    volatile uint64_t sink = 0;
    const double t_naive = best_seconds([&] {
        uint64_t s = 0;
        for (const auto& a : addresses) s += naive.lookup(a);
        sink = sink + s;
    });
    const double t_table = best_seconds([&] {
        uint64_t s = 0;
        for (const auto& a : addresses) s += table.lookup(a);
        sink = sink + s;
    });

    char title[96];
    std::snprintf(title, sizeof title, "prefix LPM, %zu k prefixes, %zu M lookups", table.size() / 1000,
                  n_lookups / 1000000);
    std::printf("%-44s %14s %10s\n", title, "lookups/s", "vs naive");
    const double n = double(addresses.size());
    std::printf("%-44s %14.0f %9.2fx\n", "sorted vector + binary search (baseline)", n / t_naive, 1.0);
    std::printf("%-44s %14.0f %9.2fx\n", "PrefixTable (enrich)", n / t_table, t_naive / t_table);
    std::printf("prefix table: %.1f%% of lookups matched, build %.2f s, %.1f MB\n", 100.0 * double(hits) / n,
                build_s.count(), double(table.memory_bytes()) / 1e6);
    return 0;
}
