// ProbeRegistry: every probe module, by name. The only place a new protocol is added.
#pragma once
#include <string>
#include <vector>

#include "survey/probe_module.h"

namespace iotwatch {

class ProbeRegistry {
public:
    /// telnet, http, https.
    static const std::vector<ProbeModule>& modules();
    /// nullptr when unknown.
    static const ProbeModule* find(const std::string& name);
    /// The module a bare port number means (23 -> telnet, 80 -> http, ...); nullptr when none.
    static const ProbeModule* for_port(uint16_t port);
};

}  // namespace iotwatch
