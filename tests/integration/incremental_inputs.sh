#!/usr/bin/env bash
# Incremental ingest: a run checkpoints when its interval is up and after its last input, not after
# every input. An input finished since the last checkpoint must still be recorded as done when the
# run ends, also when the run's last input was one it skipped as already done: a third run skips
# everything, and the rows equal one run over both inputs.
source "$(dirname "$0")/../lib/common.sh"
"$IOTWATCH" gen --seed 71 --packets 20000 --start 2026-01-01T00:00:00Z --duration 1800 --darknet 198.18.0.0/16 -o a.pcap
"$IOTWATCH" gen --seed 72 --packets 20000 --start 2026-01-01T00:30:00Z --duration 1800 --darknet 198.18.0.0/16 -o b.pcap
"$IOTWATCH" ingest --quiet --darknet 198.18.0.0/16 --db whole.db a.pcap b.pcap
"$IOTWATCH" ingest --quiet --darknet 198.18.0.0/16 --db inc.db a.pcap
# b is new, a (given last) is already done and skipped.
"$IOTWATCH" ingest --json --darknet 198.18.0.0/16 --db inc.db b.pcap a.pcap > run2.json
[ "$(json_get run2.json "[i['skipped'] for i in j['inputs']]")" = "[False, True]" ] ||
  fail "second run: expected b ingested and a skipped: $(cat run2.json)"
"$IOTWATCH" ingest --json --darknet 198.18.0.0/16 --db inc.db b.pcap a.pcap > run3.json
[ "$(json_get run3.json "[i['skipped'] for i in j['inputs']]")" = "[True, True]" ] ||
  fail "third run: b was not recorded as done by the second run: $(cat run3.json)"
[ "$(json_get run3.json "j['packets']")" = 0 ] || fail "third run read packets: $(cat run3.json)"
dump_tables whole.db > whole.txt
dump_tables inc.db > inc.txt
cmp -s whole.txt inc.txt || fail "incremental rows differ from one run over both: $(diff whole.txt inc.txt | head -5)"
# Many inputs in one run, checkpointed only at its end (the default interval is 60 s): the same rows
# as the inputs given one run each.
mkdir parts
for i in 0 1 2 3 4 5 6 7; do
  "$IOTWATCH" gen --seed $((80 + i)) --packets 3000 --start "2026-01-02T0$i:00:00Z" --duration 3600 \
      --darknet 198.18.0.0/16 -o parts/p$i.pcap
done
"$IOTWATCH" ingest --quiet --darknet 198.18.0.0/16 --db many.db parts
for i in 0 1 2 3 4 5 6 7; do "$IOTWATCH" ingest --quiet --darknet 198.18.0.0/16 --db each.db parts/p$i.pcap; done
dump_tables many.db > many.txt
dump_tables each.db > each.txt
cmp -s many.txt each.txt || fail "one run over 8 inputs differs from a run per input: $(diff many.txt each.txt | head -5)"
"$IOTWATCH" ingest --json --darknet 198.18.0.0/16 --db many.db parts > again.json
[ "$(json_get again.json "all(i['skipped'] for i in j['inputs']) and len(j['inputs']) == 8")" = True ] ||
  fail "a rerun over the directory did not skip all 8 inputs: $(cat again.json)"
# Stdin cannot be read again, so a run checkpoints right after it even within its interval: with
# stdin done and the next input (a FIFO nobody writes) blocking, the stdin packets are committed;
# the run is then killed.
mkfifo never.fifo
"$IOTWATCH" ingest --quiet --checkpoint-interval 3600 --darknet 198.18.0.0/16 --db stdin.db - never.fifo < a.pcap &
pid=$!
committed=0
for _ in $(seq 200); do
  committed=$(sqlite3 stdin.db "SELECT COUNT(*) FROM checkpoint" 2>/dev/null || echo 0)
  [ "$committed" = 1 ] && break
  sleep 0.1
done
kill -9 $pid 2>/dev/null || true
wait $pid 2>/dev/null || true
[ "$committed" = 1 ] || fail "no checkpoint after stdin within 20 s (the run waits on the FIFO)"
stdin_packets=$("$IOTWATCH" report --db stdin.db --json | python3 -c "import json,sys; j=json.load(sys.stdin); print(j['packets']+j['outside'])")
[ "$stdin_packets" = 20000 ] || fail "stdin's packets committed before the next input: $stdin_packets of 20000"
pass "inputs finished since the last checkpoint are recorded at the run's end (also after a skipped last input); $(wc -l < inc.txt) rows equal one run over both; 8 inputs in one run equal 8 runs; stdin checkpointed at once"
