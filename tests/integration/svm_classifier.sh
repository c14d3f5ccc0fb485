#!/usr/bin/env bash
# The SVM DDoS-backscatter classifier (Furutani et al. features, libsvm): trained on one generated
# day, evaluated on another (different seed), side by side with the rule-based backscatter detector.
source "$(dirname "$0")/../lib/common.sh"
for s in 5 6; do
  "$IOTWATCH" gen --seed $s --packets 300000 --darknet 198.18.0.0/16 -o d$s.pcap --truth d$s.json
  python3 -c "import json; print('\n'.join(v['victim'] for v in json.load(open('d$s.json'))['dos_victims']))" > d$s.labels
done
"$IOTWATCH" train --darknet 198.18.0.0/16 --labels d5.labels --model m.svm d5.pcap
[ -s m.svm ] && [ -s m.svm.scale ] || fail "no model written"
"$IOTWATCH" classify --darknet 198.18.0.0/16 --labels d6.labels --model m.svm --json d6.pcap > eval.json
python3 - <<'PY'
import json
e = json.load(open("eval.json"))
for k in ("svm", "rules"):
    s = e[k]
    assert s["tp"] + s["fn"] > 0, e            # the test data has DDoS windows
    assert s["f1"] >= 0.9, (k, s)
print("svm f1 %.3f, rules f1 %.3f on %d windows" % (e["svm"]["f1"], e["rules"]["f1"], e["windows"]))
PY
# The same model inside the pipeline (ingest --model, two workers): the sources it labels equal
# the offline classification's.
"$IOTWATCH" classify --darknet 198.18.0.0/16 --model m.svm d6.pcap | tail -n +2 | sort > offline.txt
"$IOTWATCH" ingest --quiet --detect --model m.svm --threads 2 --darknet 198.18.0.0/16 --db p.db d6.pcap
"$IOTWATCH" report --db p.db --view labels --jsonl | python3 -c "import json,sys; print('\n'.join(sorted({json.loads(l)['source'] for l in sys.stdin})))" > pipeline.txt
[ -s pipeline.txt ] && cmp -s offline.txt pipeline.txt || fail "pipeline SVM labels differ from classify: $(diff offline.txt pipeline.txt | head)"
sort d6.labels | cmp -s - pipeline.txt || echo "note: SVM sources differ from the generator's victims: $(sort d6.labels | diff - pipeline.txt | head -3)"
# A feature window of 0 s is a clear error naming --window (it used to divide by zero).
set +e
"$IOTWATCH" train --darknet 198.18.0.0/16 --labels d5.labels --model w.svm --window 0 d5.pcap 2> err.txt; rc=$?
set -e
[ $rc -eq 2 ] && grep -q -- "--window" err.txt || fail "--window 0: rc $rc, $(cat err.txt)"
# A model file that is not one is a clear error, not a crash.
echo "garbage" > bad.svm; echo "0 1" > bad.svm.scale
set +e
"$IOTWATCH" classify --darknet 198.18.0.0/16 --model bad.svm d6.pcap 2> err.txt; rc=$?
set -e
[ $rc -ne 0 ] && grep -q "bad.svm" err.txt || fail "bad model: rc $rc, $(cat err.txt)"
pass "SVM trained and evaluated on separate days"
