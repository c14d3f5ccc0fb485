#!/usr/bin/env bash
# Regenerates the reviewed baselines of tests/integration/telescope_baseline.sh from the current
# build. Review `git diff tests/data` before committing: a baseline is a claim that the output is right.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$root/build/iotwatch}
T="$root/tests/data/telescope"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin" ingest --quiet --config "$T/two-sensors.toml" --db "$work/b.db" "$T/sample.pcap"
"$bin" report --db "$work/b.db" --json | python3 -c "import json,sys; print(json.dumps(json.load(sys.stdin), sort_keys=True, indent=1))" > "$T/sample.report.json"
"$bin" report --db "$work/b.db" > "$T/sample.report.txt"
"$bin" report --db "$work/b.db" --view series --width 3600 --csv > "$T/sample.series.csv"
"$bin" report --db "$work/b.db" --day 2026-03-02 --view ports --jsonl > "$T/sample.ports-day2.jsonl"
echo "baselines written to $T; review with: git diff tests/data"
