#!/usr/bin/env bash
# make demo: generate a sample darknet day, ingest it into the embedded SQLite store, print the summary.
set -euo pipefail
bin=${1:-build/iotwatch}
out=${2:-demo-out}
packets=${DEMO_PACKETS:-2000000}
mkdir -p "$out"
rm -f "$out/demo.db" "$out/demo.db-wal" "$out/demo.db-shm"
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
echo "machine-readable: $bin report --db $out/demo.db --json"
