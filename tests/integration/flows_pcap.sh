#!/usr/bin/env bash
# `iotwatch collect --pcap`: export datagrams read from a capture (NetFlow v9 template and data
# from one exporter, IPFIX data before its template from another, a truncated v5 message, a DNS
# packet), stored per exporter; the corrupt message is reported with exporter and offset (exit 3).
source "$(dirname "$0")/../lib/common.sh"
python3 - <<'PY'
import struct
def ip4(s): return bytes(int(x) for x in s.split("."))
def udp_frame(src, dst, sport, dport, payload):
    u = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(u), 1, 0, 64, 17, 0, ip4(src), ip4(dst))
    return b"\x00" * 12 + b"\x08\x00" + h + u
def s(i, c): return struct.pack("!HH", i, len(c) + 4) + c
tmpl = struct.pack("!HH", 256, 4) + struct.pack("!HHHHHHHH", 8, 4, 12, 4, 2, 4, 152, 8)
rec = lambda h: ip4(f"10.0.0.{h}") + ip4("192.0.2.1") + struct.pack("!IQ", 3, 1767225600123)
v9 = struct.pack("!HHIIII", 9, 2, 1000, 1767225700, 0, 1) + s(0, tmpl) + s(256, rec(1) + rec(2))
ipfix_data = lambda seq: s(256, rec(3))
def ipfix(seq, sets):
    body = b"".join(sets); return struct.pack("!HHIII", 10, 16 + len(body), 1767225700, seq, 5) + body
ix1 = ipfix(0, [s(256, rec(3))])
ix2 = ipfix(1, [s(2, tmpl)])
v5 = struct.pack("!HHIIIIBBH", 5, 2, 1000, 1767225700, 0, 0, 0, 0, 0) + b"\0" * 60  # says 2 records, has 1.25
dns = b"\x12\x34\x01\x00\x00\x01"
pkts = [("192.0.2.10", 2055, v9), ("192.0.2.20", 4739, ix1), ("192.0.2.20", 4739, ix2), ("192.0.2.30", 2055, v5),
        ("192.0.2.40", 53, dns)]
out = [struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)]
for i, (src, dport, p) in enumerate(pkts):
    f = udp_frame(src, "127.0.0.1", 40000, dport, p)
    out.append(struct.pack("<IIII", 1767225700 + i, 0, len(f), len(f)) + f)
open("export.pcap", "wb").write(b"".join(out))
PY
set +e
"$IOTWATCH" collect --pcap export.pcap --db f.db --json > out.json 2> err.txt
rc=$?
set -e
[ "$rc" = 3 ] || fail "expected exit 3 for the truncated v5 message, got $rc: $(cat err.txt)"
grep -q "exporter 192.0.2.30 (v5 domain 0): offset 72" err.txt || fail "error does not name exporter and offset: $(cat err.txt)"
"$IOTWATCH" flows --db f.db > flows.jsonl
python3 - <<'PY'
import json, sqlite3
j = json.load(open("out.json"))
e = {(x["exporter"], x["version"]): x for x in j["exporters"]}
assert e[("192.0.2.10", 9)]["records"] == 2 and e[("192.0.2.10", 9)]["templates"] == 1, e
assert e[("192.0.2.20", 10)]["records"] == 1 and e[("192.0.2.20", 10)]["held_sets"] == 1, e
assert e[("192.0.2.20", 10)]["dropped_sets"] == 0, e
assert e[("192.0.2.30", 5)]["records"] == 1 and e[("192.0.2.30", 5)]["malformed"] == 1, e
assert j["unknown_version"] == 1, j     # the DNS packet
db = sqlite3.connect("f.db")
rows = sorted((f["exporter"], f["src"], f["packets"], f["start_ns"]) for f in map(json.loads, open("flows.jsonl")) if f["version"] > 5)
assert rows == [("192.0.2.10", "10.0.0.1", 3, 1767225600123000000), ("192.0.2.10", "10.0.0.2", 3, 1767225600123000000),
                ("192.0.2.20", "10.0.0.3", 3, 1767225600123000000)], rows
assert db.execute("SELECT COUNT(*) FROM flow_exporter").fetchone()[0] == 3
PY
"$IOTWATCH" collect --help | grep -q -- "--pcap FILE" || fail "help"
pass "collect --pcap: records, held data, errors with exporter and offset"
