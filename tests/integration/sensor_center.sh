#!/usr/bin/env bash
# Remote sensors and the central collector (issue 8): two `iotwatch sensor`s, each with its own
# darknet prefix, read the same capture and ship their packets over TLS to `iotwatch center`, which
# merges them in time order and counts them. Whatever happens on the way (the centre unreachable
# at first, the centre killed -9 mid-replay, a sensor killed -9 mid-replay), every view and stored
# row equals one `ingest` of the capture with the same two sensors: nothing lost, nothing counted
# twice. Only `outside` differs: a sensor ships only its darknet's packets (secrecy of
# communications), so the centre never sees the rest. Also: refusals (unknown token, another
# sensor's token, untrusted certificate, plain HTTP, damaged batches) and the health rows.
source "$(dirname "$0")/../lib/common.sh"
command -v openssl >/dev/null || { echo "SKIP: openssl missing"; exit 77; }
command -v curl >/dev/null || { echo "SKIP: curl missing"; exit 77; }

"$IOTWATCH" gen --seed 17 --packets 300000 --duration 7200 --darknet 198.18.0.0/24 --darknet 198.19.0.0/24 \
  -o all.pcap > /dev/null 2>&1
openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 1 -subj /CN=127.0.0.1 \
  -addext "subjectAltName=IP:127.0.0.1" 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout other-key.pem -out other-cert.pem -days 1 -subj /CN=127.0.0.1 \
  -addext "subjectAltName=IP:127.0.0.1" 2>/dev/null
head -c 24 /dev/urandom | base64 | tr -d '\n/+=' > a.tok
head -c 24 /dev/urandom | base64 | tr -d '\n/+=' > b.tok
echo "not-a-sensor-token-0000" > bad.tok
digest() { tr -d '\n' < "$1" | sha256sum | cut -d' ' -f1; }
printf '[[sensor]]\nname = "a"\nprefixes = ["198.18.0.0/24"]\ntoken_sha256 = "%s"\n' "$(digest a.tok)" > center.toml
printf '[[sensor]]\nname = "b"\nprefixes = ["198.19.0.0/24"]\ntoken_sha256 = "%s"\n' "$(digest b.tok)" >> center.toml

# The reference: one ingest of the whole capture with the same sensors.
"$IOTWATCH" ingest --quiet --detect --config center.toml --db base.db all.pcap
views() {
  local v
  for v in summary classes ports sources series scans dos infected; do
    "$IOTWATCH" report --json --view $v --db "$1" | python3 -c '
import json, sys
for line in sys.stdin:
    j = json.loads(line)
    if isinstance(j, dict): j.pop("outside", None)   # packets no sensor ships
    print(json.dumps(j, sort_keys=True))'
  done
  python3 -c '
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for t in ("class_bin", "port_bin", "sensor_bin", "source_day", "scan_event", "dos_attack"):
    for row in sorted(db.execute(f"SELECT * FROM {t}").fetchall(), key=repr):
        print(t, *row)' "$1"
}
views base.db > base.out
[ "$(grep -c '^source_day' base.out)" -gt 500 ] || fail "reference run has too few sources"

read -r PORT < <(free_ports 1)
CENTER=""
start_center() {  # DB JOURNAL OUT [extra options]
  "$IOTWATCH" center --config center.toml --db "$1" --journal "$2" --listen 127.0.0.1:$PORT --tls-cert cert.pem \
    --tls-key key.pem --hold 30 --detect --checkpoint-interval 1 --json "${@:4}" > "$3" 2> "$3.err" &
  CENTER=$!
  track $CENTER
  wait_tcp 127.0.0.1:$PORT
}
# sensor NAME SPOOL [extra options]: ships all.pcap ($TOK, $CA override the token file and CA).
# sensor_args sets S to the same command line, for runs in the background ($! is then iotwatch).
sensor_args() {
  S=("$IOTWATCH" sensor --name "$1" --config center.toml --center 127.0.0.1:$PORT --ca "${CA:-cert.pem}"
     --token-file "${TOK:-$1.tok}" --spool "$2" --json "${@:3}" all.pcap)
}
sensor() { sensor_args "$@"; "${S[@]}"; }
json_true() { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if ($2) else 1)" "$1"; }

# ---- 1. Clean run: both sensors at full speed, the centre exits when both inputs ended.
start_center c1.db j1 c1.out --exit-when-final
sensor_args a sa1; "${S[@]}" > a1.json 2> a1.err & SA=$!
sensor b sb1 > b1.json 2> b1.err || fail "sensor b failed: $(cat b1.err)"
wait $SA || fail "sensor a failed: $(cat a1.err)"
wait $CENTER || fail "centre exited with $?: $(cat c1.out.err)"
views c1.db > c1.views
cmp -s base.out c1.views || { diff base.out c1.views | head; fail "clean run differs from the single ingest"; }
# Health: what each sensor shipped is what the centre counted; nothing was resent.
python3 - <<'PY' || fail "health rows of the clean run are wrong"
import json, sqlite3
db = sqlite3.connect("c1.db")
rows = {r[0]: r for r in db.execute("SELECT sensor, packets, duplicates, final, backlog_batches, darknet, batches FROM sensor_health")}
for name in ("a", "b"):
    s = json.load(open(f"{name}1.json"))
    _, packets, dups, final, backlog, darknet, batches = rows[name]
    assert packets == s["darknet"] == darknet, (name, packets, s)
    assert batches == s["batches"] and dups == 0 and final == 1 and backlog == 0, (name, rows[name], s)
