// PopularDestinations: servers C&C scoring leaves out because everyone talks to them (DNS, NTP,
// public resolvers, CDNs): a TSV of prefixes or services ("udp/53") with a name and a source per
// entry (data/cnc-popular.tsv is compiled in; `--popular FILE` adds a network's own).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/prefix.h"

namespace iotwatch {

class PopularDestinations {
public:
    struct Entry {
        Prefix prefix;          // when not a service entry
        uint8_t protocol = 0;   // service entries: 6 or 17
        uint16_t port = 0;
        std::string name, source;
    };
    static PopularDestinations builtin();
    /// Throws InputError naming the file, offset and field.
    static PopularDestinations load(const std::string& path);
    static PopularDestinations parse(const std::string& text, const std::string& name);
    void merge(const PopularDestinations& other);

    /// The entry that makes (server, protocol, port) popular, or nullptr.
    const Entry* match(const IpAddress& server, uint8_t protocol, uint16_t port) const;
    size_t size() const { return entries_.size(); }

private:
    std::vector<Entry> entries_;
};

}  // namespace iotwatch
