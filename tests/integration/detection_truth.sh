#!/usr/bin/env bash
# ingest --detect on a generated day: every DoS victim of the ground truth is reported with its
# exact backscatter packet count, every research scanner is a scan event labelled with its tool,
# and the Mirai bots found carry the Mirai fingerprint on every probe.
source "$(dirname "$0")/../lib/common.sh"
"$IOTWATCH" gen --seed 21 --packets 400000 --darknet 198.18.0.0/16 -o day.pcap --truth truth.json
"$IOTWATCH" ingest --quiet --detect --darknet 198.18.0.0/16 --db d.db day.pcap
"$IOTWATCH" report --db d.db --view dos --jsonl --top 1000 > dos.jsonl
"$IOTWATCH" report --db d.db --view scans --jsonl --top 100000 > scans.jsonl
"$IOTWATCH" report --db d.db --view infected --jsonl > infected.jsonl
# A research-scanner list naming one of the generated ZMap scanners excludes it from the judgement.
zmap_src=$(python3 -c "import json; print([r['src'] for r in json.load(open('truth.json'))['research_scanners'] if r['tool']=='zmap' and r['port'] in (80,443,22,8080,8443,23)][0])")
printf '# test list\n%s/32\tTestScanner\tthis test\n' "$zmap_src" > research.tsv
"$IOTWATCH" report --db d.db --view infected --jsonl --research-scanners research.tsv > infected2.jsonl
grep -q "\"$zmap_src\"" infected.jsonl || fail "$zmap_src (ZMap on an IoT port) should be judged without the list"
grep -q "\"$zmap_src\"" infected2.jsonl && fail "$zmap_src is on the research list but was judged infected"
python3 - <<'PY'
import json
t = json.load(open("truth.json"))
dos = [json.loads(l) for l in open("dos.jsonl")]
scans = [json.loads(l) for l in open("scans.jsonl")]
got = {(d["victim"], d["proto"]): d for d in dos}
for v in t["dos_victims"]:
    d = got.get((v["victim"], v["protocol"]))
    assert d is not None, f"victim {v} not detected"
    assert d["packets"] == v["packets"], (v, d)
assert len(dos) == len(t["dos_victims"]), f"{len(dos)} attacks reported, truth has {len(t['dos_victims'])}"
by_src = {}
for s in scans:
    by_src.setdefault(s["src"], []).append(s)
for r in t["research_scanners"]:
    if r["packets"] < 100:
        continue
    events = by_src.get(r["src"], [])
    assert events, f"research scanner {r} has no scan event"
    assert all(e["tool"] == r["tool"] for e in events), (r, events)
mirai_srcs = {b["src"] for b in t["mirai_bots"]}
mirai_events = [s for s in scans if s["src"] in mirai_srcs]
assert len(mirai_events) >= 10, f"only {len(mirai_events)} Mirai scan events"
assert all(e["mirai"] == 1.0 and e["tool"] == "mirai" for e in mirai_events)
assert not [s for s in scans if s["tool"] == "mirai" and s["src"] not in mirai_srcs]
infected = [json.loads(l) for l in open("infected.jsonl")]
high = {h["src"] for h in infected if h["evidence"] == "mirai-fingerprint"}
bots = {b["src"] for b in t["mirai_bots"] if b["packets"] >= 2}
assert high == bots, f"judged high: {len(high)}, Mirai bots with >= 2 packets: {len(bots)}; diff {sorted(high ^ bots)[:5]}"
assert all(h["confidence"] == "high" for h in infected if h["evidence"] == "mirai-fingerprint")
print(f"{len(dos)} DoS victims, {len(scans)} scan events ({len(mirai_events)} Mirai), {len(infected)} infected-host rows")
PY
pass "detections match the ground truth"
