#include "survey/survey_scope.h"

#include <algorithm>

#include "core/error.h"

namespace iotwatch {
namespace {

using Interval = SurveyScope::Interval;

using U128 = SurveyScope::U128;

U128 value(const IpAddress& a) { return (U128(a.hi()) << 64) | a.lo(); }
IpAddress address(U128 v) { return IpAddress::from_halves(uint64_t(v >> 64), uint64_t(v)); }

SurveyScope::Interval to_interval(const Prefix& p) {
    const U128 first = value(p.network());
    const unsigned host_bits = 128 - p.length128();
    const U128 span = host_bits == 128 ? ~U128(0) : (U128(1) << host_bits) - 1;
    return {first, first + span};
}

std::vector<Interval> merge(std::vector<Interval> v) {
    std::sort(v.begin(), v.end(), [](const Interval& a, const Interval& b) { return a.first < b.first; });
    std::vector<Interval> out;
    for (const auto& i : v) {
        if (!out.empty() && (out.back().last == ~U128(0) || i.first <= out.back().last + 1))
            out.back().last = std::max(out.back().last, i.last);
        else
            out.push_back(i);
    }
    return out;
}

uint64_t count(const std::vector<Interval>& v) {
    uint64_t n = 0;
    for (const auto& i : v) n += uint64_t(i.last - i.first) + 1;
    return n;
}

}  // namespace

SurveyScope::SurveyScope(const std::vector<Prefix>& allow, BlockList block, bool loopback_test)
    : block_(std::move(block)), loopback_test_(loopback_test) {
    std::vector<Interval> a;
    for (const auto& p : allow) {
        if (!p.is_v4() && p.length128() < 96)
            throw ConfigError("allow-list entry " + p.to_string() +
                              ": an IPv6 entry must be a /96 or longer (the survey probes address by address: list "
                              "the IPv6 devices, it never sweeps a whole /64)");
        if (loopback_test && !BlockList::is_loopback(p))
            throw ConfigError("--loopback-test: allow-list entry " + p.to_string() +
                              " is outside 127.0.0.0/8 and ::1 (a loopback test campaign may reach only this machine)");
        a.push_back(to_interval(p));
    }
    if (a.empty()) throw ConfigError("the survey allow-list is empty (--orgs or --allow): there are no default targets");
    allow_ = merge(std::move(a));

    std::vector<Interval> blocks;
    for (const auto& e : block_.entries()) {
        if (loopback_test && BlockList::is_builtin_loopback(e)) continue;
        blocks.push_back(to_interval(e.prefix));
    }
    blocks = merge(std::move(blocks));
    // allow minus blocks: both sorted and disjoint, one sweep.
    size_t j = 0;
    for (const auto& iv : allow_) {
        U128 cur = iv.first;
        while (j < blocks.size() && blocks[j].last < cur) ++j;
        size_t k = j;
        for (;;) {
            if (k < blocks.size() && blocks[k].first <= iv.last) {
                if (blocks[k].first > cur) intervals_.push_back({cur, blocks[k].first - 1});
                if (blocks[k].last >= iv.last) break;  // blocked to the end of this allow interval
                cur = std::max(cur, blocks[k].last + 1);
                ++k;
            } else {
                intervals_.push_back({cur, iv.last});
                break;
            }
        }
    }
    uint64_t total = 0;
    const Interval mapped = to_interval(*Prefix::parse("0.0.0.0/0"));  // IPv4, stored IPv4-mapped
    for (const auto& i : intervals_) {
        cumulative_.push_back(total);
        const uint64_t n = uint64_t(i.last - i.first) + 1;
        total += n;
        if (i.last < mapped.first || i.first > mapped.last) v6_ += n;
    }
    size_ = total;
    blocked_ = count(allow_) - size_;
    if (size_ == 0) throw ConfigError("every address of the survey allow-list is on the block list: nothing to survey");
}

std::vector<Prefix> SurveyScope::from_registry(const OrganisationRegistry& reg, const std::vector<std::string>& org_ids) {
    std::vector<Prefix> out;
    for (const auto& id : org_ids)
        if (reg.find(id) == OrganisationRegistry::kNone) throw ConfigError("--org: no organisation '" + id + "' in the registry");
    for (const auto& o : reg.organisations()) {
        if (!org_ids.empty() && std::find(org_ids.begin(), org_ids.end(), o.id) == org_ids.end()) continue;
        out.insert(out.end(), o.prefixes.begin(), o.prefixes.end());
    }
    return out;
}

std::vector<Prefix> SurveyScope::load_allow_file(const std::string& path) {
    // Same format as an opt-out file: reuse its parser and keep the prefixes.
    BlockList tmp;
    tmp.add_file(path);
    std::vector<Prefix> out;
    for (const auto& e : tmp.entries()) out.push_back(e.prefix);
    return out;
}

bool SurveyScope::permits(const IpAddress& a) const {
    const U128 v = value(a);
    auto it = std::upper_bound(intervals_.begin(), intervals_.end(), v,
                               [](U128 x, const Interval& i) { return x < i.first; });
    if (it == intervals_.begin()) return false;
    --it;
    if (v > it->last) return false;
    // Defence in depth: the block list is consulted again, not only at construction.
    return !block_.blocks(a, loopback_test_);
}

IpAddress SurveyScope::at(uint64_t i) const {
    auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), i);
    const size_t k = size_t(it - cumulative_.begin()) - 1;
    return address(intervals_[k].first + (i - cumulative_[k]));
}

}  // namespace iotwatch
