#include "survey/survey_scope.h"

#include <algorithm>

#include "core/error.h"

namespace iotwatch {
namespace {

using Interval = SurveyScope::Interval;

SurveyScope::Interval to_interval(const Prefix& p) {
    const uint32_t first = p.network().v4_value();
    const uint32_t span = p.length() == 0 ? 0xFFFFFFFFu : uint32_t((uint64_t(1) << (32 - p.length())) - 1);
    return {first, first + span};
}

std::vector<Interval> merge(std::vector<Interval> v) {
    std::sort(v.begin(), v.end(), [](const Interval& a, const Interval& b) { return a.first < b.first; });
    std::vector<Interval> out;
    for (const auto& i : v) {
        if (!out.empty() && uint64_t(i.first) <= uint64_t(out.back().last) + 1)
            out.back().last = std::max(out.back().last, i.last);
        else
            out.push_back(i);
    }
    return out;
}

uint64_t count(const std::vector<Interval>& v) {
    uint64_t n = 0;
    for (const auto& i : v) n += uint64_t(i.last) - i.first + 1;
    return n;
}

}  // namespace

SurveyScope::SurveyScope(const std::vector<Prefix>& allow, BlockList block, bool loopback_test)
    : block_(std::move(block)), loopback_test_(loopback_test) {
    const Prefix lo = BlockList::loopback();
    std::vector<Interval> a;
    for (const auto& p : allow) {
        if (!p.is_v4()) {
            ++skipped_v6_;
            continue;
        }
        if (loopback_test && !(lo.contains(p.network()) && p.length() >= 8))
            throw ConfigError("--loopback-test: allow-list entry " + p.to_string() +
                              " is outside 127.0.0.0/8 (a loopback test campaign may reach only this machine)");
        a.push_back(to_interval(p));
    }
    if (a.empty()) throw ConfigError("the survey allow-list is empty (--orgs or --allow): there are no default targets");
    allow_ = merge(std::move(a));

    std::vector<Interval> blocks;
    for (const auto& e : block_.entries()) {
        if (!e.prefix.is_v4()) continue;
        if (loopback_test && e.prefix == lo && e.reason.rfind("RFC", 0) == 0) continue;
        blocks.push_back(to_interval(e.prefix));
    }
    blocks = merge(std::move(blocks));
    // allow minus blocks: both sorted and disjoint, one sweep.
    size_t j = 0;
    for (const auto& iv : allow_) {
        uint64_t cur = iv.first;
        while (j < blocks.size() && blocks[j].last < cur) ++j;
        size_t k = j;
        while (cur <= iv.last) {
            if (k < blocks.size() && blocks[k].first <= iv.last) {
                if (blocks[k].first > cur) intervals_.push_back({uint32_t(cur), blocks[k].first - 1});
                cur = std::max<uint64_t>(cur, uint64_t(blocks[k].last) + 1);
                ++k;
            } else {
                intervals_.push_back({uint32_t(cur), iv.last});
                break;
            }
        }
    }
    uint64_t total = 0;
    for (const auto& i : intervals_) {
        cumulative_.push_back(total);
        total += uint64_t(i.last) - i.first + 1;
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
    if (!a.is_v4()) return false;
    const uint32_t v = a.v4_value();
    auto it = std::upper_bound(intervals_.begin(), intervals_.end(), v,
                               [](uint32_t x, const Interval& i) { return x < i.first; });
    if (it == intervals_.begin()) return false;
    --it;
    if (v > it->last) return false;
    // Defence in depth: the block list is consulted again, not only at construction.
    return !block_.blocks(a, loopback_test_);
}

IpAddress SurveyScope::at(uint64_t i) const {
    auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), i);
    const size_t k = size_t(it - cumulative_.begin()) - 1;
    return IpAddress::v4(uint32_t(intervals_[k].first + (i - cumulative_[k])));
}

}  // namespace iotwatch
