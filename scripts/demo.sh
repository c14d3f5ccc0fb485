#!/usr/bin/env bash
# make demo: generate a sample darknet day, ingest it into the embedded SQLite store with the
# detectors on, print the telescope summary (with countries when the open GeoIP/ASN data could be
# installed), then write the day's alert files for the example organisations. On a terminal (or
# with DEMO_SERVE=1) it ends by serving the dashboard on 127.0.0.1 (DEMO_PORT, 8080) over that day,
# with the generated capture replayed on the live map, until Ctrl-C; run non-interactively (CI,
# scripts) it terminates.
set -euo pipefail
bin=${1:-build/iotwatch}
out=${2:-demo-out}
packets=${DEMO_PACKETS:-2000000}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
rm -rf "$out/demo.db" "$out/demo.db-wal" "$out/demo.db-shm" "$out/outbox"
# Open GeoIP/ASN defaults from the npm registry (CC0 / CC BY 4.0, licences kept beside them). The
# demo goes on without them when the registry cannot be reached.
if bash "$root/scripts/install-geo-data.sh" >&2; then
  export IOTWATCH_GEO_DIR="$root/data/geo"
else
  echo "demo: GeoIP/ASN data not installed; countries and ASNs stay empty" >&2
fi
echo "== generating a sample darknet day ($packets packets, seed 1, darknet 198.18.0.0/16) -> $out/darknet-day.pcap"
"$bin" gen --seed 1 --packets "$packets" --darknet 198.18.0.0/16 -o "$out/darknet-day.pcap" --truth "$out/darknet-day.truth.json"
echo "== ingesting into $out/demo.db"
"$bin" ingest --detect --threads 2 --darknet 198.18.0.0/16 --db "$out/demo.db" "$out/darknet-day.pcap"
echo "== telescope summary"
"$bin" report --db "$out/demo.db"
echo
"$bin" report --db "$out/demo.db" --view dos --top 5
echo
"$bin" report --db "$out/demo.db" --view scans --top 5
echo
echo "== daily alerts for the example organisations (examples/organisations.toml)"
"$bin" alerts --orgs "$root/examples/organisations.toml" --day 2026-01-01 --db "$out/demo.db" --outbox "$out/outbox"
echo
echo "alert files:        find $out/outbox -type f"
echo "machine-readable:   $bin report --db $out/demo.db --json"
# On a terminal the demo ends by serving the dashboard (Ctrl-C stops it); run non-interactively
# (CI, scripts) it terminates unless DEMO_SERVE=1.
serve_default=0; [ -t 0 ] && [ -t 1 ] && serve_default=1
if [ "${DEMO_SERVE:-$serve_default}" = 1 ]; then
  port=${DEMO_PORT:-8080}
  token=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
  echo
  echo "== dashboard: http://127.0.0.1:$port/#token=$token"
  echo "   admin token: $token   (Ctrl-C stops the server)"
  exec "$bin" serve --db "$out/demo.db" --listen "127.0.0.1:$port" --admin-token "$token" --outbox "$out/outbox" \
    --web-root "$root/web" --replay "$out/darknet-day.pcap" --replay-speed 60 --darknet 198.18.0.0/16
else
  echo "dashboard:          make demo on a terminal, or DEMO_SERVE=1 make demo   (or: $bin serve --db $out/demo.db --outbox $out/outbox --replay $out/darknet-day.pcap)"
fi
