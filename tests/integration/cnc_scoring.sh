#!/usr/bin/env bash
# C&C scoring end to end on a generated day of NetFlow v5 exports (headers only): collect -> store
# -> `iotwatch cnc` -> `--record` -> `alerts`. The day (seeded, so the same every run):
#   - 40 bots (61.2.0.x) beacon to a C&C server 45.77.0.66 tcp/6667 every ~300 s with ~120-byte
#     messages; 30 of them are known infected (a partner sinkhole feed imported with `evidence`);
#   - 400 benign clients use DNS (8.8.8.8, listed popular) and a CDN that most clients reach
#     (popular by share); 15% of clients and of bots browse a web server at random;
#   - 60 benign clients poll an update server every hour (periodic, but no infected clients);
#   - a game server with 50 benign clients and 3 bots (co-occurrence by chance only).
# Pinned: the C&C server ranks first with a tiny co-occurrence p-value and a beacon score >= 0.8,
# no benign server ranks above it, popular servers are excluded, the hourly updater scores on
# beaconing only; --record stores it and `alerts` reports it to the organisation owning 45.77/16
# as kind cnc-server.
source "$(dirname "$0")/../lib/common.sh"

python3 - <<'PY'
import random, struct
rnd = random.Random(2026)
DAY = 1767225600  # 2026-01-01T00:00:00Z
BOOT = DAY - 1000
def ip4(s): return bytes(int(x) for x in s.split("."))
flows = []  # (start, end, src, dst, sport, dport, proto, flags, packets, octets)
def session(t, client, server, dport, proto=6, c2s=200, s2c=800):
    sport = rnd.randint(32768, 60999)
    d = rnd.uniform(0.05, 2.0)
    fl = 0x1b if proto == 6 else 0
    flows.append((t, t + d, client, server, sport, dport, proto, fl, 4, c2s))
    flows.append((t + 0.01, t + d, server, client, dport, sport, proto, fl, 4, s2c))
bots = [f"61.2.0.{i}" for i in range(1, 41)]
benign = [f"60.1.{i // 250}.{i % 250 + 1}" for i in range(400)]
open("seeds.csv", "w").write("timestamp,ip,family\n" + "".join(f"2026-01-01 06:00:00,{b},mirai\n" for b in bots[:30]))
for b in bots:                                  # the C&C: beacons every ~300 s, small similar messages
    t = DAY + rnd.uniform(0, 300)
    while t < DAY + 86000:
        session(t, b, "45.77.0.66", 6667, c2s=rnd.randint(115, 125), s2c=rnd.randint(60, 70))
        t += 300 + rnd.uniform(-5, 5)
for c in benign + bots:                          # DNS (popular by list), CDN (popular by share)
    for _ in range(rnd.randint(3, 8)):
        session(DAY + rnd.uniform(0, 86000), c, "8.8.8.8", 53, proto=17, c2s=70, s2c=150)
    session(DAY + rnd.uniform(0, 86000), c, "151.101.1.1", 443, c2s=rnd.randint(500, 3000), s2c=rnd.randint(5000, 90000))
for c in benign[:60] + bots[:6]:                  # a web server: 15% of every group browse it
    for _ in range(rnd.randint(1, 5)):
        session(DAY + rnd.uniform(0, 86000), c, "93.184.216.34", 443, c2s=rnd.randint(300, 5000), s2c=rnd.randint(2000, 200000))
for c in benign[100:160]:                        # an hourly update check: periodic, benign
    t = DAY + rnd.uniform(0, 3600)
    while t < DAY + 86000:
        session(t, c, "52.1.1.1", 443, c2s=rnd.randint(400, 420), s2c=rnd.randint(900, 950))
        t += 3600 + rnd.uniform(-30, 30)
