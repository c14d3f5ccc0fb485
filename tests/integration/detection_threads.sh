#!/usr/bin/env bash
# ingest --detect with two workers stores exactly what one worker stores: every table, scan events
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
for t in 1 2; do
  "$IOTWATCH" ingest --quiet --detect --threads $t --darknet 198.18.0.0/16 --db t$t.db a.pcap
  "$IOTWATCH" ingest --quiet --detect --threads $t --darknet 198.18.0.0/16 --db t$t.db b.pcap
  dump_tables t$t.db > rows$t.txt
done
dos=$(grep -c '^dos_attack ' rows1.txt || true)
scans=$(grep -c '^scan_event ' rows1.txt || true)
[ "$dos" -gt 0 ] && [ "$scans" -gt 0 ] || fail "the capture should have DoS attacks and scans (dos $dos, scans $scans)"
cmp -s rows1.txt rows2.txt || fail "two workers differ from one: $(diff rows1.txt rows2.txt | head -5)"
pass "two workers store what one stores ($(wc -l < rows1.txt) rows, $dos DoS attacks, $scans scan events)"
