#!/usr/bin/env bash
# A survey campaign killed with kill -9 mid-run continues where it was: rerun with the same
# --campaign, it probes only the targets without a stored result; every result stored before the
# kill is kept as it was (not probed again), and the campaign ends with exactly one result per
# target. Targets: a /24 of loopback (127.79.x.0/24, port 23, nothing listening), rate-limited so
# the run takes several seconds.
source "$(dirname "$0")/../lib/common.sh"
NET=127.79.$(( $$ % 200 + 10 ))
echo "$NET.0/24" > allow.txt
# An array, not a function: started in the background, $! must be the survey itself (a function
# would run in a subshell, and kill -9 would hit the subshell and leave the survey running).
RUN=("$IOTWATCH" survey --allow allow.txt --loopback-test --ports 23 --max-attempts 0 --rate 40 --rate-per-24 40
     --source-address 127.0.0.1 --contact "optout@example.net" --campaign r1 --seed 5 --db s.db --quiet)
"${RUN[@]}" > /dev/null 2>&1 &
pid=$!
sleep 2.5
kill -9 $pid 2>/dev/null || fail "the campaign ended before it could be killed"
wait $pid 2>/dev/null || true
"$IOTWATCH" survey --results --campaign r1 --db s.db > before.jsonl
n_before=$(wc -l < before.jsonl)
[ "$n_before" -gt 0 ] && [ "$n_before" -lt 256 ] || fail "expected a partial campaign before the resume, got $n_before results"
"${RUN[@]}" --json > resumed.json
"$IOTWATCH" survey --results --campaign r1 --db s.db > after.jsonl
python3 - <<'PY'
import json
before = {(r["address"], r["port"]): r for r in map(json.loads, open("before.jsonl"))}
after = [json.loads(l) for l in open("after.jsonl")]
keys = [(r["address"], r["port"]) for r in after]
assert len(after) == 256 and len(set(keys)) == 256, (len(after), len(set(keys)))
now = {(r["address"], r["port"]): r for r in after}
for k, r in before.items():
    assert now[k]["started"] == r["started"] and now[k]["ended"] == r["ended"], ("probed again", k, r, now[k])
j = json.load(open("resumed.json"))
assert j["finished"], j
assert j["probed"] == 256 - len(before), (j["probed"], len(before))
assert j["skipped_already_done"] <= len(before), j  # done targets past the stored low-water position
print(f"{len(before)} results before the kill kept, {j['probed']} probed after the resume")
PY
pass "kill -9 mid-campaign: resumed without probing finished targets again"