for c in benign[200:250] + bots[30:33]:          # a game server
    for _ in range(rnd.randint(2, 6)):
        session(DAY + rnd.uniform(0, 86000), c, "34.1.2.3", 27015, proto=17, c2s=rnd.randint(100, 20000), s2c=rnd.randint(100, 50000))
flows.sort(key=lambda f: f[1])
frames, seq = [], 0
for i in range(0, len(flows), 30):
    chunk = flows[i:i + 30]
    export = int(max(f[1] for f in chunk)) + 1
    up = (export - BOOT) * 1000
    hdr = struct.pack("!HHIIIIBBH", 5, len(chunk), up, export, 0, seq, 0, 0, 0)
    seq += len(chunk)
    recs = b"".join(struct.pack("!4s4s4sHHIIIIHHBBBBHHBBH", ip4(f[2]), ip4(f[3]), b"\0" * 4, 0, 0, f[8], f[9],
                                int((f[0] - BOOT) * 1000), int((f[1] - BOOT) * 1000), f[4], f[5], 0, f[7], f[6], 0, 0, 0, 0, 0, 0)
                    for f in chunk)
    p = hdr + recs
    u = struct.pack("!HHHH", 40000, 2055, 8 + len(p), 0) + p
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(u), 1, 0, 64, 17, 0, ip4("192.0.2.10"), ip4("127.0.0.1"))
    fr = b"\0" * 12 + b"\x08\x00" + h + u
    frames.append(struct.pack("<IIII", export, 0, len(fr), len(fr)) + fr)
open("exports.pcap", "wb").write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1) + b"".join(frames))
print(len(flows), "flows")
PY
"$IOTWATCH" collect --pcap exports.pcap --db f.db --json > collect.json
"$IOTWATCH" evidence --feed partner-sinkhole --db f.db seeds.csv > /dev/null
"$IOTWATCH" cnc --day 2026-01-01 --db f.db --json --top 50 > cnc.jsonl
"$IOTWATCH" cnc --day 2026-01-01 --db f.db --top 5 > cnc.txt
python3 - <<'PY'
import json
rows = [json.loads(l) for l in open("cnc.jsonl")]
summary = rows.pop()["summary"]
by = {(r["server"], r["port"]): r for r in rows}
top = rows[0]
assert (top["server"], top["proto"], top["port"]) == ("45.77.0.66", "tcp", 6667), rows[:3]
assert top["rank"] == 1 and top["score"] >= 0.6, top
assert top["seed_clients"] == 30 and top["clients"] == 40, top
assert top["co_occurrence"]["p_value"] < 1e-6 and top["co_occurrence"]["score"] == 1, top["co_occurrence"]
assert top["beacon"]["best_pair_score"] >= 0.8 and top["beacon"]["beaconing_clients"] >= 35, top["beacon"]
assert 290 <= top["beacon"]["best_interval_s"] <= 310, top["beacon"]
for popular in (("8.8.8.8", 53), ("151.101.1.1", 443)):
    assert popular not in by, popular                       # excluded: by the list, by share
assert summary["popular_excluded"] >= 2 and summary["seeds"] >= 30, summary
upd = by[("52.1.1.1", 443)]
assert upd["co_occurrence"]["score"] == 0 and upd["beacon"]["best_pair_score"] >= 0.8, upd
assert upd["score"] < top["score"] and upd["rank"] > 1, upd
web, game = by[("93.184.216.34", 443)], by[("34.1.2.3", 27015)]
assert web["co_occurrence"]["p_value"] > 0.01 and game["co_occurrence"]["p_value"] > 0.001, (web, game)
print("C&C rank 1 of", len(rows), "scored servers; updater rank", upd["rank"], "score", round(upd["score"], 3))
PY
grep -q "45.77.0.66" cnc.txt || fail "text output lacks the C&C server: $(cat cnc.txt)"

