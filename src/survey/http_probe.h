// HttpProbe: the http and https probe modules. The first connection sends an unauthenticated
// `GET /`; a 401 with a WWW-Authenticate Basic or Digest challenge is the prompt. Each credential
// is then tried on its own connection answering the latest challenge; a non-401 answer is a login.
// Every request says `Connection: close` and carries the campaign's opt-out contact in User-Agent.
#pragma once
#include "survey/probe_module.h"

namespace iotwatch {

ProbeModule http_probe_module();   // "http": ports 80, 8080, 81
ProbeModule https_probe_module();  // "https": ports 443, 8443 (TLS in the engine)

}  // namespace iotwatch