PY
[ -z "$(find j1 -name "*.batch")" ] || fail "the journal keeps batches that were counted: $(find j1 -name "*.batch" | head -3)"
pass "two sensors over TLS equal one ingest of the capture; health rows match what the sensors shipped"

# ---- 2. Refusals: nothing is accepted without the right token, certificate and format.
start_center refuse.db jr refuse.out
TOK=bad.tok sensor a sx --drain-seconds 2 > x.json 2> x.err && fail "an unknown token was accepted"
grep -q "refused this sensor's token" x.err || fail "unknown token: unclear error: $(cat x.err)"
TOK=b.tok sensor a sy --drain-seconds 2 > y.json 2> y.err && fail "sensor a with b's token was accepted"
grep -q "belongs to sensor 'b'" y.err || fail "another sensor's token: unclear error: $(cat y.err)"
CA=other-cert.pem sensor a sz --drain-seconds 2 > z.json 2> z.err && fail "an untrusted certificate was accepted"
grep -q "does not verify" z.err || fail "untrusted certificate: unclear error: $(cat z.err)"
if curl -s -m 5 -H "Authorization: Bearer $(cat a.tok)" "http://127.0.0.1:$PORT/sensor/v1/hello" | grep -q next_seq; then
  fail "the centre answered plain HTTP"
