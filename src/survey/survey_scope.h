// SurveyScope: the exact set of addresses a campaign may probe: the allow-list (an organisation
// registry's prefixes, or an explicit file of CIDRs) minus the BlockList, as sorted disjoint
// intervals of the 128-bit address space (IPv4 as IPv4-mapped, so both families share one order).
// IPv6 entries are enumerated address by address, so each must be a /96 or longer (at most 2^32
// addresses): IPv6 devices are surveyed from a list of their addresses or small ranges (a
// hitlist), never by sweeping a /64. There is no default: an empty allow-list is a ConfigError. Every address the
// engine is about to connect to is checked again with permits() before a socket is opened.
//
// A loopback test campaign (`loopback_test`) must have its whole allow-list inside 127.0.0.0/8 or
// ::1 (else ConfigError); only then are the loopback block entries lifted. A normal campaign can never
// reach loopback, and a loopback campaign can reach nothing else.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/prefix.h"
#include "enrich/organisation_registry.h"
#include "survey/block_list.h"

namespace iotwatch {

class SurveyScope {
public:
    using U128 = unsigned __int128;
    struct Interval {
        U128 first = 0, last = 0;  // inclusive, 128-bit address values (IPv4-mapped for IPv4)
    };

    /// Builds the scope. Throws ConfigError when the allow-list is empty, when an IPv6 entry is
    /// shorter than /96, when nothing is left after the block list, or when `loopback_test` and an
    /// allow entry is outside 127/8 and ::1.
    SurveyScope(const std::vector<Prefix>& allow, BlockList block, bool loopback_test);

    /// The prefixes of the registry's organisations (all, or those whose id is in `org_ids`).
    /// Throws ConfigError naming an unknown id.
    static std::vector<Prefix> from_registry(const OrganisationRegistry& reg, const std::vector<std::string>& org_ids);
    /// CIDRs from an allow-list file (one per line, '#' comments). Throws InputError (file, offset).
    static std::vector<Prefix> load_allow_file(const std::string& path);

    /// True when `a` is in the allow-list and not blocked: the last check before connect().
    bool permits(const IpAddress& a) const;
    /// Number of addresses in scope.
    uint64_t size() const { return size_; }
    /// The i-th address in scope (0 <= i < size()), in address order.
    IpAddress at(uint64_t i) const;
    const std::vector<Interval>& intervals() const { return intervals_; }
    /// Addresses in scope that are IPv6.
    uint64_t v6_addresses() const { return v6_; }
    /// Addresses of the allow-list removed by the block list.
    uint64_t blocked() const { return blocked_; }
    bool loopback_test() const { return loopback_test_; }
    const BlockList& block_list() const { return block_; }

private:
    std::vector<Interval> allow_;      // merged allow-list
    std::vector<Interval> intervals_;  // allow minus block
    std::vector<uint64_t> cumulative_; // addresses before intervals_[i]
    BlockList block_;
    bool loopback_test_ = false;
    uint64_t size_ = 0, v6_ = 0, blocked_ = 0;
};

}  // namespace iotwatch
