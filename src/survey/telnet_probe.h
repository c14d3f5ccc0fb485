// TelnetProbe: the telnet probe module (DeviceProbe over TelnetLogin).
#pragma once
#include "survey/probe_module.h"

namespace iotwatch {

/// The module description (name "telnet", ports 23 and 2323).
ProbeModule telnet_probe_module();

}  // namespace iotwatch
