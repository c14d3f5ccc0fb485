// PrefixTable: longest-prefix match over IPv4 and IPv6 prefixes (placeholder; replaced by the
// flattened-interval table of the enrichment work).
#pragma once
#include <cstdint>
#include <vector>

#include "core/prefix.h"

namespace iotwatch {

class PrefixTable {
public:
    static constexpr uint32_t kNoMatch = UINT32_MAX;
    void add(const Prefix& prefix, uint32_t value);
    void build();
    uint32_t lookup(const IpAddress& a) const { return lookup(a, nullptr); }
    uint32_t lookup(const IpAddress& a, Prefix* matched) const;
    size_t size() const { return entries_.size(); }

private:
    std::vector<std::pair<Prefix, uint32_t>> entries_;
};

}  // namespace iotwatch
