#!/usr/bin/env bash
# Enrichment in reports and alerts, on the committed .mmdb fixtures (tests/data/geo): attribution
# of an address to an organisation by its origin ASN, the country/region/city columns of the
# Shadowserver CSV, the countries/asns views, and research-scanner list entries by ASN.
source "$(dirname "$0")/../lib/common.sh"
GEO="--city-db $DATA/geo/city.mmdb --asn-db $DATA/geo/asn.mmdb"
# A telnet scan from 203.0.113.9 (AS64500, JP) over 250 darknet addresses, and a few packets from
# 198.51.100.7 (AS64501, US): raw-IPv4 pcap written here.
python3 - <<'PY'
import struct
def ip(s): return bytes(int(x) for x in s.split("."))
def syn(src, dst, t, dport=23, seq=1):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, 1, 0, 64, 6, 0, ip(src), ip(dst))
    tcp = struct.pack("!HHIIBBHHH", 40000, dport, seq, 0, 0x50, 0x02, 1024, 0, 0)
    p = h + tcp
    return struct.pack("<IIII", t, 0, len(p), len(p)) + p
out = [struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 101)]  # LINKTYPE_RAW
t0 = 1767225600  # 2026-01-01
for i in range(250):
    out.append(syn("203.0.113.9", f"198.18.{i // 200}.{i % 200 + 1}", t0 + i))
for i in range(3):
    out.append(syn("198.51.100.7", f"198.18.3.{i + 1}", t0 + 300 + i, dport=80))
# Time moves on past the 480 s idle timeout, so the scan event ends within this capture (a
# capture's last open events otherwise stay open in the checkpoint, for the next file).
out.append(syn("192.0.2.1", "198.18.4.1", t0 + 1200, dport=80))
open("scan.pcap", "wb").write(b"".join(out))
PY
printf '[detect]\nscan_min_rate_pps = 0\n' > detect.toml   # a 250-address test darknet: no Internet-wide rate floor
"$IOTWATCH" ingest --quiet --detect --config detect.toml --darknet 198.18.0.0/16 --db d.db scan.pcap

# Views by country and AS.
"$IOTWATCH" report --db d.db --view countries --jsonl $GEO > countries.jsonl
"$IOTWATCH" report --db d.db --view asns --jsonl $GEO > asns.jsonl
python3 - <<'PY'
import json
c = {r["country"]: r for r in map(json.loads, open("countries.jsonl"))}
a = {r["asn"]: r for r in map(json.loads, open("asns.jsonl"))}
assert c["JP"]["unique_hosts"] == 1 and c["JP"]["packets"] == 250, c
assert c["US"]["unique_hosts"] == 1 and c["US"]["packets"] == 3, c
assert c["unknown"]["unique_hosts"] == 1, c   # 192.0.2.1: the city fixture has no country for it
assert a["64500"]["as_org"] == "Example Tokyo Net" and a["64501"]["packets"] == 3, a
PY
"$IOTWATCH" report --db d.db --view countries > /dev/null 2> nogeo.err && fail "countries without a database must fail"
grep -q "needs a GeoIP/ASN database" nogeo.err || fail "unclear error: $(cat nogeo.err)"

# Research list by ASN: excluded only when the ASN is known.
printf 'AS64500\tExampleResearch\tthis test\n' > research.tsv
"$IOTWATCH" report --db d.db --view infected --jsonl --research-scanners research.tsv > with-list-no-asn.jsonl
"$IOTWATCH" report --db d.db --view infected --jsonl --research-scanners research.tsv $GEO > with-list.jsonl
grep -q '"203.0.113.9"' with-list-no-asn.jsonl || fail "without an ASN database the scanner must be judged"
grep -q '"203.0.113.9"' with-list.jsonl && fail "AS64500 is on the research list but 203.0.113.9 was judged"

# Organisations by ASN; partner evidence for an address in AS64501 and one no organisation claims.
cat > orgs.toml <<'TOML'
[[organisation]]
id = "tokyo-net"
name = "Example Tokyo Net"
asns = [64500]

[[organisation]]
id = "us-cable"
name = "Example US Cable"
asns = [64501]
formats = ["jsonl"]
TOML
printf 'ip,timestamp,family\n198.51.100.7,2026-01-01T01:00:00Z,mirai\n10.1.1.1,2026-01-01T01:00:00Z,mirai\n' > feed.csv
"$IOTWATCH" evidence --feed sinkhole --db d.db feed.csv > /dev/null
"$IOTWATCH" alerts --orgs orgs.toml --day 2026-01-01 --db d.db --outbox out --json $GEO > run.json
[ "$(json_get run.json "j['unattributed']")" = 1 ] || fail "10.1.1.1 belongs to nobody: $(cat run.json)"
python3 - <<'PY'
import csv, json
rows = list(csv.DictReader(open("out/tokyo-net/2026-01-01/iotwatch-tokyo-net-2026-01-01.csv")))
assert len(rows) == 1, rows
r = rows[0]
assert (r["src_ip"], r["src_asn"], r["src_geo"], r["src_region"], r["src_city"], r["tag"].split(";")[0]) == \
    ("203.0.113.9", "64500", "JP", "Tokyo", "Tokyo", "iot-port-scan"), r
us = [json.loads(l) for l in open("out/us-cable/2026-01-01/iotwatch-us-cable-2026-01-01.jsonl")]
assert [(u["address"], u["kind"], u["asn"], u["country"]) for u in us] == [("198.51.100.7", "external", 64501, "US")], us
PY
pass "GeoIP/ASN enrichment in views, research list and alert attribution"
