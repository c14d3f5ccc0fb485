#include "survey/probe_registry.h"

#include <algorithm>

#include "survey/http_probe.h"
#include "survey/ssh_probe.h"
#include "survey/telnet_probe.h"

namespace iotwatch {

const std::vector<ProbeModule>& ProbeRegistry::modules() {
    // Immutable after first use (a function-local constant, not mutable global state).
    static const std::vector<ProbeModule> kModules = {telnet_probe_module(), ssh_probe_module(), http_probe_module(),
                                                        https_probe_module()};
    return kModules;
}

const ProbeModule* ProbeRegistry::find(const std::string& name) {
    for (const auto& m : modules())
        if (m.name == name) return &m;
    return nullptr;
}

const ProbeModule* ProbeRegistry::for_port(uint16_t port) {
    for (const auto& m : modules())
        if (std::find(m.default_ports.begin(), m.default_ports.end(), port) != m.default_ports.end()) return &m;
    return nullptr;
}

}  // namespace iotwatch
