#!/usr/bin/env bash
# Crash safety on ClickHouse: a directory replay into a ClickHouse store is interrupted by kill -9
# of the ingest process and by kill -9 of clickhouse-server itself (restarted on the same data
# directory); rerun until done, the stored totals (every report view) must equal those of an
# uninterrupted run into SQLite: nothing lost, nothing counted twice.
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
ingest() { "$IOTWATCH" ingest --quiet --detect --darknet 198.18.0.0/16 --checkpoint-interval 0.1 --db "$1" caps; }
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
  ingest "$CH" 2>/dev/null &
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
