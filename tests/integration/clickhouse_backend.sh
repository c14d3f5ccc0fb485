#!/usr/bin/env bash
# The same end-to-end scenario on the embedded SQLite store and on a real clickhouse-server
# (Debian's 18.16, started here on 127.0.0.1): ingest --detect of two captures, every report view,
# partner evidence, the organisations' alert files and statistics, the malicious-site list and
# its RPZ zone, retention. Every output must be byte-identical between the two backends.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/../lib/clickhouse.sh"
start_clickhouse main
port=$CH_PORT
CH="clickhouse://127.0.0.1:$port/e2e"
GEO="--city-db $DATA/geo/city.mmdb --asn-db $DATA/geo/asn.mmdb"

mkdir caps
"$IOTWATCH" gen --seed 31 --packets 150000 --start 2026-01-01T00:00:00Z --duration 43200 --darknet 198.18.0.0/16 \
  -o caps/a.pcap --truth truth.json >/dev/null 2>&1
"$IOTWATCH" gen --seed 32 --packets 150000 --start 2026-01-01T12:00:00Z --duration 43200 --darknet 198.18.0.0/16 \
  -o caps/b.pcap >/dev/null 2>&1
cp "$DATA/../../examples/organisations.toml" orgs.toml 2>/dev/null || cat > orgs.toml <<'TOML'
[[organisation]]
id = "low-isp"
name = "Low Half ISP"
prefixes = ["0.0.0.0/1"]
[[organisation]]
id = "high-isp"
name = "High Half ISP"
prefixes = ["128.0.0.0/1"]
TOML
bot=$(json_get truth.json "j['mirai_bots'][0]['src']")
cat > feed.csv <<CSV
timestamp,ip,family,hostname
2026-01-01 10:00:00,$bot,mirai,sinkhole.example
2026-01-01T11:00:00Z,9.9.9.9,gafgyt,
CSV
cat > sites.csv <<'CSV'
url,first_seen,category
http://evil.example.test/bins/mirai.arm7,2026-01-01 10:00:00,malware
https://login-bank.example.test:8443/verify,2026-01-01T00:00:00Z,phishing
CSV
cat > retention.toml <<'TOML'
[retention]
telescope_bins_days = 1
events_days = 2
access_log_days = 400
flows_days = 2
TOML
# A NetFlow v9 export capture: template + 2 records dated 2026-01-01, 2 records dated 2025-12-30.
python3 - <<'PY'
import struct
def ip4(s): return bytes(int(x) for x in s.split("."))
def frame(p):
    u = struct.pack("!HHHH", 40000, 2055, 8 + len(p), 0) + p
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(u), 1, 0, 64, 17, 0, ip4("192.0.2.10"), ip4("127.0.0.1"))
    return b"\x00" * 12 + b"\x08\x00" + h + u
def s(i, c): return struct.pack("!HH", i, len(c) + 4) + c
tmpl = struct.pack("!HH", 256, 4) + struct.pack("!HHHHHHHH", 8, 4, 12, 4, 2, 4, 152, 8)
rec = lambda h, ms: ip4(f"10.0.0.{h}") + ip4("192.0.2.1") + struct.pack("!IQ", 3, ms)
v9 = struct.pack("!HHIIII", 9, 4, 1000, 1767225700, 0, 1) + s(0, tmpl) + s(256, rec(1, 1767225600123) + rec(2, 1767225601000) + rec(3, 1767052800000) + rec(4, 1767052801000))
f = frame(v9)
open("flows.pcap", "wb").write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1) + struct.pack("<IIII", 1767225700, 0, len(f), len(f)) + f)
PY

echo "127.$(( $$ % 200 + 20 )).7.0/29" > survey-allow.txt
MONTH=$(date -u +%Y-%m)
strip_times() {  # survey records hold when they were made
  python3 -c 'import json,sys
for l in sys.stdin:
    j = json.loads(l)
    for k in ("created", "started", "ended"): j.pop(k, None)
    print(json.dumps(j, sort_keys=True))'
}

