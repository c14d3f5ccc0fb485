#!/usr/bin/env bash
# IPFIX over TCP (RFC 7011 section 10.4): `collect --listen-tcp` receives a stream from two exporter
# sessions on 127.0.0.1. Session 1 sends a template and data in one message, then data messages cut
# at awkward places (a header split across writes, several messages in one write); session 2
# sends a valid message and then garbage. Every record of session 1 is stored; session 2's valid
# message is stored, its garbage ends that session with an error naming the exporter and the
# stream offset, and session 1 is unaffected. Templates are scoped to the session: data sent on a
# new session without a template is held, then dropped (counted), not decoded with the old one.
source "$(dirname "$0")/../lib/common.sh"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$IOTWATCH" collect --listen-tcp "127.0.0.1:$port" --db f.db --duration 6 --hold 1 --json > out.json 2> err.txt &
pid=$!
sleep 0.8
python3 - "$port" <<'PY'
import socket, struct, sys, time
port = int(sys.argv[1])
def ip4(s): return bytes(int(x) for x in s.split("."))
def s_(i, c): return struct.pack("!HH", i, len(c) + 4) + c
tmpl = struct.pack("!HH", 256, 4) + struct.pack("!HHHHHHHH", 8, 4, 12, 4, 2, 4, 152, 8)
rec = lambda h: ip4(f"10.0.0.{h}") + ip4("192.0.2.1") + struct.pack("!IQ", 3, 1767225600123 + h)
def msg(seq, sets):
    body = b"".join(sets); return struct.pack("!HHIII", 10, 16 + len(body), 1767225700, seq, 7) + body
a = socket.create_connection(("127.0.0.1", port))
a.sendall(msg(0, [s_(2, tmpl), s_(256, rec(1) + rec(2))]))                # 2 records
m2, m3, m4 = msg(2, [s_(256, rec(3))]), msg(3, [s_(256, rec(4) + rec(5))]), msg(5, [s_(256, rec(6))])
a.sendall(m2[:3]); time.sleep(0.2); a.sendall(m2[3:] + m3[:20]); time.sleep(0.2)   # split header, split body
a.sendall(m3[20:] + m4)                                                     # the rest, two messages in one write
b = socket.create_connection(("127.0.0.1", port))
b.sendall(msg(0, [s_(2, tmpl), s_(256, rec(7))]))                           # 1 record
b.sendall(b"\x00\x05GARBAGE-NOT-IPFIX" * 3)
time.sleep(0.3)
a.close(); b.close()
c = socket.create_connection(("127.0.0.1", port))                          # new session, no template:
c.sendall(msg(0, [s_(256, rec(8))]))                                        # held, then dropped
time.sleep(0.3)
c.close()
PY
wait $pid || true
"$IOTWATCH" flows --db f.db --format csv > flows.csv
python3 - <<'PY'
import csv, json
j = json.load(open("out.json"))
got = sorted(r["src"] for r in csv.DictReader(open("flows.csv")))
want = sorted(f"10.0.0.{h}" for h in (1, 2, 3, 4, 5, 6, 7))
assert got == want, (got, want)
assert j["records"] == 7, j
assert j["errors"] >= 1, j
ex = [e for e in j["exporters"] if e["exporter"] == "127.0.0.1" and e["version"] == 10]
assert sum(e["dropped_sets"] for e in ex) >= 1, ex
print("records", j["records"], "errors", j["errors"])
PY
grep -q "exporter 127.0.0.1 .*IPFIX over TCP: stream offset [1-9][0-9]*: not an IPFIX message header" err.txt ||
  fail "the stream error must name the exporter and the stream offset: $(cat err.txt)"
pass "IPFIX over TCP: split and batched messages decoded, a bad stream closes only its session, templates per session"
