#!/usr/bin/env bash
# kill -9 during a directory ingest, then rerun the same command until it completes: the stored
# rows (counts, per-source records, scan events, DoS attacks) must equal those of an uninterrupted
# run, with nothing counted twice and no open detection lost.
source "$(dirname "$0")/../lib/common.sh"
mkdir caps
for i in 0 1 2 3 4 5; do
  start=$(printf '2026-01-01T%02d:00:00Z' $((i * 4)))
  "$IOTWATCH" gen --seed $((100 + i)) --packets 400000 --start "$start" --duration 14400 \
      --darknet 198.18.0.0/16 -o caps/part$i.pcap
done
"$IOTWATCH" ingest --quiet --detect --darknet 198.18.0.0/16 --db whole.db caps
dump_tables whole.db > whole.rows

kills=0
for attempt in $(seq 1 40); do
  "$IOTWATCH" ingest --quiet --detect --darknet 198.18.0.0/16 --checkpoint-interval 0.05 --db killed.db caps &
  pid=$!
  sleep "0.$((RANDOM % 4 + 1))"
  if kill -9 $pid 2>/dev/null; then kills=$((kills + 1)); fi
  wait $pid 2>/dev/null && break || true
  [ $kills -ge 4 ] && break
done
"$IOTWATCH" ingest --quiet --detect --darknet 198.18.0.0/16 --checkpoint-interval 0.05 --db killed.db caps
dump_tables killed.db > killed.rows
[ $kills -ge 1 ] || fail "no run was killed mid-way; the test proved nothing"
cmp -s whole.rows killed.rows || { diff whole.rows killed.rows | head -20; fail "rows differ after $kills kill -9"; }
pass "$kills kill -9 interruptions; $(wc -l < whole.rows) stored rows identical to the uninterrupted run"
