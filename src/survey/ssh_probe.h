// SshProbe: the ssh probe module (a socket-driving DeviceProbe over libssh, non-blocking).
//
// Per connection: the SSH handshake (key exchange; the host key is not checked: devices are
// unknown and nothing but the tested credential is sent), then `none` authentication to learn
// the methods the server offers. `none` accepted: no-auth. `password` or `keyboard-interactive`
// offered: the ID/password prompt; with a credential it is tried once, by password when offered,
// else by keyboard-interactive (a hidden prompt gets the password, a visible one the user name).
// Accepted: login-ok, and the session is freed at once (no channel is opened, nothing is run).
// Only `publickey`/`hostbased` offered: open-no-service (no ID/password can be entered). Not SSH
// (no "SSH-" banner, failed key exchange): open-no-service with the library's error.
#pragma once
#include "survey/probe_module.h"

namespace iotwatch {

/// The module description (name "ssh", port 22).
ProbeModule ssh_probe_module();

}  // namespace iotwatch