scenario() {  # scenario DB OUTDIR: every command of the scenario, outputs into OUTDIR
  local db=$1 out=$2
  mkdir -p "$out"
  # Two runs (one capture each) so the second resumes from the first's checkpoint. Two workers:
  # their checkpoint state is saved in pieces (Checkpoint::state_continued: SQLite rows per piece,
  # ClickHouse one joined value) and must restore. (One worker: clickhouse_kill_slow.sh.)
  "$IOTWATCH" ingest --quiet --detect --threads 2 --darknet 198.18.0.0/16 --checkpoint-interval 0.2 --db "$db" caps/a.pcap
  "$IOTWATCH" ingest --quiet --detect --threads 2 --darknet 198.18.0.0/16 --checkpoint-interval 0.2 --db "$db" caps/a.pcap caps/b.pcap
  for v in summary classes ports sources countries asns series scans dos labels infected; do
    "$IOTWATCH" report --json --view "$v" --db "$db" $GEO > "$out/report-$v.json"
  done
  "$IOTWATCH" report --json --view series --width 300 --db "$db" > "$out/report-series300.json"
  "$IOTWATCH" evidence --feed partner-sinkhole --db "$db" --json feed.csv > "$out/evidence1.json"
  "$IOTWATCH" evidence --feed partner-sinkhole --db "$db" --json feed.csv > "$out/evidence2.json"
  "$IOTWATCH" alerts --orgs orgs.toml --day 2026-01-01 --db "$db" --outbox "$out/outbox" --operator tester $GEO --json > "$out/alerts.json"
  "$IOTWATCH" alerts --orgs orgs.toml --day 2026-01-01 --db "$db" --outbox "$out/outbox" --operator tester $GEO --json > "$out/alerts2.json"
  "$IOTWATCH" alerts --stats --json --db "$db" > "$out/alerts-stats.json"
  "$IOTWATCH" sites import --feed partner-sites --db "$db" sites.csv > "$out/sites-import.txt"
  "$IOTWATCH" sites import --feed partner-sites --db "$db" sites.csv > "$out/sites-import2.txt"
  "$IOTWATCH" sites list --format csv --db "$db" > "$out/sites.csv"
  "$IOTWATCH" collect --pcap flows.pcap --db "$db" --json | python3 -c 'import json,sys; j=json.load(sys.stdin); j.pop("seconds",None); j.pop("run_start",None); print(json.dumps(j, sort_keys=True))' > "$out/collect.json"
  "$IOTWATCH" sites rpz --warning-a 127.0.0.9 --db "$db" > "$out/sites.rpz"
  # A loopback survey (nothing listens on the ports: every result is "closed"), its records read back.
  "$IOTWATCH" survey --allow survey-allow.txt --loopback-test --ports 23,80 --max-attempts 0 --seed 9 --campaign ch-survey \
    --source-address 127.0.0.1 --contact optout@example.net --db "$db" --quiet > /dev/null
  "$IOTWATCH" survey --results --campaign ch-survey --db "$db" | strip_times > "$out/survey-results.jsonl"
  "$IOTWATCH" survey --campaigns --db "$db" | strip_times > "$out/survey-campaigns.jsonl"
  "$IOTWATCH" survey --summary "$MONTH" --orgs orgs.toml --json --db "$db" > "$out/survey-summary.jsonl"
  "$IOTWATCH" retention --config retention.toml --now 2026-01-02T12:00:00Z --json --db "$db" > "$out/retention.json"
  for v in summary series scans; do
    "$IOTWATCH" report --json --view "$v" --db "$db" > "$out/after-retention-$v.json"
  done
  # The alert runs' manifests hold the time they were written; everything else must match.
  find "$out/outbox" -name manifest.json -delete
  python3 - "$out" "$out/alerts.json" "$out/alerts2.json" <<'PY'
import json, sys
prefix = sys.argv[1] + "/"
for p in sys.argv[2:]:
    text = open(p).read().replace(prefix, "")  # file paths name the output folder
    j = json.loads(text)
    for k in ("seconds", "elapsed", "generated"):
        j.pop(k, None)
    json.dump(j, open(p, "w"), sort_keys=True)
PY
}

scenario sqlite.db out-sqlite
scenario "$CH" out-clickhouse

files=$(cd out-sqlite && find . -type f | sort)
[ "$(cd out-clickhouse && find . -type f | sort)" = "$files" ] || fail "the two backends wrote different files"
n=0
for f in $files; do
  cmp -s "out-sqlite/$f" "out-clickhouse/$f" || { diff "out-sqlite/$f" "out-clickhouse/$f" | head -10; fail "$f differs between SQLite and ClickHouse"; }
  n=$((n + 1))
