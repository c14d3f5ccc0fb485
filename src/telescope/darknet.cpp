#include "telescope/darknet.h"

#include <algorithm>

#include "core/error.h"

namespace iotwatch {

Darknet::Darknet(std::vector<SensorConfig> sensors) : sensors_(std::move(sensors)) {
    std::vector<std::pair<Prefix, std::string>> all;
    for (uint32_t s = 0; s < sensors_.size(); ++s) {
        if (sensors_[s].prefixes.empty())
            throw ConfigError("sensor '" + sensors_[s].name + "' has no darknet prefixes");
        for (const auto& p : sensors_[s].prefixes) {
            for (const auto& [q, owner] : all)
                if (q.overlaps(p))
                    throw ConfigError("darknet prefix " + p.to_string() + " (sensor '" + sensors_[s].name +
                                      "') overlaps " + q.to_string() + " (sensor '" + owner + "')");
            all.emplace_back(p, sensors_[s].name);
            if (p.is_v4()) {
                uint32_t first = p.network().v4_value();
                uint32_t last = first + static_cast<uint32_t>(p.size() - 1);
                v4_ranges_.push_back({first, last, s, 0});
                ipv4_size_ += p.size();
            } else {
                v6_ranges_.push_back({p, s});
            }
        }
    }
    // Dense bases follow address order so indexes are stable whatever the configuration order.
    std::sort(v4_ranges_.begin(), v4_ranges_.end(), [](auto& a, auto& b) { return a.first < b.first; });
    uint64_t base = 0;
    for (auto& r : v4_ranges_) {
        r.dense_base = base;
        base += uint64_t(r.last - r.first) + 1;
    }
    std::stable_sort(v4_ranges_.begin(), v4_ranges_.end(),
                     [](auto& a, auto& b) { return a.last - a.first > b.last - b.first; });
}

double Darknet::extrapolation_factor() const {
    return ipv4_size_ == 0 ? 0.0 : 4294967296.0 / static_cast<double>(ipv4_size_);
}

std::string Darknet::describe() const {
    std::string out;
    for (const auto& s : sensors_)
        for (const auto& p : s.prefixes) {
            if (!out.empty()) out += ", ";
            out += p.to_string() + " (" + s.name + ")";
        }
    return out;
}

}  // namespace iotwatch
