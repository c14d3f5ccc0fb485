#!/usr/bin/env bash
# From a generated capture to per-organisation alert files: ingest --detect, import partner
# evidence (CSV and STIX), alerts for the day. Checks attribution against the generator's truth,
# the Shadowserver header against the publisher's schema, the STIX bundle against the STIX 2.1
# JSON schemas, manifests against the files, byte-identical re-runs, the statistics, the access
# log and retention.
source "$(dirname "$0")/../lib/common.sh"
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3   # Debian's python3-jsonschema (install-deps)

"$IOTWATCH" gen --seed 21 --packets 400000 --darknet 198.18.0.0/16 -o day.pcap --truth truth.json >/dev/null 2>&1
"$IOTWATCH" ingest --quiet --detect --darknet 198.18.0.0/16 --db d.db day.pcap
cat > orgs.toml <<'TOML'
[[organisation]]
id = "low-isp"
name = "Low Half ISP"
contact = "abuse@low.example"
prefixes = ["0.0.0.0/1"]

[[organisation]]
id = "high-isp"
name = "High Half ISP"
kind = "daedalus"
prefixes = ["128.0.0.0/1", "2001:db8::/32"]
formats = ["shadowserver-csv", "stix"]
outbox = "delivery/high"   # its own delivery folder
TOML
bot=$(json_get truth.json "[b['src'] for b in j['mirai_bots'] if int(b['src'].split('.')[0]) >= 128][0]")
cat > feed.csv <<CSV
timestamp,ip,family,hostname
2026-01-01 10:00:00,$bot,mirai,sinkhole.example
2026-01-01T11:00:00Z,$bot,mirai,sinkhole.example
1767268800,9.9.9.9,Gafgyt,
bad-time,1.2.3.4,x,
2026-01-02 00:00:00,9.9.9.10,mirai,
CSV
set +e
"$IOTWATCH" evidence --feed partner-sinkhole --db d.db feed.csv 2> feed.err
rc=$?
set -e
[ "$rc" = 3 ] || fail "a feed with a bad record must exit 3, got $rc"
grep -q "feed.csv:5: field 'timestamp'" feed.err || fail "the error must name file, line and field: $(cat feed.err)"
cat > feed.json <<JSON
{"type":"bundle","id":"bundle--8c6f4b1e-1a2b-4c3d-8e4f-5a6b7c8d9e0f","objects":[
 {"type":"indicator","spec_version":"2.1","id":"indicator--1c6f4b1e-1a2b-4c3d-8e4f-5a6b7c8d9e0f","created":"2026-01-01T00:00:00Z",
  "modified":"2026-01-01T00:00:00Z","pattern":"[ipv4-addr:value = '130.1.2.3']","pattern_type":"stix",
  "valid_from":"2026-01-01T05:00:00Z","labels":["mozi"]},
 {"type":"indicator","spec_version":"2.1","id":"indicator--2c6f4b1e-1a2b-4c3d-8e4f-5a6b7c8d9e0f","created":"2026-01-01T00:00:00Z",
  "modified":"2026-01-01T00:00:00Z","pattern":"[url:value = 'http://x.example/a']","pattern_type":"stix","valid_from":"2026-01-01T05:00:00Z"}]}
JSON
"$IOTWATCH" evidence --feed partner-stix --db d.db feed.json >/dev/null
again=$("$IOTWATCH" evidence --feed partner-stix --db d.db --json feed.json | json_get /dev/stdin "j['added']")
[ "$again" = 0 ] || fail "importing the same bundle twice added $again records"

"$IOTWATCH" alerts --orgs orgs.toml --day 2026-01-01 --db d.db --outbox out --operator tester --json > run1.json
find out delivery -type f | sort | xargs sha256sum > sums1
"$IOTWATCH" alerts --orgs orgs.toml --day 2026-01-01 --db d.db --outbox out --operator tester --json > run2.json
find out delivery -type f | sort | xargs sha256sum > sums2
cmp -s sums1 sums2 || fail "re-running the day changed the files: $(diff sums1 sums2 | head -5)"
rows=$(sqlite3 d.db "SELECT COUNT(*) FROM alert")
[ "$rows" = "$(json_get run1.json "j['rows']")" ] || fail "the alert table holds $rows rows after two runs"

"$PY" - "$DATA" "$bot" <<'PY'
import csv, hashlib, ipaddress, json, os, sys
data, bot = sys.argv[1], sys.argv[2]
truth = json.load(open("truth.json"))
fields = json.load(open(os.path.join(data, "alerts/shadowserver-honeypot-darknet.json")))["event4_honeypot_darknet"]["fields"]
low = list(csv.DictReader(open("out/low-isp/2026-01-01/iotwatch-low-isp-2026-01-01.csv")))
high = list(csv.DictReader(open("delivery/high/2026-01-01/iotwatch-high-isp-2026-01-01.csv")))
with open("out/low-isp/2026-01-01/iotwatch-low-isp-2026-01-01.csv") as f:
    assert next(csv.reader(f)) == fields, "CSV header differs from Shadowserver's Honeypot-Darknet fields"
