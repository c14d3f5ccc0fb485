#!/usr/bin/env bash
# Two workers with --detect skip, undecoded, the TCP/UDP packets of each other's sources (the
# backscatter detector keys those by their source), but must decode every ICMP error: it is keyed
# by the victim it quotes, which the other worker may own. Here one victim's backscatter arrives
# only as ICMP unreachables from 200 different routers (sources of both workers): one worker and
# two must store the same attack with all 600 packets, and the same rows everywhere else.
source "$(dirname "$0")/../lib/common.sh"
python3 - <<'PY'
import struct

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF

def ipv4(src, dst, proto, payload, ident):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, 0, 64, proto, 0, bytes(src), bytes(dst))
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload

victim = [203, 0, 113, 5]
out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
t0 = 1767225600
for i in range(600):
    router = [192, 0, 2, 1 + i % 100] if i % 2 else [198, 51, 100, 1 + i % 100]
    darknet = [198, 18, (i * 7) % 256, (i * 13) % 256]
    # The spoofed probe the victim never sent: darknet address -> victim, TCP to port 80.
    quoted = ipv4(darknet, victim, 6, struct.pack("!HHI", 40000 + i % 1000, 80, i), 1000 + i)[:28]
    icmp = struct.pack("!BBHI", 3, 1, 0, 0) + quoted
    icmp = icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]
    frame = b"\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\x08\x00" + ipv4(router, darknet, 1, icmp, i)
    ts = t0 * 1000000 + i * 200000  # 5 a second for 120 s
    out.append(struct.pack("<IIII", ts // 1000000, ts % 1000000, len(frame), len(frame)) + frame)
open("icmp.pcap", "wb").write(b"".join(out))
PY
for n in 1 2; do
  "$IOTWATCH" ingest --quiet --detect --threads $n --darknet 198.18.0.0/16 --db t$n.db icmp.pcap
  dump_tables t$n.db > rows$n.txt
done
grep -q '^dos_attack 203\.0\.113\.5 1 [0-9]* [0-9]* 600 ' rows1.txt ||
  fail "one worker should store the victim's ICMP attack with 600 packets: $(grep '^dos_attack' rows1.txt | head -3)"
cmp -s rows1.txt rows2.txt || fail "two workers differ from one: $(diff rows1.txt rows2.txt | head -5)"
pass "ICMP backscatter quoting a victim is counted by the victim's worker, whoever's the router"
