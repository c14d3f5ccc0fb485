#!/usr/bin/env bash
# Truncated and corrupt captures: everything before the bad record is counted, the error names the
# file and byte offset, the exit code is 3, and other inputs of the same run are still ingested.
source "$(dirname "$0")/../lib/common.sh"
"$IOTWATCH" gen --seed 3 --packets 5000 --darknet 198.18.0.0/16 -o good.pcap
size=$(stat -c %s good.pcap)
cut=$((size * 2 / 3))
head -c $cut good.pcap > cut.pcap
# Expected: the records that are complete before the cut, and the offset of the first incomplete one.
read -r complete offset < <(python3 - cut.pcap <<'PY'
import struct, sys
b = open(sys.argv[1], "rb").read(); pos = 24; n = 0
while pos + 16 <= len(b):
    incl = struct.unpack_from("<I", b, pos + 8)[0]
    if pos + 16 + incl > len(b): break
    pos += 16 + incl; n += 1
print(n, pos)
PY
)
# The worker decoding its records itself, and a thread of their own decoding them (DecodeAheadReader).
for mode in off on; do
  set +e
  "$IOTWATCH" ingest --quiet --decode-thread $mode --darknet 198.18.0.0/16 --db cut-$mode.db cut.pcap 2> err.txt
  rc=$?
  set -e
  [ $rc -eq 3 ] || fail "decode thread $mode: exit code $rc, expected 3 (stderr: $(cat err.txt))"
  grep -q "cut.pcap" err.txt || fail "decode thread $mode: error does not name the file: $(cat err.txt)"
  grep -q "offset $offset" err.txt || fail "decode thread $mode: error does not name byte offset $offset: $(cat err.txt)"
  counted=$(python3 -c "import json,sys; j=json.load(sys.stdin); print(j['packets']+j['outside'])" < <("$IOTWATCH" report --db cut-$mode.db --json))
  [ "$counted" -eq "$complete" ] || fail "decode thread $mode: counted $counted packets, $complete complete records precede the cut"
done

# Garbage and empty files among good ones: the good one is still ingested.
mkdir dir; cp good.pcap dir/a.pcap; head -c 1000 /dev/urandom > dir/b.pcap; : > dir/c.pcap
set +e
"$IOTWATCH" ingest --quiet --darknet 198.18.0.0/16 --db dir.db dir 2> err2.txt
rc=$?
set -e
[ $rc -eq 3 ] || fail "directory with bad files: exit $rc, expected 3"
grep -q "b.pcap" err2.txt && grep -q "c.pcap" err2.txt || fail "errors do not name both bad files: $(cat err2.txt)"
good=$("$IOTWATCH" report --db dir.db --json | python3 -c "import json,sys; j=json.load(sys.stdin); print(j['packets']+j['outside'])")
[ "$good" -eq 5000 ] || fail "good file in a directory with bad ones: counted $good of 5000"

# Bad command lines are usage errors (2), with a message naming the flag.
set +e
"$IOTWATCH" ingest --db x.db good.pcap 2> err3.txt; rc1=$?
"$IOTWATCH" ingest --darknet 300.1.1.0/24 good.pcap 2> err4.txt; rc2=$?
set -e
[ $rc1 -eq 2 ] && grep -q "darknet" err3.txt || fail "missing darknet: rc $rc1 $(cat err3.txt)"
[ $rc2 -eq 2 ] && grep -q "300.1.1.0/24" err4.txt || fail "bad CIDR: rc $rc2 $(cat err4.txt)"
pass "truncated at $cut: $complete records kept, error at offset $offset, exit 3; bad files reported by name"
