#!/usr/bin/env bash
# kill -9 during a directory ingest, then rerun the same command until it completes: the stored
# rows (counts, per-source records, scan events, DoS attacks) must equal those of an uninterrupted
# run, with nothing counted twice and no open detection lost. Twice: one worker with the
# detectors (its records decoded on a thread of their own, DecodeAheadReader, which resumes
# inside an input too), and two workers without (each skipping the other's packets undecoded, resuming from
# checkpoints taken inside inputs).
source "$(dirname "$0")/../lib/common.sh"
mkdir caps
for i in 0 1 2 3 4 5; do
  start=$(printf '2026-01-01T%02d:00:00Z' $((i * 4)))
  "$IOTWATCH" gen --seed $((100 + i)) --packets 400000 --start "$start" --duration 14400 \
      --darknet 198.18.0.0/16 -o caps/part$i.pcap
done
check_kills() {  # $1: name; the rest: ingest options
  local name=$1
  shift
  "$IOTWATCH" ingest --quiet "$@" --darknet 198.18.0.0/16 --db $name-whole.db caps
  dump_tables $name-whole.db > $name-whole.rows
  local kills=0 attempt pid
  for attempt in $(seq 1 40); do
    "$IOTWATCH" ingest --quiet "$@" --darknet 198.18.0.0/16 --checkpoint-interval 0.05 --db $name-killed.db caps &
    pid=$!
    sleep "0.$((RANDOM % 4 + 1))"
    if kill -9 $pid 2>/dev/null; then kills=$((kills + 1)); fi
    wait $pid 2>/dev/null && break || true
    [ $kills -ge 4 ] && break
  done
  "$IOTWATCH" ingest --quiet "$@" --darknet 198.18.0.0/16 --checkpoint-interval 0.05 --db $name-killed.db caps
  dump_tables $name-killed.db > $name-killed.rows
  [ $kills -ge 1 ] || fail "$name: no run was killed mid-way; the test proved nothing"
  cmp -s $name-whole.rows $name-killed.rows ||
    { diff $name-whole.rows $name-killed.rows | head -20; fail "$name: rows differ after $kills kill -9"; }
  echo "$name: $kills kill -9 interruptions; $(wc -l < $name-whole.rows) stored rows identical to the uninterrupted run"
}
check_kills detect --detect --decode-thread on
check_kills threads2 --threads 2
pass "kill -9 and resume: stored rows identical to uninterrupted runs, with detectors and with two workers"
