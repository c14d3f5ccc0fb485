#!/usr/bin/env bash
# The distributed layout of docs/clickhouse.md on one machine: two clickhouse-server processes on
# loopback are the two shards of cluster `telescope`; iotwatch's tables are Distributed tables
# over per-server `_local` tables, sharded by row key. One capture is ingested through server A,
# the next through server B (an incremental run resuming A's checkpoint); the reports read
# through either server equal a single SQLite run over both captures, and both shards hold rows.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/../lib/clickhouse.sh"
read -r ha ta hb tb < <(free_ports 4)
CH_REMOTE_XML="<?xml version=\"1.0\"?><yandex><clickhouse_remote_servers><telescope>
<shard><replica><host>127.0.0.1</host><port>$ta</port></replica></shard>
<shard><replica><host>127.0.0.1</host><port>$tb</port></replica></shard>
</telescope></clickhouse_remote_servers></yandex>"
start_clickhouse a "$ha" "$ta"
start_clickhouse b "$hb" "$tb"
A="clickhouse://127.0.0.1:$ha/tele?cluster=telescope"
B="clickhouse://127.0.0.1:$hb/tele?cluster=telescope"
mkdir caps
"$IOTWATCH" gen --seed 41 --packets 150000 --start 2026-01-01T00:00:00Z --duration 43200 --darknet 198.18.0.0/16 -o caps/a.pcap >/dev/null 2>&1
"$IOTWATCH" gen --seed 42 --packets 150000 --start 2026-01-01T12:00:00Z --duration 43200 --darknet 198.18.0.0/16 -o caps/b.pcap >/dev/null 2>&1

"$IOTWATCH" store init --db "$A" >/dev/null   # each server gets its local and Distributed tables
"$IOTWATCH" store init --db "$B" >/dev/null
ing() { "$IOTWATCH" ingest --quiet --detect --darknet 198.18.0.0/16 --db "$1" "${@:2}"; }
ing single.db caps/a.pcap caps/b.pcap
ing "$A" caps/a.pcap
ing "$B" caps/a.pcap caps/b.pcap
views() { for v in summary classes ports sources series scans dos infected; do "$IOTWATCH" report --json --view $v --db "$1"; echo; done; }
views single.db > single.out
views "$A" > via-a.out
views "$B" > via-b.out
cmp -s single.out via-a.out || { diff single.out via-a.out | head; fail "reports through server A differ from the single SQLite run"; }
cmp -s single.out via-b.out || { diff single.out via-b.out | head; fail "reports through server B differ from the single SQLite run"; }
ra=$(ch_query "$ha" "SELECT count() FROM tele.source_day_local")
rb=$(ch_query "$hb" "SELECT count() FROM tele.source_day_local")
[ "$ra" -gt 0 ] && [ "$rb" -gt 0 ] || fail "rows not spread over both shards (A $ra, B $rb)"
pass "reports through either shard equal the single run; source_day rows on shard A $ra, on shard B $rb"
