#!/usr/bin/env bash
# ingest --detect with two workers, and with one worker whose detectors run on a thread of their
# own, stores exactly what one worker stores with its detectors inline: every table, scan events
# and DoS attacks included (the workers split sources for the counts and the scan detector, and
# victims for the backscatter detector; the unit test PartitionedDetectionFindsTheSameAttacksAndScans
# covers victims whose backscatter comes from many sources). The capture is given in two runs, so
# the second restores every worker's checkpointed detector state and open events are compared too.
source "$(dirname "$0")/../lib/common.sh"
"$IOTWATCH" gen --seed 33 --packets 300000 --darknet 198.18.0.0/16 -o day.pcap --truth truth.json
python3 - <<'PY'
# Split the capture in two files at its middle record (classic pcap: 24-byte header, 16-byte
# record headers), so the run checkpoints between them and the second resumes detector state.
import struct
data = open("day.pcap", "rb").read()
le = data[:4] == b"\xd4\xc3\xb2\xa1" or data[:4] == b"\x4d\x3c\xb2\xa1"
fmt = "<IIII" if le else ">IIII"
offs, at = [], 24
while at + 16 <= len(data):
    offs.append(at)
    at += 16 + struct.unpack(fmt, data[at:at + 16])[2]
mid = offs[len(offs) // 2]
open("a.pcap", "wb").write(data[:mid])
open("b.pcap", "wb").write(data[:24] + data[mid:])
PY
# "1" runs its detectors in the worker's path, "1t" on a thread of their own (DetectorThread),
# "1tc" too, checkpointing every 10 ms (each checkpoint drains the detector thread mid-file).
run() {  # run NAME ARGS...
  local name=$1; shift
  "$IOTWATCH" ingest --quiet --detect "$@" --darknet 198.18.0.0/16 --db t$name.db a.pcap
  "$IOTWATCH" ingest --quiet --detect "$@" --darknet 198.18.0.0/16 --db t$name.db b.pcap
  dump_tables t$name.db > rows$name.txt
}
run 1 --threads 1 --detector-thread off
run 1t --threads 1 --detector-thread on
run 1tc --threads 1 --detector-thread on --checkpoint-interval 0.01
run 2 --threads 2
# The day's (source, destination) pairs sorted only at checkpoints ("1n") and on a thread of
# their own as they come, checkpointing every 10 ms ("1pc"); "1" is auto (on with two cores).
run 1n --threads 1 --detector-thread off --pair-sort-thread off
run 1pc --threads 1 --pair-sort-thread on --checkpoint-interval 0.01
dos=$(grep -c '^dos_attack ' rows1.txt || true)
scans=$(grep -c '^scan_event ' rows1.txt || true)
[ "$dos" -gt 0 ] && [ "$scans" -gt 0 ] || fail "the capture should have DoS attacks and scans (dos $dos, scans $scans)"
cmp -s rows1.txt rows2.txt || fail "two workers differ from one: $(diff rows1.txt rows2.txt | head -5)"
cmp -s rows1.txt rows1t.txt || fail "detectors on their own thread differ: $(diff rows1.txt rows1t.txt | head -5)"
cmp -s rows1.txt rows1tc.txt || fail "detector thread with checkpoints differs: $(diff rows1.txt rows1tc.txt | head -5)"
cmp -s rows1.txt rows1n.txt || fail "pairs sorted at checkpoints only differ: $(diff rows1.txt rows1n.txt | head -5)"
cmp -s rows1.txt rows1pc.txt || fail "pairs sorted in the background, with checkpoints, differ: $(diff rows1.txt rows1pc.txt | head -5)"
# Every detector, the SVM too (a model trained on another generated day): on the detector thread
# the SVM runs on a second thread of its own (TelescopeAggregator's side thread), with its own
# copy of the packets; its labels, like the other rows, equal those of the inline run.
"$IOTWATCH" gen --seed 5 --packets 200000 --darknet 198.18.0.0/16 -o train.pcap --truth train.json 2>/dev/null
python3 -c "import json; print('\n'.join(v['victim'] for v in json.load(open('train.json'))['dos_victims']))" > train.labels
"$IOTWATCH" train --darknet 198.18.0.0/16 --labels train.labels --model m.svm train.pcap > /dev/null
runm() {  # runm NAME ARGS...
  local name=$1; shift
  run "$name" --model m.svm "$@"
  sqlite3 "t$name.db" "SELECT * FROM source_label ORDER BY 1, 2, 3, 4" >> "rows$name.txt"
}
runm m --threads 1 --detector-thread off
runm mt --threads 1 --detector-thread on
runm mtc --threads 1 --detector-thread on --checkpoint-interval 0.01
labels=$(grep -c 'svm-ddos' rowsm.txt || true)
[ "$labels" -gt 0 ] || fail "the SVM labelled no source (model from train.pcap)"
cmp -s rowsm.txt rowsmt.txt || fail "detectors and the SVM on threads of their own differ: $(diff rowsm.txt rowsmt.txt | head -5)"
cmp -s rowsm.txt rowsmtc.txt || fail "... with checkpoints every 10 ms differ: $(diff rowsm.txt rowsmtc.txt | head -5)"
"$IOTWATCH" ingest --quiet --detect --detector-thread sometimes --darknet 198.18.0.0/16 --db bad.db a.pcap 2> bad.err &&
  fail "--detector-thread sometimes was accepted"
grep -q -- "--detector-thread: expected auto, on or off" bad.err || fail "unclear error: $(cat bad.err)"
pass "two workers, and detectors on their own thread (with checkpoints every 10 ms), store what one worker stores ($(wc -l < rows1.txt) rows, $dos DoS attacks, $scans scan events; with the SVM on a second thread, $labels SVM labels)"
