#!/usr/bin/env bash
# DAEDALUS: two members each contribute half of the unused space; one ingest analyses the pooled
# darknet (--orgs), and each member is alerted about its own live addresses with the member
# darknets they hit. The "which darknet saw it" attribution is checked against an independent
# reading of the capture in Python (classic pcap, raw IPv4 or Ethernet).
source "$(dirname "$0")/../lib/common.sh"
"$IOTWATCH" gen --seed 33 --packets 200000 --darknet 198.18.0.0/16 -o day.pcap --truth truth.json >/dev/null 2>&1
cat > members.toml <<'TOML'
[[organisation]]
id = "member-a"
name = "Member A"
kind = "daedalus"
prefixes = ["0.0.0.0/1", "198.18.0.0/17"]    # its unused space lies inside its own allocation
darknet = ["198.18.0.0/17"]

[[organisation]]
id = "member-b"
name = "Member B"
kind = "daedalus"
prefixes = ["128.0.0.0/2", "198.18.128.0/17", "224.0.0.0/3"]
darknet = ["198.18.128.0/17"]
TOML
"$IOTWATCH" ingest --quiet --detect --orgs members.toml --db d.db day.pcap
"$IOTWATCH" alerts --orgs members.toml --day 2026-01-01 --db d.db --outbox out > /dev/null
python3 - <<'PY'
import ipaddress, json, struct
# Which member darknet each source hit, read straight from the capture.
data = open("day.pcap", "rb").read()
magic = struct.unpack("<I", data[:4])[0]
endian = "<" if magic in (0xa1b2c3d4, 0xa1b23c4d) else ">"
linktype = struct.unpack(endian + "I", data[20:24])[0]
off, hits = 24, {}
while off + 16 <= len(data):
    incl = struct.unpack(endian + "I", data[off + 8:off + 12])[0]
    pkt = data[off + 16:off + 16 + incl]
    off += 16 + incl
    ip = pkt[14:] if linktype == 1 else pkt
    if linktype == 1 and pkt[12:14] != b"\x08\x00":
        continue
    if len(ip) < 20 or ip[0] >> 4 != 4:
        continue
    src, dst = ip[12:16], ip[16:20]
    if dst[0] != 198 or dst[1] != 18:
        continue
    hits.setdefault(".".join(map(str, src)), set()).add("member-a" if dst[2] < 128 else "member-b")
rows = 0
nets = {"member-a": [ipaddress.ip_network("0.0.0.0/1")],
        "member-b": [ipaddress.ip_network("128.0.0.0/2"), ipaddress.ip_network("224.0.0.0/3")]}
for member in nets:
    for line in open(f"out/{member}/2026-01-01/iotwatch-{member}-2026-01-01.jsonl"):
        r = json.loads(line)
        rows += 1
        assert any(ipaddress.ip_address(r["address"]) in n for n in nets[member]), (member, r["address"])
        want = ",".join(sorted(hits[r["address"]]))
        assert r["sensors"] == want, (r["address"], r["sensors"], want)
both = sum(1 for v in hits.values() if len(v) == 2)
assert rows > 50, rows
print(f"{rows} alert rows; {both} sources hit both members' darknets")
PY
pass "DAEDALUS members alerted with the member darknets their addresses hit"
