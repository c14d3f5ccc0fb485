#!/usr/bin/env bash
# Installs the Debian 12 packages iotwatch needs to build, test, benchmark and demo.
# Idempotent: installs only what is missing. Needs root (or sudo) only when something is missing.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  clang libclang-rt-14-dev            # libFuzzer targets, ASan/UBSan
  libgtest-dev libgmock-dev           # unit tests
  libpcap-dev tcpdump                 # capture (and the tcpdump baseline in bench/)
  zlib1g-dev libzstd-dev zstd gzip    # compressed captures
  libsqlite3-dev sqlite3              # embedded store
  libjemalloc-dev                     # the iotwatch binary's allocator (detectors' per-scan sets: ~18% faster than glibc malloc)
  libtomlplusplus-dev                 # configuration files
  libsvm-dev                          # DDoS classifier (SVM)
  python3                             # integration test helpers
  libssl-dev                          # SHA-256 manifests, deterministic STIX ids (OpenSSL libcrypto)
  nlohmann-json3-dev                  # JSON input (STIX bundles, partner feeds)
  python3-jsonschema                  # tests validate STIX bundles against the STIX 2.1 JSON schemas
  libmaxminddb-dev mmdb-bin           # GeoIP/ASN enrichment (.mmdb), mmdblookup as a test oracle
  libmaxmind-db-writer-perl           # builds .mmdb test fixtures and the default ASN database
  iproute2 tshark zmap masscan nmap   # real scanners inside test-made network namespaces; tshark as oracle
  unbound bind9 bind9-dnsutils        # RPZ tests: real resolvers on loopback load the generated zone
  libssh-dev                          # survey: ssh probe (libssh)
  busybox-static inetutils-telnetd    # survey tests: real telnet servers on 127.x addresses
  lighttpd lighttpd-mod-openssl       # survey tests: real HTTP(S) Basic/Digest servers on 127.x addresses
  dropbear-bin                        # survey tests: a real ssh server (private mount namespace, throwaway accounts)
  openssh-client openssl              # survey tests: host keys for the test sshd, password hashes, test certificates
  hydra bc                            # bench/survey_hydra.sh: the baseline the survey is measured against
  libcpp-httplib-dev curl             # iotwatch serve (HTTP/HTTPS via OpenSSL); curl drives its API test
  chromium                            # the dashboard's browser test (playwright-core drives Debian's build)
  wrk                                 # load test of the API (bench/)
  softflowd nfdump                    # flows: a real exporter and the reference collector (nfcapd/nfdump)
  clickhouse-server clickhouse-client # the ClickHouse store backend (18.16); tests start private servers on loopback
)

missing=()
# npm fetches the openly licensed default GeoIP/ASN data (@ip-location-db) and the dashboard's front-end
# libraries (scripts/install-web-assets.sh); a machine that already has
# Node.js from elsewhere keeps its own npm (Debian's npm package conflicts with those builds).
command -v npm >/dev/null 2>&1 || PACKAGES+=(npm)
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
