// TemplateCache: NetFlow v9 and IPFIX (options) templates keyed by (exporter, observation domain,
// template id, version), as RFC 7011 8 and RFC 3954 require: two exporters or two domains of one
// exporter may use the same id for different layouts. A new template with a known key replaces the
// old one; an IPFIX withdrawal (field count 0) removes it.
#pragma once
#include <cstdint>
#include <vector>

#include "core/flat_table.h"
#include "core/ip_address.h"

namespace iotwatch {

/// IPFIX field length meaning "variable length, encoded in the record" (RFC 7011 7).
inline constexpr uint16_t kVariableLength = 0xFFFF;

struct TemplateField {
    uint16_t id = 0;          // information element id, enterprise bit cleared
    uint16_t length = 0;      // bytes, or kVariableLength
    uint32_t enterprise = 0;  // 0: IANA element
};

struct FlowTemplate {
    std::vector<TemplateField> fields;
    uint16_t scope_fields = 0;  // leading fields that are scope (options templates)
    bool options = false;
    /// Smallest number of bytes one record can take (a variable-length field counts 1): a set's
    /// remainder shorter than this is padding. Never 0 for a stored template.
    uint32_t min_record_length = 0;
    /// DataSetDecoder's fast path for templates without variable-length fields (compiled by
    /// DataSetDecoder::compile when the template is stored): the fields it reads, at their fixed
    /// offsets in records of `fixed_length` bytes. fixed_length 0: no fast path.
    struct PlanStep {
        uint16_t offset = 0;
        uint16_t length = 0;
        uint16_t id = 0;
    };
    std::vector<PlanStep> plan;
    uint32_t fixed_length = 0;
};

struct TemplateKey {
    IpAddress exporter;
    uint32_t domain = 0;
    uint16_t id = 0;
    uint8_t version = 0;  // 0 only in the table's empty key
    bool operator==(const TemplateKey&) const = default;
};

struct TemplateKeyHash {
    uint64_t operator()(const TemplateKey& k) const {
        return k.exporter.hash() ^ MixHash()(uint64_t(k.domain) << 24 | uint64_t(k.id) << 8 | k.version);
    }
};

class TemplateCache {
public:
    TemplateCache() : index_(TemplateKey{}, 64) {}
    /// Stores (or replaces) a template. Its min_record_length must be > 0.
    void put(const TemplateKey& key, FlowTemplate t);
    /// Removes a template (IPFIX withdrawal); unknown keys are ignored.
    void withdraw(const TemplateKey& key);
    /// Removes every template of `exporter` for protocol `version` (an IPFIX TCP session ended:
    /// its templates were scoped to the session, RFC 7011 section 8).
    void withdraw_exporter(const IpAddress& exporter, uint8_t version);
    /// The template or nullptr. Valid until the next put().
    const FlowTemplate* find(const TemplateKey& key) const;
    size_t size() const { return live_; }

private:
    FlatTable<TemplateKey, uint32_t, TemplateKeyHash> index_;  // key -> position + 1 in templates_
    std::vector<FlowTemplate> templates_;  // a withdrawn template keeps its slot with no fields
    size_t live_ = 0;
};

}  // namespace iotwatch