# --record: candidates >= 0.5 become evidence; alerts report the server to its organisation.
"$IOTWATCH" cnc --day 2026-01-01 --db f.db --record --min-score 0.5 --json > record.jsonl
python3 -c 'import json; s=[json.loads(l) for l in open("record.jsonl")][-1]["summary"]; assert s["recorded"] >= 1, s'
cat > orgs.toml <<'TOML'
[[organisation]]
id = "hosting-isp"
name = "Hosting ISP"
prefixes = ["45.77.0.0/16"]
TOML
"$IOTWATCH" alerts --orgs orgs.toml --day 2026-01-01 --db f.db --outbox out > /dev/null
grep -q "45.77.0.66" out/hosting-isp/2026-01-01/*.csv || fail "the C&C server is not in the hosting ISP's alerts"
grep "45.77.0.66" out/hosting-isp/2026-01-01/*.csv | grep -q "cnc-server" || fail "the alert row lacks kind cnc-server"
# Shared: `share publish` puts the candidate into the owner's collection (TLP:AMBER) as an
# infrastructure (command-and-control), an indicator and their relationship, schema-valid.
"$IOTWATCH" share publish --orgs orgs.toml --db f.db --day 2026-01-01 > publish.txt
grep -q "1 C&C candidates" publish.txt || fail "publish did not count the C&C candidate: $(cat publish.txt)"
"$IOTWATCH" share get --collection org-hosting-isp --as hosting-isp --orgs orgs.toml --db f.db > shared.json
python3 - <<'PY'
import json
objs = json.load(open("shared.json"))["objects"]
infra = [o for o in objs if o["type"] == "infrastructure"]
ind = [o for o in objs if o["type"] == "indicator" and "malicious-activity" in o.get("indicator_types", [])]
rel = [o for o in objs if o["type"] == "relationship"]
assert len(infra) == 1 and infra[0]["infrastructure_types"] == ["command-and-control"], infra
assert "45.77.0.66" in infra[0]["name"] and len(ind) == 1 and "dst_port = 6667" in ind[0]["pattern"], ind
assert ind[0]["confidence"] >= 60, ind[0]
assert rel and rel[0]["source_ref"] == ind[0]["id"] and rel[0]["target_ref"] == infra[0]["id"], rel
amber = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
assert all(o["object_marking_refs"] == [amber] for o in infra + ind + rel), "C&C objects of an owned server are AMBER"
ident = [o for o in objs if o["type"] == "identity"]
json.dump({"type": "bundle", "id": "bundle--2f1cfa94-6e7e-5b8f-9d8d-8c5d4e1f7a22", "objects": ident + infra + ind + rel},
          open("cnc-bundle.json", "w"))
PY
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3   # Debian's python3-jsonschema, as taxii_hub.sh
if "$PY" -c 'import jsonschema' 2>/dev/null; then
  "$PY" -W ignore "$(dirname "$0")/../lib/validate_stix.py" "$DATA/stix2-schemas" cnc-bundle.json ||
    fail "the C&C objects do not validate against the STIX 2.1 schemas"
fi
# The seeds themselves (sinkhole evidence) are not turned into C&C findings.
"$IOTWATCH" cnc --day 2026-01-01 --db f.db --json | python3 -c 'import json,sys
rows=[json.loads(l) for l in sys.stdin][:-1]
assert rows[0]["server"] == "45.77.0.66", rows[0]'
# Bad input: a clear error naming the file and line.
printf '10.0.0.1\nnot-an-address\n' > bad-seeds.txt
"$IOTWATCH" cnc --day 2026-01-01 --db f.db --seeds bad-seeds.txt 2> bad.err && fail "bad seeds must fail"
grep -q "bad-seeds.txt.*line 2" bad.err || fail "unclear seeds error: $(cat bad.err)"
"$IOTWATCH" cnc --db f.db 2> bad.err && fail "--day is required"
pass "C&C scoring: beaconing C&C ranks first (co-occurrence p < 1e-6), popular excluded, benign updater below; recorded into the owner's alerts and published as STIX (schema-valid)"
