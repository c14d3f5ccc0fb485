#!/usr/bin/env bash
# Zeek-style: a small capture goes in (tests/data/telescope/sample.pcap, a generated 2-hour window
# across midnight, two sensors), the report views come out and are diffed against reviewed
# baselines beside it. After an intended change: tests/update-baselines.sh, review the diff, commit.
source "$(dirname "$0")/../lib/common.sh"
T="$DATA/telescope"
"$IOTWATCH" ingest --quiet --config "$T/two-sensors.toml" --db b.db "$T/sample.pcap"
"$IOTWATCH" report --db b.db --json | python3 -c "import json,sys; print(json.dumps(json.load(sys.stdin), sort_keys=True, indent=1))" > report.json
"$IOTWATCH" report --db b.db > report.txt
"$IOTWATCH" report --db b.db --view series --width 3600 --csv > series.csv
"$IOTWATCH" report --db b.db --day 2026-03-02 --view ports --jsonl > ports-day2.jsonl
status=0
for f in report.json report.txt series.csv ports-day2.jsonl; do
  if ! diff -u "$T/sample.$f" "$f" > "$f.diff"; then
    echo "baseline differs: $f"; head -40 "$f.diff"; status=1
  fi
done
[ $status -eq 0 ] || fail "output differs from the reviewed baselines"
pass "4 views equal their baselines"