done
# Not vacuous: the scenario found things.
[ "$(json_get out-sqlite/retention.json "j['flow']")" = 2 ] || fail "flows_days must delete the 2 flows of 2025-12-30: $(cat out-sqlite/retention.json)"
[ "$(json_get out-sqlite/report-summary.json "j['packets']")" -gt 200000 ] || fail "too few packets counted"
[ -s out-sqlite/report-scans.json ] && [ -s out-sqlite/report-infected.json ] || fail "no scans or infected hosts found"
[ "$(grep -c '"outcome": "closed"' out-sqlite/survey-results.jsonl)" = 16 ] || fail "survey: want 16 closed results: $(head -3 out-sqlite/survey-results.jsonl)"
grep -q '"org":"all","protocol":"all","surveyed":8,' out-sqlite/survey-summary.jsonl || fail "survey summary: $(cat out-sqlite/survey-summary.jsonl)"
grep -q '"finished": true' out-sqlite/survey-campaigns.jsonl || fail "survey campaign not finished: $(cat out-sqlite/survey-campaigns.jsonl)"
rows=$(find out-sqlite/outbox -type f -name '*.csv' | xargs cat | wc -l)
[ "$rows" -gt 2 ] || fail "no alert rows written"
# The rows really are in ClickHouse, in day partitions.
parts=$(ch_query "$port" "SELECT count(DISTINCT partition) FROM system.parts WHERE database = 'e2e' AND table = 'source_day' AND active")
[ "$parts" -ge 1 ] || fail "no source_day partitions in ClickHouse"
pass "$n outputs identical on SQLite and ClickHouse $(ch_query "$port" 'SELECT version()')"

# The centre writing to ClickHouse: one sensor ships capture a over TLS to `iotwatch center --db
# clickhouse://...`; every view, and the sensor's health row, equal the same centre run on SQLite.
if command -v openssl >/dev/null; then
  openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 1 -subj /CN=127.0.0.1 \
    -addext "subjectAltName=IP:127.0.0.1" 2>/dev/null
  echo "sensor-token-for-the-clickhouse-test" > s.tok
  printf '[[sensor]]\nname = "s1"\nprefixes = ["198.18.0.0/16"]\ntoken_sha256 = "%s"\n' \
    "$(tr -d '\n' < s.tok | sha256sum | cut -d' ' -f1)" > center.toml
  centre_run() {  # DB TAG
    local cport
    read -r cport < <(free_ports 1)
    "$IOTWATCH" center --config center.toml --db "$1" --journal "j-$2" --listen 127.0.0.1:$cport --tls-cert cert.pem \
      --tls-key key.pem --detect --exit-when-final --quiet 2> "center-$2.err" &
    local cp=$!
    wait_tcp 127.0.0.1:$cport
    "$IOTWATCH" sensor --name s1 --config center.toml --center 127.0.0.1:$cport --ca cert.pem --token-file s.tok \
      --spool "s-$2" --quiet caps/a.pcap || fail "sensor into the $2 centre failed"
    wait $cp || fail "centre on $2 exited with $?: $(cat center-$2.err)"
    for v in summary classes ports sources series scans dos infected; do "$IOTWATCH" report --json --view $v --db "$1"; done > "centre-$2.views"
  }
  centre_run centre.db sqlite
  centre_run "clickhouse://127.0.0.1:$port/centre" clickhouse
  cmp -s centre-sqlite.views centre-clickhouse.views || { diff centre-sqlite.views centre-clickhouse.views | head; fail "centre views differ between SQLite and ClickHouse"; }
  want=$(python3 -c 'import sqlite3; print(*sqlite3.connect("centre.db").execute("SELECT packets, batches, final FROM sensor_health").fetchone())')
  got=$(ch_query "$port" "SELECT packets, batches, final FROM centre.sensor_health FINAL WHERE deleted = 0 FORMAT TSV" | tr '\t' ' ')
  [ -n "$want" ] && [ "$want" = "$got" ] || fail "sensor health on ClickHouse '$got' != SQLite '$want'"
  pass "the centre on ClickHouse counts what it counts on SQLite (views and sensor health: $got)"
fi
