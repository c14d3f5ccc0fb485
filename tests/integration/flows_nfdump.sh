#!/usr/bin/env bash
# Flow collector against the reference: softflowd replays a capture (made here: multi-packet TCP
# sessions, UDP, ICMP, IPv6) as NetFlow v5, v9 and IPFIX to nfcapd, which repeats every datagram
# (-R) to `iotwatch collect`, so both collectors decode the very same stream. The flows nfdump
# prints must equal the stored ones exactly: count, src, dst, ports, protocol, packets, bytes, start
# and end in ms. Loopback only. Skipped (77) without softflowd/nfcapd/nfdump.
source "$(dirname "$0")/../lib/common.sh"
for t in softflowd nfcapd nfdump; do command -v $t >/dev/null || { echo "SKIP: $t missing"; exit 77; }; done

python3 - <<'PY'
import random, struct
random.seed(7)
def ip4(s): return bytes(int(x) for x in s.split("."))
def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b)); s = (s >> 16) + (s & 0xFFFF); s += s >> 16
    return ~s & 0xFFFF
def v4(src, dst, proto, l4):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 1, 0, 64, proto, 0, ip4(src), ip4(dst))
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return b"\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\x08\x00" + h + l4
def v6(src, dst, proto, l4):
    import ipaddress
    h = struct.pack("!IHBB", 6 << 28, len(l4), proto, 64) + ipaddress.IPv6Address(src).packed + ipaddress.IPv6Address(dst).packed
    return b"\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\x86\xdd" + h + l4
def tcp(sp, dp, flags, payload=0): return struct.pack("!HHIIBBHHH", sp, dp, 1, 0, 0x50, flags, 1024, 0, 0) + b"x" * payload
def udp(sp, dp, payload=0): return struct.pack("!HHHH", sp, dp, 8 + payload, 0) + b"u" * payload
def icmp(t, c): return struct.pack("!BBHI", t, c, 0, 0)
pkts = []
t0 = 1767225600.0
for i in range(400):  # TCP sessions, 3..12 packets over up to 20 s, ms-precision timestamps
    src, dst = f"10.{i % 7}.{i // 7 % 250}.{i % 250 + 1}", f"192.0.2.{i % 200 + 1}"
    sp, dp, t = 20000 + i, random.choice([23, 80, 443, 2323]), t0 + i * 0.731
    n = random.randint(3, 12)
    for k in range(n):
        fl = 0x02 if k == 0 else (0x11 if k == n - 1 else 0x18)
        pkts.append((t + k * random.uniform(0.001, 2.0), v4(src, dst, 6, tcp(sp, dp, fl, random.randint(0, 900)))))
for i in range(300):  # UDP, 1..4 packets
    src, t = f"172.16.{i // 250}.{i % 250 + 1}", t0 + 5 + i * 0.977
    for k in range(random.randint(1, 4)):
        pkts.append((t + k * 0.25, v4(src, "198.51.100.9", 17, udp(30000 + i, 53, random.randint(10, 400)))))
for i in range(60):  # ICMP echo requests and unreachables
    pkts.append((t0 + 7 + i * 1.3, v4(f"203.0.113.{i + 1}", "192.0.2.250", 1, icmp(8 if i % 2 else 3, 0 if i % 2 else 3))))
for i in range(120):  # IPv6 TCP and UDP (NetFlow v5 cannot carry them)
    src, t = f"2001:db8:{i:x}::1", t0 + 9 + i * 1.1
    for k in range(random.randint(1, 5)):
        l4 = tcp(40000 + i, 22, 0x18, 64) if i % 2 else udp(40000 + i, 123, 48)
        pkts.append((t + k * 0.5, v6(src, "2001:db8:ffff::2", 6 if i % 2 else 17, l4)))
