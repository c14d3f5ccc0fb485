#!/usr/bin/env bash
# Detection accuracy on generated days with ground truth, several seeds none of which was used to
# tune anything (41, 42, 43): per-source tool fingerprints (a source is labelled with a tool when at
# least half its packets carry the fingerprint) precision and recall >= 0.99; every DoS victim
# found, with one attack per generated vector and no false victim; infected-host judgement
# precision >= 0.99 and recall >= 0.95, where the truth is the Mirai bots (>= 2 packets) and the
# unfingerprinted scanners of IoT-taxonomy ports, and the research scanners are on the list (as an
# operator would list them). The test fails when these drop.
source "$(dirname "$0")/../lib/common.sh"
for seed in 41 42 43; do
  "$IOTWATCH" gen --seed $seed --packets 400000 --darknet 198.18.0.0/16 -o d$seed.pcap --truth t$seed.json >/dev/null 2>&1
  "$IOTWATCH" ingest --quiet --detect --darknet 198.18.0.0/16 --db d$seed.db d$seed.pcap
  python3 -c "import json; [print(r['src'] + '/32\tgenerated research scanner\tthis test') for r in json.load(open('t$seed.json'))['research_scanners']]" > research$seed.tsv
  "$IOTWATCH" report --db d$seed.db --view infected --jsonl --research-scanners research$seed.tsv > infected$seed.jsonl
  "$IOTWATCH" report --db d$seed.db --view dos --jsonl --top 100000 > dos$seed.jsonl
done
python3 - "$DATA/../../data/iot-ports.tsv" <<'PY'
import json, sqlite3, sys
iot = set()
for line in open(sys.argv[1]):
    if line.strip() and not line.startswith("#"):
        c = line.rstrip("\n").split("\t")
        iot.add((c[0], int(c[1])))
def pr(pred, act):
    tp = len(pred & act)
    return (tp / len(pred) if pred else 1.0), (tp / len(act) if act else 1.0)
for seed in (41, 42, 43):
    t = json.load(open(f"t{seed}.json"))
    db = sqlite3.connect(f"d{seed}.db")
    rows = {r[0]: r[1:] for r in db.execute(
        "SELECT src, SUM(fp_mirai), SUM(fp_zmap), SUM(fp_masscan), SUM(packets) FROM source_day GROUP BY src")}
    line = [f"seed {seed}:"]
    for i, tool in enumerate(("mirai", "zmap", "masscan")):
        pred = {s for s, v in rows.items() if v[i] * 2 >= v[3] and v[i] > 0}
        act = {b["src"] for b in t["mirai_bots"]} if tool == "mirai" else \
              {r["src"] for r in t["research_scanners"] if r["tool"] == tool}
        p, r = pr(pred, act)
        assert p >= 0.99 and r >= 0.99, (seed, tool, p, r, sorted(pred ^ act)[:5])
        line.append(f"{tool} P {p:.3f} R {r:.3f}")
    dos = [json.loads(l) for l in open(f"dos{seed}.jsonl")]
    want = {}
    for v in t["dos_victims"]:
        want[(v["victim"], v["protocol"])] = want.get((v["victim"], v["protocol"]), 0) + 1
    got = {}
    for d in dos:
        got[(d["victim"], d["proto"])] = got.get((d["victim"], d["proto"]), 0) + 1
    assert got == want, (seed, "DoS vectors per victim differ", got, want)
    line.append(f"DoS {len(dos)} vectors, all found, none false")
    pred = {h["src"] for h in map(json.loads, open(f"infected{seed}.jsonl"))}
    act = {b["src"] for b in t["mirai_bots"] if b["packets"] >= 2} | \
          {s["src"] for s in t["scanners"] if (s["protocol"], s["port"]) in iot}
    p, r = pr(pred, act)
    assert p >= 0.99 and r >= 0.95, (seed, "infected", p, r, "FP", sorted(pred - act)[:5], "FN", sorted(act - pred)[:5])
    line.append(f"infected P {p:.3f} R {r:.3f} ({len(pred)} judged)")
    print(", ".join(line))
PY
pass "fingerprint, DoS and infected-host accuracy on three unseen seeds"
