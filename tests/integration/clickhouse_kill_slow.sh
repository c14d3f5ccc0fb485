#!/usr/bin/env bash
# Crash safety on ClickHouse: a directory replay into a ClickHouse store is interrupted by kill -9
# of the ingest process and by kill -9 of clickhouse-server itself (restarted on the same data
# directory); rerun until done, the stored totals (every report view) must equal those of an
# uninterrupted run into SQLite: nothing lost, nothing counted twice. Then the same through a
# sensor and `iotwatch center` writing to ClickHouse, with clickhouse-server killed -9 twice
# during the sensor's replay (the centre stops on the failed commit and is restarted).
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/../lib/clickhouse.sh"
start_clickhouse main
port=$CH_PORT
CH="clickhouse://127.0.0.1:$port/killed"
mkdir caps
for i in 0 1 2 3; do
  "$IOTWATCH" gen --seed $((200 + i)) --packets 300000 --start "$(printf '2026-01-01T%02d:00:00Z' $((i * 6)))" \
      --duration 21600 --darknet 198.18.0.0/16 -o caps/part$i.pcap >/dev/null 2>&1
done
# An array for the background runs: $! must be iotwatch itself, not a subshell running a function
# (kill -9 of the subshell would leave the ingest running beside the next one).
INGEST=("$IOTWATCH" ingest --quiet --detect --darknet 198.18.0.0/16 --checkpoint-interval 0.1 --db)
ingest() { "${INGEST[@]}" "$1" caps; }
ingest whole.db
views() { for v in summary classes ports sources series scans dos infected; do "$IOTWATCH" report --json --view $v --db "$1"; echo; done; }
views whole.db > whole.out

restart_server() {
  local dir="$WORK/ch-main"
  kill -9 "$(cat "$dir/pid")" 2>/dev/null || true
  sleep 0.3
  clickhouse-server --config-file="$dir/config.xml" > "$dir/stdout" 2>&1 &
  echo $! > "$dir/pid"; disown $! 2>/dev/null || true
  CH_PIDS="${CH_PIDS:-} $!"
  for _ in $(seq 150); do curl -sf "http://127.0.0.1:$port/ping" >/dev/null 2>&1 && return 0; sleep 0.1; done
  fail "clickhouse-server did not come back"
}

ingest_kills=0 server_kills=0
for attempt in $(seq 1 30); do
  "${INGEST[@]}" "$CH" caps 2>/dev/null &
  pid=$!
  sleep "0.$((RANDOM % 6 + 3))"
  if [ $((attempt % 2)) = 1 ]; then
    if kill -9 $pid 2>/dev/null; then ingest_kills=$((ingest_kills + 1)); fi
  else
    if kill -0 $pid 2>/dev/null; then restart_server; server_kills=$((server_kills + 1)); fi
  fi
  wait $pid 2>/dev/null && break || true
  [ $ingest_kills -ge 3 ] && [ $server_kills -ge 3 ] && break
done
ingest "$CH"
views "$CH" > killed.out
[ $ingest_kills -ge 1 ] && [ $server_kills -ge 1 ] || fail "no interruption of both kinds (ingest $ingest_kills, server $server_kills)"
cmp -s whole.out killed.out || { diff whole.out killed.out | head -20; fail "totals differ after $ingest_kills ingest and $server_kills server kills"; }
pass "$ingest_kills kill -9 of ingest and $server_kills of clickhouse-server; every view equals the uninterrupted SQLite run"

# ---- The sensor path: sensor -> centre -> ClickHouse, the server killed -9 mid-replay.
command -v openssl >/dev/null || { echo "SKIP (sensor part): openssl missing"; exit 0; }
openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 1 -subj /CN=127.0.0.1 \
  -addext "subjectAltName=IP:127.0.0.1" 2>/dev/null
echo "sensor-token-for-the-kill-test" > s.tok
# Named "default" like the --darknet sensor of the reference run, so that every view compares.
printf '[[sensor]]\nname = "default"\nprefixes = ["198.18.0.0/16"]\ntoken_sha256 = "%s"\n' \
  "$(tr -d '\n' < s.tok | sha256sum | cut -d' ' -f1)" > center.toml
read -r CPORT < <(free_ports 1)
C="clickhouse://127.0.0.1:$port/centre"
start_centre() {
  "$IOTWATCH" center --config center.toml --db "$C" --journal journal --listen 127.0.0.1:$CPORT --tls-cert cert.pem \
    --tls-key key.pem --detect --exit-when-final --checkpoint-interval 0.5 --quiet >> centre.out 2>> centre.err &
  CENTRE=$!
}
"$IOTWATCH" store init --db "$C" > /dev/null
start_centre
wait_tcp 127.0.0.1:$CPORT
"$IOTWATCH" sensor --name default --config center.toml --center 127.0.0.1:$CPORT --ca cert.pem --token-file s.tok \
  --spool spool --rate 100000 --quiet caps > sensor.out 2> sensor.err &
SENSOR=$!
track $SENSOR
kills=0 centre_restarts=0
for t in $(seq 1 600); do
  sleep 0.1
  if [ $kills -lt 2 ] && [ $((t % 30)) = 0 ] && kill -0 $SENSOR 2>/dev/null; then restart_server; kills=$((kills + 1)); fi
  if ! kill -0 $CENTRE 2>/dev/null; then
    if wait $CENTRE; then break; fi   # exit 0: every batch counted
    centre_restarts=$((centre_restarts + 1))
    [ $centre_restarts -lt 40 ] || fail "the centre keeps failing: $(tail -3 centre.err)"
    sleep 0.5
    start_centre
  fi
done
wait_exit $SENSOR 300 "the sensor" || fail "the sensor failed: $(cat sensor.err)"
if kill -0 $CENTRE 2>/dev/null; then
  wait_exit $CENTRE 300 "the centre" || fail "the centre failed: $(tail -3 centre.err)"
fi
[ $kills = 2 ] || fail "clickhouse-server was killed $kills times, want 2 (replay too short?)"
strip() { python3 -c '
import json, sys
for line in sys.stdin:
    if not line.strip(): print(); continue
    j = json.loads(line)
    if isinstance(j, dict): j.pop("outside", None)
    print(json.dumps(j, sort_keys=True))'; }
strip < whole.out > whole.stripped
views "$C" | strip > centre.stripped
cmp -s whole.stripped centre.stripped || { diff whole.stripped centre.stripped | head -20; fail "the centre's views on ClickHouse differ after $kills server kills"; }
pass "sensor -> centre -> ClickHouse with clickhouse-server killed -9 $kills times (centre restarted $centre_restarts times): every view equals the uninterrupted SQLite run"
