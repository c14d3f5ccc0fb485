#!/usr/bin/env bash
# Our fast reader (mmap walk, streaming gzip/zstd, stdin) must count exactly what libpcap's
# pcap_next_ex path counts, on the same capture in every container.
source "$(dirname "$0")/../lib/common.sh"
"$IOTWATCH" gen --seed 11 --packets 100000 --darknet 198.18.0.0/16 --snaplen 60 -o day.pcap
gzip -k -c day.pcap > day.pcap.gz
zstd -q -c day.pcap > day.pcap.zst
run() { local db=$1; shift; "$IOTWATCH" ingest --quiet --darknet 198.18.0.0/16 --db "$db" "$@"; dump_tables "$db" > "$db.rows"; }
run libpcap.db --reader libpcap day.pcap
run fast.db day.pcap
run gz.db day.pcap.gz
run zst.db day.pcap.zst
"$IOTWATCH" ingest --quiet --darknet 198.18.0.0/16 --db stdin.db - < day.pcap
dump_tables stdin.db > stdin.db.rows
[ -s libpcap.db.rows ] || fail "libpcap run stored nothing"
for v in fast gz zst stdin; do
  cmp -s libpcap.db.rows $v.db.rows || { diff libpcap.db.rows $v.db.rows | head; fail "$v differs from libpcap"; }
done
pass "fast, gzip, zstd and stdin readers store exactly what libpcap's loop stores ($(wc -l < fast.db.rows) rows)"
