#!/usr/bin/env bash
# The detectors on traffic nobody on the team generated: the real zmap, masscan and nmap scan a
# /24 "darknet", nping sends SYN/ACK backscatter from a spoofed victim, tcpdump captures what reaches
# the darknet, and `ingest --detect` + `report` must agree with independent counts that tshark's
# dissectors and display filters take from the same pcap: per source (packets, bytes, destinations,
# ports, classes, first/last seen), per class, per tool fingerprint, every scan event (source,
# port, packets, unique destinations, start/end, rate, tool) and the DoS attack.
#
# Network safety: every packet stays inside two network namespaces this test creates (scanner and
# darknet) joined by ONE veth pair. Before any scanner runs, the scanner namespace is checked to
# hold only lo and the veth, whose peer is in the darknet namespace, and only the veth's connected
# route (no default route, no IPv6); the darknet side has no address and does not forward, so it
# answers nothing. The scanners only ever run through `ip netns exec $NS_SCAN` and are rate-limited. Both
# namespaces are deleted on exit, whatever happens.
#
# Needs root (namespaces, raw sockets) and zmap, masscan, nmap (with nping), tcpdump, tshark, ip;
# otherwise skipped with exit code 77 (SKIP_RETURN_CODE in tests/CMakeLists.txt). Takes ~75 s: the
# DoS detector needs an attack of >= 60 s (DOMAIN.md section 2), so nping runs for 64 s while the
# scanners (a few seconds each) run beside it.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/../lib/netns.sh"

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "real scanners need root (network namespaces, raw sockets)"
for tool in ip zmap masscan nmap nping tcpdump tshark; do
  command -v "$tool" >/dev/null 2>&1 || skip "$tool is not installed (scripts/install-deps.sh installs it)"
done

NS_SCAN=iw-scan-$$
NS_DARK=iw-dark-$$
NET=198.18.5.0/24          # RFC 2544 benchmarking space: the darknet, and the veth's only route
SCAN_ADDR=198.18.5.1       # the scanner namespace's veth address (gives the connected route)
ZMAP_SRC=198.18.5.11       # one source per tool, so every scan event names its tool
MASSCAN_SRC=198.18.5.12
NMAP_SRC=198.18.5.13
VICTIM=203.0.113.7         # TEST-NET-3: the spoofed DoS victim whose SYN/ACKs reach the darknet
RATE=2000                  # packets/s for each scanner