fi
H=(-s -m 5 --cacert cert.pem -H "Authorization: Bearer $(cat a.tok)" -H "Content-Type: application/octet-stream")
curl "${H[@]}" "https://127.0.0.1:$PORT/sensor/v1/hello" | grep -q '"next_seq":1' || fail "hello over TLS failed"
head -c 100 /dev/urandom > garbage.bin
code=$(curl "${H[@]}" -o g.json -w '%{http_code}' --data-binary @garbage.bin "https://127.0.0.1:$PORT/sensor/v1/batch")
[ "$code" = 400 ] && grep -q "magic" g.json || fail "garbage batch: HTTP $code $(cat g.json)"
# A real batch, cut short and then with one byte flipped. The refused run above may have been
# refused before it spooled one (a matter of timing, seen under ASan); then a run against a port
# nobody listens on spools its batches and gives up after its drain time.
if ! ls sx/*.batch > /dev/null 2>&1; then
  DEAD=$(free_ports 1)
  "$IOTWATCH" sensor --name a --config center.toml --center 127.0.0.1:$DEAD --ca cert.pem --token-file a.tok \
    --spool sx --json --drain-seconds 1 all.pcap > sx.json 2> sx.err || true
fi
BATCH=$(ls sx/*.batch 2>/dev/null | head -1)
[ -n "$BATCH" ] || fail "no sensor run spooled a batch: $(cat x.err sx.err 2>/dev/null | tail -3)"
head -c 300 "$BATCH" > cut.bin
code=$(curl "${H[@]}" -o c.json -w '%{http_code}' --data-binary @cut.bin "https://127.0.0.1:$PORT/sensor/v1/batch")
[ "$code" = 400 ] && grep -q "CRC-32 mismatch" c.json || fail "cut batch: HTTP $code $(cat c.json)"
python3 -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[len(b)//2] ^= 1; open("flip.bin", "wb").write(b)' "$BATCH"
code=$(curl "${H[@]}" -o f.json -w '%{http_code}' --data-binary @flip.bin "https://127.0.0.1:$PORT/sensor/v1/batch")
[ "$code" = 400 ] && grep -q "at byte offset" f.json || fail "flipped batch: HTTP $code $(cat f.json)"
code=$(curl -s -m 5 --cacert cert.pem -H "Authorization: Bearer $(cat b.tok)" -H "Content-Type: application/octet-stream" -o w.json -w '%{http_code}' \
  --data-binary @"$BATCH" "https://127.0.0.1:$PORT/sensor/v1/batch")
[ "$code" = 403 ] || fail "sensor b posting a's batch: HTTP $code $(cat w.json)"
kill $CENTER; wait $CENTER 2>/dev/null || true
[ -z "$(find jr -name "*.batch")" ] || fail "a refused batch reached the journal"
pass "refused: unknown token, another sensor's token, untrusted certificate, plain HTTP, damaged and foreign batches"

# ---- 3. Outage and crashes. Sensor a runs while the centre is down: its batches wait in its spool.
# Interrupted (SIGINT) during the outage it stops at once rather than waiting out its drain time
# (an hour here), and says its batches stay spooled; the run after it resumes from that spool.
sensor_args a sa3 --rate 20000 --drain-seconds 3600; "${S[@]}" > a3i.json 2> a3i.err & SI=$!
track $SI
for _ in $(seq 300); do grep -q unreachable a3i.err && break; sleep 0.1; done
grep -q unreachable a3i.err || fail "sensor a did not report the centre down: $(cat a3i.err)"
sleep 1
kill -INT $SI
for _ in $(seq 600); do kill -0 $SI 2>/dev/null || break; sleep 0.1; done
kill -0 $SI 2>/dev/null && { kill -9 $SI; fail "sensor a still waits for an unreachable centre 60 s after SIGINT (drain is 3600 s)"; }
wait $SI 2>/dev/null || true
grep -q "stay in sa3 for the next run" a3i.err || fail "interrupted sensor a did not say its batches stay: $(cat a3i.err)"
json_true a3i.json 'j["interrupted"] and j["acked_batches"] == 0' || fail "interrupted sensor a: $(cat a3i.json)"
sensor a sa3 --drain-seconds 1 > a3.json 2> a3.err && fail "sensor a reported success with the centre down"
json_true a3.json 'j["pending_batches"] > 0 and j["acked_batches"] == 0' \
  || fail "sensor a should have spooled its batches: $(cat a3.json)"
grep -q "unreachable" a3.err || fail "sensor a did not say the centre is unreachable: $(cat a3.err)"
start_center c3.db j3 c3.out --exit-when-final
# Sensor b replays at 25,000 frames/s (12 s, long enough under ASan and a loaded machine); the
# centre and then b are killed -9 mid-replay.
sensor_args b sb3 --rate 25000; "${S[@]}" > b3.json 2> b3.err & SB=$!
track $SB
sensor a sa3 > a3b.json 2> a3b.err || fail "sensor a could not send its spool: $(cat a3b.err)"
json_true a3b.json 'j["resumed"] and j["captured"] == 0 and j["pending_batches"] == 0' \
  || fail "sensor a should have resumed after its inputs and only sent its spool: $(cat a3b.json)"
sleep 1
kill -0 $SB 2>/dev/null || fail "sensor b finished before the centre could be killed (test too fast)"
kill -9 $CENTER; wait $CENTER 2>/dev/null || true
sleep 0.5
start_center c3.db j3 c3b.out --exit-when-final
sleep 1.5
kill -0 $SB 2>/dev/null || fail "sensor b finished before it could be killed (test too fast)"
kill -9 $SB; wait $SB 2>/dev/null || true
sensor b sb3 --rate 25000 > b3b.json 2> b3b.err || fail "restarted sensor b failed: $(cat b3b.err)"
json_true b3b.json 'j["resumed"] and 0 < j["captured"] < 300000' \
  || fail "sensor b should have resumed mid-capture: $(cat b3b.json)"
wait $CENTER || fail "centre exited with $?: $(cat c3b.out.err)"
views c3.db > c3.views
cmp -s base.out c3.views || { diff base.out c3.views | head; fail "after outage and kill -9s the totals differ from one ingest"; }
python3 - <<'PY' || fail "health rows after the crashes are wrong"
import sqlite3
db = sqlite3.connect("c3.db")
rows = {r[0]: r[1:] for r in db.execute("SELECT sensor, packets, final, backlog_batches FROM sensor_health")}
truth = {s: db.execute("SELECT sum(packets) FROM sensor_bin WHERE sensor = ? AND width = 86400", (s,)).fetchone()[0] for s in "ab"}
for s in "ab":
    packets, final, backlog = rows[s]
    assert packets == truth[s] and final == 1 and backlog == 0, (s, rows[s], truth[s])
PY
pass "centre down at first, centre kill -9 and sensor kill -9 mid-replay: totals equal one ingest, health counts exact"

# ---- 4. The API shows the sensors.
echo "admin-token-for-the-sensor-test" > admin.txt
"$IOTWATCH" serve --db c3.db --listen 127.0.0.1:0 --admin-token-file admin.txt > serve.out 2> serve.err &
SERVER=$!
track $SERVER
for _ in $(seq 1 100); do grep -q '^iotwatch serve: http' serve.out 2>/dev/null && break; sleep 0.1; done
URL=$(sed -n 's|^iotwatch serve: \(http://[^ ]*\) .*|\1|p' serve.out)
curl -s -H "Authorization: Bearer $(cat admin.txt)" "${URL}api/v1/sensors" > sensors.json
python3 - <<'PY' || fail "/api/v1/sensors: $(cat sensors.json)"
import json, sqlite3
j = json.load(open("sensors.json"))
db = sqlite3.connect("c3.db")
assert [r["sensor"] for r in j["rows"]] == ["a", "b"]
for r in j["rows"]:
    packets, = db.execute("SELECT packets FROM sensor_health WHERE sensor = ?", (r["sensor"],)).fetchone()
    assert r["packets"] == packets and r["status"] == "finished" and r["remote"].startswith("127.0.0.1:"), r
    assert r["lag_seconds"] > 0 and r["backlog_batches"] == 0, r
PY
pass "/api/v1/sensors reports both sensors as the store holds them"
