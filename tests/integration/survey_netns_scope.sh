#!/usr/bin/env bash
# A real (not --loopback-test) survey campaign, run inside a network namespace this test creates,
# captured on the wire: every packet the scanner sent went to an address of its allow-list minus
# its opt-out block list, and nothing else left it. Zero packets to the opted-out address, to the
# decoy host just outside the allow-list (which listens, so a stray probe would be answered), or
# anywhere else.
#
# Network safety: two namespaces (scanner, targets) joined by ONE veth pair; before the survey runs
# the scanner namespace is checked to hold only lo and that veth, with only the veth's connected
# route (no default route; IPv6 off). The target addresses (11.22.33.0/28) exist only inside the
# target namespace. Both namespaces are deleted on exit.
# Needs root, ip, tcpdump and busybox (telnetd); otherwise exit 77.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/../lib/netns.sh"
skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces)"
for tool in ip tcpdump busybox; do command -v $tool >/dev/null || skip "$tool is not installed"; done

NS_SCAN=iw-svs-$$
NS_TGT=iw-svt-$$
SCANNER=11.22.33.1
bg=()
cleanup() {
  local rc=$?
  for p in "${bg[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  netns_delete "$NS_SCAN" "$NS_TGT"
  cd / && rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT
netns_pair "$NS_SCAN" iwsv-s "$NS_TGT" iwsv-t
ip -n "$NS_SCAN" addr add $SCANNER/28 dev iwsv-s
ip -n "$NS_SCAN" link set iwsv-s up
for h in 2 3 4 5 6 9; do ip -n "$NS_TGT" addr add 11.22.33.$h/28 dev iwsv-t; done
ip -n "$NS_TGT" link set iwsv-t up

# The scanner namespace has no way out: lo and the veth only, the veth's connected route only.
netns_assert_isolated "$NS_SCAN" iwsv-s "$NS_TGT" 11.22.33.0/28 $SCANNER

# Services in the target namespace: a weak telnet login on .2, a listener on every other address
# (so a probe of an address outside the scope would be answered and seen).
cat > login.sh <<'SH'
#!/bin/sh
printf 'camera login: '
read -r user
printf 'Password: '
read -r pass
pass=$(printf '%s' "$pass" | tr -d '\r')
if [ "$pass" = admin ]; then printf '\r\n# '; sleep 3; else printf '\r\nLogin incorrect\r\n'; fi
SH
chmod +x login.sh
ip netns exec "$NS_TGT" busybox telnetd -F -p 23 -b 11.22.33.2 -l "$WORK/login.sh" & bg+=($!)
ip netns exec "$NS_TGT" python3 - > listeners.log 2>&1 <<'PY' & bg+=($!)
import selectors, socket
sel = selectors.DefaultSelector()
for host in ("11.22.33.3", "11.22.33.5", "11.22.33.9"):
    for port in (23, 80):
        s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, port)); s.listen(16); sel.register(s, selectors.EVENT_READ)
print("listening", flush=True)
while True:
    for key, _ in sel.select():
        c, _ = key.fileobj.accept()
        c.sendall(b"Welcome\r\n"); c.close()   # answers, but offers no login
PY
for _ in $(seq 1 50); do grep -q listening listeners.log && break; sleep 0.1; done

printf 'id,user,password,source\nt-1,admin,admin,test\n' > creds.csv
printf '11.22.33.0/29\n' > allow.txt        # .0-.7: .1 is the scanner itself
printf '11.22.33.5/32\n' > optout.txt       # an opted-out subscriber
printf '11.22.33.1/32\n' >> optout.txt      # never probe ourselves
ip netns exec "$NS_SCAN" tcpdump -i iwsv-s -n -U -w wire.pcap > tcpdump.log 2>&1 & TCPDUMP=$!; bg+=($TCPDUMP)
for _ in $(seq 1 50); do grep -q "listening on" tcpdump.log && break; sleep 0.1; done
grep -q "listening on" tcpdump.log || fail "tcpdump did not start: $(cat tcpdump.log)"
sleep 0.5

ip netns exec "$NS_SCAN" "$IOTWATCH" survey --allow allow.txt --block optout.txt --ports 23/telnet,80/http \
  --credentials creds.csv --max-attempts 1 --rate 100 --rate-per-24 100 --connect-timeout 1000 --phase-timeout 2000 \
  --source-address $SCANNER --contact "optout@example.net" --campaign ns1 --seed 11 --db s.db --json > run.json 2> run.err ||
  fail "survey failed: $(cat run.err)"
sleep 0.5
kill -INT $TCPDUMP; wait $TCPDUMP 2>/dev/null || true
"$IOTWATCH" survey --results --campaign ns1 --db s.db > results.jsonl

python3 - "$SCANNER" <<'PY'
import json, struct, sys
scanner = sys.argv[1]
allowed = {f"11.22.33.{h}" for h in (0, 2, 3, 4, 6, 7)}   # allow-list minus opt-outs (.1 .5)
def ip(b): return ".".join(str(x) for x in b)
raw = open("wire.pcap", "rb").read()
magic = struct.unpack("<I", raw[:4])[0]
assert magic in (0xa1b2c3d4, 0xa1b23c4d), hex(magic)
linktype = struct.unpack("<I", raw[20:24])[0]
assert linktype == 1, linktype
off, sent, dsts, syn_dsts, arp_dsts = 24, 0, set(), set(), set()
while off + 16 <= len(raw):
    _, _, incl, _ = struct.unpack("<IIII", raw[off:off + 16]); off += 16
    frame = raw[off:off + incl]; off += incl
    etype = struct.unpack("!H", frame[12:14])[0]
    if etype == 0x0806:  # ARP: who-has asked by the scanner must be for an allowed address
        op = struct.unpack("!H", frame[20:22])[0]; spa, tpa = ip(frame[28:32]), ip(frame[38:42])
        if op == 1 and spa == scanner:
            assert tpa in allowed, ("ARP for", tpa)
            arp_dsts.add(tpa)
        continue
    assert etype == 0x0800, hex(etype)       # IPv4 only: IPv6 is off
    src, dst = ip(frame[26:30]), ip(frame[30:34])
    if src == scanner:
        sent += 1; dsts.add(dst)
        assert dst in allowed, f"a packet left the scope: to {dst}"
        if frame[23] == 6 and frame[14 + (frame[14] & 15) * 4 + 13] & 0x02: syn_dsts.add(dst)
    else:
        assert dst == scanner, (src, dst)
assert sent > 10, sent
# Every allowed address was tried (a SYN on the wire, or, where no host answers ARP, the ARP
# request that would have carried it), and nothing else.
assert syn_dsts | arp_dsts == allowed, (sorted(syn_dsts), sorted(arp_dsts))
assert {"11.22.33.2", "11.22.33.3", "11.22.33.4", "11.22.33.6"} <= syn_dsts, sorted(syn_dsts)
res = {(r["address"], r["port"]): r["outcome"] for r in map(json.loads, open("results.jsonl"))}
assert res[("11.22.33.2", 23)] == "login-ok", res
assert res[("11.22.33.3", 23)] == "open-no-service" and res[("11.22.33.4", 23)] == "closed", res
assert res[("11.22.33.0", 23)] == "timeout", res
assert {a for a, _ in res} == allowed, sorted(res)
run = json.load(open("run.json"))
assert run["refused"] == 0 and run["probed"] == 12, run
print(f"{sent} packets from the scanner, all to {len(dsts)} allowed addresses")
PY
pass "survey in a namespace: the capture shows zero packets outside allow-list minus opt-outs"