# Attribution: every address in the organisation's half, and every Mirai bot (>= 2 packets) alerted to its owner.
for rows, lo, hi in ((low, 0, 127), (high, 128, 255)):
    for r in rows:
        assert lo <= int(r["src_ip"].split(".")[0]) <= hi, r["src_ip"]
        assert r["dst_ip"] == "", "darknet addresses must not be exported"
alerted = {(r["src_ip"], r["tag"].split(";")[0]) for r in low + high}
for b in truth["mirai_bots"]:
    if b["packets"] >= 2:
        assert (b["src"], "mirai-fingerprint") in alerted, f"Mirai bot {b['src']} not alerted"
assert (bot, "external") in alerted and (bot, "mirai-fingerprint") in alerted, "the bot must carry both evidence kinds"
ext = [r for r in high if r["src_ip"] == bot and r["tag"] == "external"][0]
assert ext["count"] == "2" and ext["timestamp"] == "2026-01-01 10:00:00" and ext["public_source"] == "partner-sinkhole", ext
assert ("9.9.9.9", "external") in alerted and ("130.1.2.3", "external") in alerted
assert not any(r["src_ip"] == "9.9.9.10" for r in low), "evidence of another day leaked into this day"
assert len(alerted) == len(low) + len(high), "one row per (address, evidence kind)"
# JSONL carries the advice; the high ISP asked for CSV and STIX only.
jl = [json.loads(l) for l in open("out/low-isp/2026-01-01/iotwatch-low-isp-2026-01-01.jsonl")]
assert len(jl) == len(low) and all("change" in j["advice"] and "firmware" in j["advice"] for j in jl)
assert not os.path.exists("delivery/high/2026-01-01/iotwatch-high-isp-2026-01-01.jsonl")
# DAEDALUS: the telescope sensor that saw it.
assert all(j["sensors"] == "default" for j in jl if j["source"] == "telescope")
# Manifests match the files.
for folder in ("out/low-isp", "delivery/high"):
    m = json.load(open(f"{folder}/2026-01-01/manifest.json"))
    for f in m["files"]:
        b = open(f"{folder}/2026-01-01/{f['file']}", "rb").read()
        assert hashlib.sha256(b).hexdigest() == f["sha256"] and len(b) == f["bytes"], f
print(f"low-isp {len(low)} rows, high-isp {len(high)} rows")
PY
"$PY" -W ignore "$(dirname "$0")/../lib/validate_stix.py" "$DATA/stix2-schemas" delivery/high/2026-01-01/iotwatch-high-isp-2026-01-01.stix.json \
  || fail "STIX bundle does not validate against the STIX 2.1 schemas"

# Statistics: the day's national count is the distinct alerted addresses.
"$IOTWATCH" alerts --stats --db d.db --json > stats.json
distinct=$(sqlite3 d.db "SELECT COUNT(DISTINCT address) FROM alert WHERE day = 1767225600")
[ "$(json_get stats.json "j['national']['max']")" = "$distinct" ] || fail "stats national max != $distinct"
[ "$(json_get stats.json "j['days']")" = 1 ] || fail "stats should cover one day"
# Who read what.
logged=$(sqlite3 d.db "SELECT COUNT(*) FROM access_log WHERE who = 'tester' AND action = 'alerts.write'")
[ "$logged" = 4 ] || fail "expected 4 access-log rows (2 orgs x 2 runs), got $logged"

# Retention: with one day kept, a reference date a year later removes alerts and per-source rows.
printf '[retention]\nalerts_days = 1\nsource_days_days = 30\n' > keep.toml
"$IOTWATCH" retention --config keep.toml --db d.db --now 2026-01-01 --json > kept.json
[ "$(sqlite3 d.db "SELECT COUNT(*) FROM alert")" = "$rows" ] || fail "retention deleted rows of the kept day"
"$IOTWATCH" retention --config keep.toml --db d.db --now 2027-01-01 --json > gone.json
[ "$(sqlite3 d.db "SELECT COUNT(*) FROM alert")" = 0 ] || fail "old alert rows survived retention"
[ "$(sqlite3 d.db "SELECT COUNT(*) FROM source_day")" = 0 ] || fail "old source rows survived retention"
[ "$(sqlite3 d.db "SELECT COUNT(*) FROM class_bin")" != 0 ] || fail "bins have no retention set and must stay"
pass "alerts end to end: attribution, formats, idempotence, stats, access log, retention"
