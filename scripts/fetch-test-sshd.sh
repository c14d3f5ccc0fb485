#!/usr/bin/env bash
# The survey's ssh tests run Debian's OpenSSH sshd (for keyboard-interactive through PAM), but
# installing the openssh-server package would start an sshd service on the machine. So the
# package is only downloaded (apt-get download) and unpacked into .deps/openssh-server/ of this
# tree; the test runs that binary in a private mount namespace on a loopback address. Idempotent;
# without the Debian mirror the test skips.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dest=$root/.deps/openssh-server
[ -x "$dest/usr/sbin/sshd" ] && exit 0
command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null || exit 0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if (cd "$tmp" && apt-get download openssh-server >/dev/null 2>&1); then
  mkdir -p "$dest"
  dpkg-deb -x "$tmp"/openssh-server_*.deb "$dest"
  echo "fetch-test-sshd: unpacked $(basename "$tmp"/openssh-server_*.deb) into $dest (not installed)" >&2
else
  echo "fetch-test-sshd: could not download openssh-server; the OpenSSH survey test will skip" >&2
fi
