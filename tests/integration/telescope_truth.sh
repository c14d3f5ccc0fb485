#!/usr/bin/env bash
# The generator's ground truth (its own classifier) against what ingest + report count from the
# pcap (the production decoder and classifier): two independent implementations must agree exactly.
source "$(dirname "$0")/../lib/common.sh"
"$IOTWATCH" gen --seed 7 --packets 300000 --darknet 198.18.0.0/16 -o day.pcap --truth truth.json
"$IOTWATCH" ingest --quiet --darknet 198.18.0.0/16 --db t.db day.pcap
"$IOTWATCH" report --db t.db --json > report.json
python3 - <<'PY'
import json
t = json.load(open("truth.json")); r = json.load(open("report.json"))
for c, n in t["classes"].items():
    assert r["classes"][c] == n, f"class {c}: report {r['classes'][c]} != truth {n}"
assert set(r["classes"]) == set(t["classes"]), (sorted(r["classes"]), sorted(t["classes"]))
assert r["packets"] == t["packets"] == sum(t["classes"].values()), (r["packets"], t["packets"])
assert r["outside"] == t["outside"], (r["outside"], t["outside"])
assert r["sources"] == t["sources"], (r["sources"], t["sources"])
assert t["packets"] > 250000 and t["outside"] > 0
# Every class the generator makes must be non-zero, or this test proves less than it says.
zero = [c for c, n in t["classes"].items() if n == 0]
assert not zero, f"generator produced no {zero}"
PY
pass "report equals ground truth: $(python3 -c 'import json; print(json.load(open("report.json"))["classes"])')"
