#include "enrich/prefix_table.h"

namespace iotwatch {

void PrefixTable::add(const Prefix& prefix, uint32_t value) {
    for (auto& e : entries_)
        if (e.first == prefix) {
            e.second = value;
            return;
        }
    entries_.push_back({prefix, value});
}

void PrefixTable::build() {}

uint32_t PrefixTable::lookup(const IpAddress& a, Prefix* matched) const {
    const std::pair<Prefix, uint32_t>* best = nullptr;
    for (const auto& e : entries_)
        if (e.first.contains(a) && (!best || e.first.length128() > best->first.length128())) best = &e;
    if (!best) return kNoMatch;
    if (matched) *matched = best->first;
    return best->second;
}

}  // namespace iotwatch