bg_pids=()
cleanup() {
  local rc=$?
  for pid in "${bg_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${bg_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  netns_delete "$NS_SCAN" "$NS_DARK"
  cd / && rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT

in_scan_ns() { ip netns exec "$NS_SCAN" "$@"; }
in_dark_ns() { ip netns exec "$NS_DARK" "$@"; }

# --- the two namespaces and their one veth pair -------------------------------------------------
netns_pair "$NS_SCAN" vscan "$NS_DARK" vdark
in_scan_ns ip addr add "$SCAN_ADDR/24" dev vscan
for a in "$ZMAP_SRC" "$MASSCAN_SRC" "$NMAP_SRC"; do in_scan_ns ip addr add "$a/24" dev vscan; done  # secondaries: no new route
in_scan_ns ip link set vscan up
in_dark_ns ip link set vdark up
DARK_MAC=$(in_dark_ns cat /sys/class/net/vdark/address)
# nmap (and the kernel) resolve on-link targets by ARP, which the silent darknet never answers:
# permanent neighbour entries send every darknet address to the darknet veth (zmap and masscan are
# told the same MAC as their gateway).
for i in $(seq 0 255); do echo "neigh replace 198.18.5.$i lladdr $DARK_MAC dev vscan nud permanent"; done |
  in_scan_ns ip -batch -

# --- safety checks, before any scanner runs ------------------------------------------------------
netns_assert_isolated "$NS_SCAN" vscan "$NS_DARK" "$NET" "$SCAN_ADDR"
[ -z "$(in_dark_ns ip -o addr show dev vdark)" ] || fail "darknet veth has an address: it would answer probes"

# --- capture, then the scanners one after another, nping's backscatter beside them ----------------
ip netns exec "$NS_DARK" tcpdump -i vdark -Q in -n -U -w capture.pcap 2> tcpdump.err &
bg_pids+=($!)
tcpdump_pid=$!
for _ in $(seq 50); do grep -q "listening on" tcpdump.err && break; sleep 0.1; done
grep -q "listening on" tcpdump.err || fail "tcpdump did not start: $(cat tcpdump.err)"

# nping: SYN/ACKs "from" the victim's port 80 to each darknet address (as if answering SYNs spoofed
# with darknet sources and source port 40000), 4 per second: 256 packets over 63.75 s.
ip netns exec "$NS_SCAN" nping --tcp --flags syn,ack -g 80 -p 40000 -S "$VICTIM" -e vscan --send-eth --dest-mac "$DARK_MAC" \
  --rate 4 -c 1 -N -H "$NET" > nping.out 2>&1 &
bg_pids+=($!)
nping_pid=$!
nping_start=$(date +%s)

: > empty-blocklist  # zmap's default blocklist holds 198.18.0.0/15
in_scan_ns zmap -q -i vscan -S "$ZMAP_SRC" -G "$DARK_MAC" -b empty-blocklist -r $RATE -c 1 -o /dev/null -p 23 "$NET" \
  > zmap23.log 2>&1 || fail "zmap -p 23: $(cat zmap23.log)"
in_scan_ns zmap -q -i vscan -S "$ZMAP_SRC" -G "$DARK_MAC" -b empty-blocklist -r $RATE -c 1 -o /dev/null -p 2323 "$NET" \
  > zmap2323.log 2>&1 || fail "zmap -p 2323: $(cat zmap2323.log)"
# masscan 1.3.2 sometimes never exits after its --wait (robertdavidgraham/masscan#144, #558): SIGINT
# after 15 s (its 512 packets take < 1 s); the packet counts below show whether it sent them all.
set +e
timeout -s INT -k 5 15 ip netns exec "$NS_SCAN" masscan -e vscan --adapter-ip "$MASSCAN_SRC" --router-mac "$DARK_MAC" \
  -p 23,2323 --rate $RATE --wait 1 "$NET" > masscan.log 2>&1
rc=$?
set -e
[ $rc -eq 0 ] || [ $rc -eq 124 ] || fail "masscan exit $rc: $(tail -c 500 masscan.log)"
# nmap: no host discovery (nothing answers), one retransmission, short timeouts (no replies come).
in_scan_ns nmap -n -Pn --disable-arp-ping -sS -p 22,80,8080 -S "$NMAP_SRC" -e vscan --max-rate $RATE \
  --max-retries 1 --min-hostgroup 256 --min-parallelism 64 --initial-rtt-timeout 50ms --max-rtt-timeout 100ms \
  "$NET" > nmap.log 2>&1 || fail "nmap: $(cat nmap.log)"
wait "$nping_pid" || fail "nping: $(cat nping.out)"
sleep 1
kill -INT "$tcpdump_pid"
wait "$tcpdump_pid" || true
grep -q "^0 packets dropped by kernel" tcpdump.err || fail "tcpdump dropped packets: $(cat tcpdump.err)"
ip netns del "$NS_SCAN"
ip netns del "$NS_DARK"
echo "captured: $(grep 'packets captured' tcpdump.err); scanners and nping took $(( $(date +%s) - nping_start )) s"

# --- iotwatch --------------------------------------------------------------------------------------
# Default [detect] thresholds on purpose: the /24 offers 256 destinations (>= 100), and the rate
# threshold is extrapolated by 2^32 / 256, so any scan of the /24 clears 10 packets/s Internet-wide.
"$IOTWATCH" ingest --quiet --detect --darknet "$NET" --db x.db capture.pcap
"$IOTWATCH" report --db x.db --view sources --jsonl --top 100000 > sources.jsonl
"$IOTWATCH" report --db x.db --view scans --jsonl --top 100000 > scans.jsonl
"$IOTWATCH" report --db x.db --view classes --jsonl > classes.jsonl
"$IOTWATCH" report --db x.db --view dos --jsonl --top 1000 > dos.jsonl
"$IOTWATCH" report --db x.db --json --top 100000 > summary.json

# --- the independent counts: tshark's dissectors ------------------------------------------------------
# One display filter per NICTER class (DOMAIN.md section 2; ECE, CWR, URG ignored). `!icmp` keeps
# TCP headers quoted inside ICMP errors out of the TCP classes.
in_net="ip.dst==$NET"
tcp="$in_net && ip.proto==6 && !icmp"
declare -A class_filter=(
  [rst]="$tcp && tcp.flags.reset==1"
  [synack]="$tcp && tcp.flags.reset==0 && tcp.flags.syn==1 && tcp.flags.ack==1 && tcp.flags.fin==0"
  [syn]="$tcp && tcp.flags.reset==0 && tcp.flags.syn==1 && tcp.flags.ack==0 && tcp.flags.fin==0"
  [fin]="$tcp && tcp.flags.reset==0 && tcp.flags.fin==1 && tcp.flags.syn==0"
  [push]="$tcp && tcp.flags.reset==0 && tcp.flags.syn==0 && tcp.flags.fin==0 && tcp.flags.push==1"
  [ack]="$tcp && tcp.flags.reset==0 && tcp.flags.syn==0 && tcp.flags.fin==0 && tcp.flags.push==0 && tcp.flags.ack==1"
  [tcp_other]="$tcp && !(tcp.flags.reset==1 || (tcp.flags.syn==1 && tcp.flags.fin==0) || (tcp.flags.fin==1 && tcp.flags.syn==0) || tcp.flags.push==1 || tcp.flags.ack==1)"
  [udp]="$in_net && ip.proto==17 && !icmp"
  [icmp]="$in_net && icmp"
  [other_ip]="$in_net && !(ip.proto==6 || ip.proto==17 || icmp)"
)
: > tshark_classes.tsv
for c in "${!class_filter[@]}"; do
  printf '%s\t%s\n' "$c" "$(tshark -r capture.pcap -Y "${class_filter[$c]}" -T fields -e frame.number 2>/dev/null | wc -l)" >> tshark_classes.tsv
done
# Per packet to the darknet, the header fields the fingerprints and the per-source counts need
# (first occurrence: the outer header). The masscan formula is computed from them in Python: tshark's
# filter language cannot XOR fields, and Python shares no code with our decoder.
tshark -r capture.pcap -Y "$in_net" -E occurrence=f -T fields \
  -e frame.time_epoch -e ip.src -e ip.dst -e ip.proto -e ip.len -e ip.id -e ip.ttl \
  -e tcp.dstport -e tcp.srcport -e tcp.flags -e tcp.seq_raw -e tcp.window_size_value -e tcp.hdr_len \
  -e udp.dstport -e icmp.type > fields.tsv 2>/dev/null
total=$(tshark -r capture.pcap -T fields -e frame.number 2>/dev/null | wc -l)
not_ip=$(tshark -r capture.pcap -Y '!ip && !ipv6' -T fields -e frame.number 2>/dev/null | wc -l)

python3 - "$ZMAP_SRC" "$MASSCAN_SRC" "$NMAP_SRC" "$VICTIM" "$total" "$not_ip" <<'PY'
import collections, ipaddress, json, sqlite3, sys

zmap_src, masscan_src, nmap_src, victim = sys.argv[1:5]
total, not_ip = int(sys.argv[5]), int(sys.argv[6])
DARKNET_SIZE = 256

def ns(epoch):  # tshark's "1795000000.581518000" to integer nanoseconds, without float rounding
    s, f = epoch.split(".")
    return int(s) * 10**9 + int(f.ljust(9, "0")[:9])

def utc(t_ns, digits):  # the report's format_utc(ns, 6)
    import datetime
    d = datetime.datetime.fromtimestamp(t_ns // 10**9, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    return d + ("." + str(t_ns % 10**9).rjust(9, "0")[:digits] if digits else "") + "Z"

def jsonl(path):
    return [json.loads(line) for line in open(path)]

# ---- tshark's view, packet by packet ----
FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10
src = collections.defaultdict(lambda: {"packets": 0, "bytes": 0, "dsts": set(), "ports": set(), "first": None,
                                       "last": None, "fp": collections.Counter()})
probes = collections.defaultdict(lambda: {"packets": 0, "dsts": set(), "first": None, "last": None,
                                          "fp": collections.Counter()})
backscatter = collections.defaultdict(list)  # (victim, proto) -> [(t, dst, dport, sport)]
for line in open("fields.tsv"):
    (epoch, s, d, proto, iplen, ipid, ttl, tdport, tsport, tflags, seq, win, hdrlen, udport, icmptype) = \
        line.rstrip("\n").split("\t")
    t, proto = ns(epoch), int(proto)
    r = src[s]
    r["packets"] += 1
    r["bytes"] += int(iplen)
    r["dsts"].add(d)
    if proto == 6 and tdport: r["ports"].add(("tcp", int(tdport)))
    if proto == 17 and udport: r["ports"].add(("udp", int(udport)))
    r["first"] = t if r["first"] is None else min(r["first"], t)
    r["last"] = t if r["last"] is None else max(r["last"], t)
    # Fingerprints (DOMAIN.md section 2): ZMap on any IPv4 packet, the others on SYNs without ACK/RST.
    fp = set()
    if int(ipid, 16) == 54321: fp.add("zmap")
    flags = int(tflags, 16) if tflags else 0
    bare_syn = proto == 6 and tflags and flags & (SYN | ACK | RST) == SYN
    if bare_syn:
        dst_int, seq, dport = int(ipaddress.IPv4Address(d)), int(seq), int(tdport)
        if seq == dst_int: fp.add("mirai")
        if int(ipid, 16) == (dst_int ^ dport ^ seq) & 0xFFFF: fp.add("masscan")
        if int(ttl) >= 200 and int(win) == 1024 and int(hdrlen) == 20: fp.add("large_scanner")
        p = probes[(s, 6, dport)]
        p["packets"] += 1
        p["dsts"].add(d)
        p["first"] = t if p["first"] is None else min(p["first"], t)
        p["last"] = t if p["last"] is None else max(p["last"], t)
        p["fp"].update(fp)
    r["fp"].update(fp)
    if proto == 6 and tflags and (flags & RST or flags & (SYN | ACK) == SYN | ACK):
        backscatter[(s, 6)].append((t, d, int(tdport), int(tsport)))

# ---- the telescope totals and classes ----
summary = json.load(open("summary.json"))
classes = {r["class"]: r["packets"] for r in jsonl("classes.jsonl") if r["view"] == "classes"}
tclasses = {c: int(n) for c, n in (l.split("\t") for l in open("tshark_classes.tsv"))}
assert classes == tclasses, f"classes: iotwatch {classes} tshark {tclasses}"
assert sum(tclasses.values()) == sum(r["packets"] for r in src.values()), "tshark's class filters miss packets"
assert summary["packets"] == sum(tclasses.values()), (summary["packets"], tclasses)
assert summary["not_ip"] == not_ip and summary["outside"] == total - not_ip - summary["packets"] == 0, \
    (summary["not_ip"], not_ip, summary["outside"], total)
assert summary["undecodable"] == summary["truncated"] == 0, summary
assert summary["sources"] == len(src), (summary["sources"], len(src))

# ---- per source ----
rows = {r["src"]: r for r in jsonl("sources.jsonl")}
full = {r["src"]: r for r in summary["top_sources"]}
db = sqlite3.connect("x.db")
fpdb = {row[0]: dict(zip(("mirai", "zmap", "masscan", "large_scanner"), row[1:]))
        for row in db.execute("SELECT src, SUM(fp_mirai), SUM(fp_zmap), SUM(fp_masscan), SUM(fp_large_scanner) "
                              "FROM source_day GROUP BY src")}
assert set(rows) == set(full) == set(fpdb) == set(src), (sorted(rows), sorted(src))
for s, r in src.items():
    got, g2 = rows[s], full[s]
    want = {"packets": r["packets"], "destinations": len(r["dsts"]), "ports": len(r["ports"])}
    assert {k: got[k] for k in want} == want, (s, got, want)
    assert g2["bytes"] == r["bytes"], (s, g2["bytes"], r["bytes"])
    assert (g2["first_seen"], g2["last_seen"]) == (utc(r["first"], 6), utc(r["last"], 6)), (s, g2, r["first"], r["last"])
    want_fp = {f: r["fp"][f] for f in ("mirai", "zmap", "masscan", "large_scanner")}
    assert fpdb[s] == want_fp, (s, fpdb[s], want_fp)
    # The documented scripting keys of --view sources carry the same counts.
    assert (got["mirai_packets"], got["zmap_packets"], got["masscan_packets"]) == \
        (want_fp["mirai"], want_fp["zmap"], want_fp["masscan"]), (s, got, want_fp)
    # Every scanner here probes IoT ports of the taxonomy (telnet 23/2323, ssh 22, web admin 80/8080)
    # and none is on the research list, so the judgement names them; the DoS victim only answers.
    assert got["infected"] is (s != victim), (s, got)

# ---- scan events: every (source, port) with >= 100 distinct destinations among its SYN probes ----
# (the rate threshold always holds on a /24: 2^32/256 x packets/s). Exact equality of packets,
# destinations, start and end, every fingerprint count; the rate by the documented formula.
want_scans = {k: p for k, p in probes.items() if len(p["dsts"]) >= 100}
ev = {(r[0], r[1], r[2]): r for r in db.execute(
    "SELECT src, protocol, port, start_ns, end_ns, packets, destinations, rate_pps, mirai, zmap, masscan, large_scanner "
    "FROM scan_event")}
assert set(ev) == set(want_scans), (sorted(ev), sorted(want_scans))
for k, p in want_scans.items():
    e = ev[k]
    assert e[3:7] == (p["first"], p["last"], p["packets"], len(p["dsts"])), (k, e, p["packets"], len(p["dsts"]))
    rate = p["packets"] / max(1.0, (p["last"] - p["first"]) / 1e9) * 2**32 / DARKNET_SIZE
    assert abs(e[7] - rate) <= 1e-9 * rate, (k, e[7], rate)
    assert e[8:12] == tuple(p["fp"][f] for f in ("mirai", "zmap", "masscan", "large_scanner")), (k, e, p["fp"])
tools = {(r["src"], r["proto"], r["dport"]): r for r in jsonl("scans.jsonl")}
expect_tool = {zmap_src: "zmap", masscan_src: "masscan", nmap_src: "-"}
expect_ports = {zmap_src: {23, 2323}, masscan_src: {23, 2323}, nmap_src: {22, 80, 8080}}
for s, ports in expect_ports.items():
    assert {k[2] for k in want_scans if k[0] == s} == ports, (s, sorted(k for k in want_scans if k[0] == s))
    for port in ports:
        r = tools[(s, "tcp", port)]
        assert r["tool"] == expect_tool[s], (s, port, r)
        assert r["unique_dsts"] == len(probes[(s, 6, port)]["dsts"]), (s, port, r)
        assert r["packets"] == probes[(s, 6, port)]["packets"], (s, port, r)
assert len(tools) == len(want_scans), sorted(tools)

# ---- the DoS attack: nping's SYN/ACKs from the victim, the only backscatter ----
assert list(backscatter) == [(victim, 6)], sorted(backscatter)
pk = sorted(backscatter[(victim, 6)])
start, end = pk[0][0], pk[-1][0]
slots = collections.Counter((t - start) // (10 * 10**9) for t, *_ in pk)
best = max(sum(slots.get(i - j, 0) for j in range(6)) for i in range(max(slots) + 1))
dos = db.execute("SELECT victim, protocol, start_ns, end_ns, packets, max_window_packets, rate_pps, attackers, "
                 "attacker_ports, victim_ports FROM dos_attack").fetchall()
assert len(dos) == 1, dos
d = dos[0]
ports = collections.Counter(sport for *_, sport in pk)
want = (victim, 6, start, end, len(pk), best, len({x[1] for x in pk}), len({x[2] for x in pk}),
        " ".join(f"{p}:{n}" for p, n in sorted(ports.items(), key=lambda x: (-x[1], x[0]))[:5]))
assert d[:6] + d[7:] == want, (d, want)
rate = len(pk) / max(1.0, (end - start) / 1e9) * 2**32 / DARKNET_SIZE
assert abs(d[6] - rate) <= 1e-9 * rate, (d[6], rate)
assert [r["victim"] for r in jsonl("dos.jsonl")] == [victim]

for s, name in ((zmap_src, "zmap"), (masscan_src, "masscan"), (nmap_src, "nmap")):
    r = src[s]
    per_port = ", ".join(f"tcp/{k[2]}: {p['packets']} probes to {len(p['dsts'])} destinations"
                         for k, p in sorted(want_scans.items()) if k[0] == s)
    print(f"{name} ({s}): {r['packets']} packets, fingerprints {dict(r['fp'])}; {per_port}")
print(f"nping backscatter ({victim}): {len(pk)} SYN/ACKs to {want[6]} darknet addresses over "
      f"{(end - start) / 1e9:.2f} s, busiest 60 s window {best}")
print(f"classes {dict((c, n) for c, n in sorted(tclasses.items()) if n)}, not IP {not_ip}")
PY
pass "zmap, masscan, nmap and nping captures: ingest --detect agrees with tshark on every count"
