#include "flows/template_cache.h"

namespace iotwatch {

void TemplateCache::put(const TemplateKey& key, FlowTemplate t) {
    bool inserted = false;
    uint32_t& pos = index_.find_or_insert(key, inserted);
    if (inserted) {
        pos = uint32_t(templates_.size()) + 1;
        templates_.push_back(std::move(t));
        ++live_;
        return;
    }
    FlowTemplate& slot = templates_[pos - 1];
    if (slot.fields.empty()) ++live_;
    slot = std::move(t);
}

void TemplateCache::withdraw(const TemplateKey& key) {
    const uint32_t* pos = index_.find(key);
    if (!pos) return;
    FlowTemplate& slot = templates_[*pos - 1];
    if (!slot.fields.empty()) --live_;
    slot = FlowTemplate{};
}

void TemplateCache::withdraw_exporter(const IpAddress& exporter, uint8_t version) {
    index_.for_each([&](const TemplateKey& k, const uint32_t& pos) {
        if (k.exporter == exporter && k.version == version) {
            FlowTemplate& slot = templates_[pos - 1];
            if (!slot.fields.empty()) --live_;
            slot = FlowTemplate{};
        }
    });
}

const FlowTemplate* TemplateCache::find(const TemplateKey& key) const {
    const uint32_t* pos = index_.find(key);
    if (!pos) return nullptr;
    const FlowTemplate& t = templates_[*pos - 1];
    return t.fields.empty() ? nullptr : &t;
}

}  // namespace iotwatch
