#include "flows/pending_sets.h"

#include <algorithm>

namespace iotwatch {

void PendingSets::hold(PendingSet s, std::vector<PendingSet>& dropped) {
    bytes_ += s.bytes.size();
    sets_.push_back(std::move(s));
    while (!sets_.empty() && (sets_.size() > max_sets_ || bytes_ > max_bytes_)) {
        bytes_ -= sets_.front().bytes.size();
        dropped.push_back(std::move(sets_.front()));
        sets_.pop_front();
    }
}

std::vector<PendingSet> PendingSets::take(const TemplateKey& key) {
    std::vector<PendingSet> out;
    if (sets_.empty()) return out;
    // Few sets wait at any time (bounded), so a scan is cheaper than another index.
    auto keep = std::stable_partition(sets_.begin(), sets_.end(), [&](const PendingSet& s) { return !(s.key == key); });
    for (auto it = keep; it != sets_.end(); ++it) {
        bytes_ -= it->bytes.size();
        out.push_back(std::move(*it));
    }
    sets_.erase(keep, sets_.end());
    return out;
}

void PendingSets::expire(int64_t now_ns, std::vector<PendingSet>& dropped) {
    while (!sets_.empty() && sets_.front().received_ns < now_ns - hold_ns_) {
        bytes_ -= sets_.front().bytes.size();
        dropped.push_back(std::move(sets_.front()));
        sets_.pop_front();
    }
}

void PendingSets::drain(std::vector<PendingSet>& dropped) {
    for (auto& s : sets_) dropped.push_back(std::move(s));
    sets_.clear();
    bytes_ = 0;
}

}  // namespace iotwatch