pkts.sort(key=lambda p: p[0])
out = [struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)]
for ts, p in pkts:
    us = int(round(ts * 1e6))
    out.append(struct.pack("<IIII", us // 1000000, us % 1000000, len(p), len(p)) + p)
open("flows.pcap", "wb").write(b"".join(out))
PY

free_port() { python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

for v in 5 9 10; do
  P1=$(free_port); P2=$(free_port)
  mkdir -p "nf$v"
  nfcapd -b 127.0.0.1 -p "$P2" -w "nf$v" -R "127.0.0.1/$P1" -B 8000000 > "nfcapd$v.log" 2>&1 &
  NFCAPD=$!
  "$IOTWATCH" collect --listen "127.0.0.1:$P1" --db "f$v.db" --json > "collect$v.json" &
  COLLECT=$!
  sleep 1
  # v9/IPFIX carry IPv6 (-6) and absolute ms times (-A milli). v5 has only uptime-relative times:
  # replaying a file, softflowd needs -a to base its uptime on the capture's clock, else header
  # uptime and record times come from different clocks and no collector can recover the time.
  opts="-6"; [ "$v" = 5 ] && opts="-a"
  # Relative control-socket path: softflowd 1.1.0 hangs at start with an absolute one.
  timeout -s KILL 60 softflowd -r flows.pcap -n "127.0.0.1:$P2" -v "$v" -A milli $opts -d -p sf.pid -c sf.ctl > "softflowd$v.log" 2>&1
  sleep 2
  kill -INT "$COLLECT"; wait "$COLLECT" || fail "v$v: collect exited $?"
  kill -TERM "$NFCAPD"; wait "$NFCAPD" || true
  "$IOTWATCH" flows --db "f$v.db" > "flows$v.jsonl"
  exported=$(sed -n 's/^Flows exported: \([0-9]*\).*/\1/p' "softflowd$v.log")
  [ -n "$exported" ] || fail "v$v: softflowd did not report its flows: $(cat softflowd$v.log)"
  TZ=UTC nfdump -R "nf$v" -o json > "nfdump$v.json"
  python3 - "$v" "$exported" <<'PY' || fail "v$v: iotwatch and nfdump disagree"
import calendar, datetime, ipaddress, json, sqlite3, sys
v, exported = sys.argv[1], int(sys.argv[2])
def ms(s):  # "2026-01-01T00:33:01.218" (UTC, TZ=UTC)
    d = datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%f")
    return calendar.timegm(d.timetuple()) * 1000 + d.microsecond // 1000
ref = []
for r in json.load(open(f"nfdump{v}.json")):
    src = r.get("src4_addr") or r.get("src6_addr"); dst = r.get("dst4_addr") or r.get("dst6_addr")
    dport = r.get("dst_port", 0)
    if r["proto"] in (1, 58) and "icmp_type" in r: dport = r["icmp_type"] * 256 + r["icmp_code"]
    ref.append((str(ipaddress.ip_address(src)), str(ipaddress.ip_address(dst)), r.get("src_port", 0) if r["proto"] not in (1, 58) else 0,
                dport, r["proto"], r["in_packets"], r["in_bytes"], ms(r["first"]), ms(r["last"])))
ours = [(f["src"], f["dst"], f["sport"], f["dport"], f["protocol"], f["packets"], f["octets"], f["start_ns"] // 1000000,
         f["end_ns"] // 1000000) for f in map(json.loads, open(f"flows{v}.jsonl"))]
stats = json.load(open(f"collect{v}.json"))
print(f"v{v}: softflowd exported {exported}, nfdump {len(ref)}, iotwatch {len(ours)}; exporter stats {stats['exporters']}")
assert len(ref) == exported, "nfcapd lost datagrams: the reference is incomplete"
assert stats["errors"] == 0, stats
only_ref = sorted(set(ref) - set(ours)); only_ours = sorted(set(ours) - set(ref))
if sorted(ref) != sorted(ours):
    print("only in nfdump:", only_ref[:5]); print("only in iotwatch:", only_ours[:5]); sys.exit(1)
e = stats["exporters"][0]
assert e["records"] == exported and e["dropped_sets"] == 0 and e["malformed"] == 0, e
if v != "5": assert e["templates"] > 0 and e["options_records"] > 0 and e["sampling_interval"] == 1, e
if v != "5": assert any(":" in r[0] for r in ours), "no IPv6 flow"
assert any(r[5] > 1 and r[8] > r[7] for r in ours), "no multi-packet flow with a duration"
print(f"v{v}: {len(ours)} flows equal nfdump's field by field")
PY
  pass "NetFlow v$v: iotwatch collect equals nfdump"
done
