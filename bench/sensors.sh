#!/usr/bin/env bash
# Two remote sensors into one centre (issue 8). Not a test: nothing asserts; it prints figures.
#
# 1. Sustained load: two `iotwatch sensor`s replay one generated capture, paced so that together
#    they ship RATE darknet packets/s (default 30,000: twice NICTER's rate) for DURATION seconds
#    (default 300) over TLS to `iotwatch center --detect` (SQLite). Printed: packets shipped and
#    counted (the loss must be 0), the most batch files in the centre's journal (received, not yet
#    covered by a checkpoint: they go at the next one, every 10 s), peak anonymous RSS of the centre
#    and of each sensor, sampled every second, and how long the centre took to finish after the last
#    packet was shipped (its lag behind the sensors).
# 2. Capacity, in the same run and on the same capture: the sensors unpaced (as fast as the
#    centre takes them) against `iotwatch ingest --detect` of the capture on this machine; the
#    ratio says what the TLS + journal + merge path costs over reading the file directly.
#
# usage: bash bench/sensors.sh [BUILD_DIR]      (RATE=30000 DURATION=300 by default)
set -euo pipefail
build=${1:-build}
bin=$(readlink -f "$build/iotwatch")
rate=${RATE:-30000}
duration=${DURATION:-300}
dir=$(mktemp -d /tmp/iotwatch-bench-sensors.XXXXXX)
pids=()
trap 'for p in "${pids[@]}"; do kill $p 2>/dev/null || true; done; rm -rf "$dir"' EXIT
cd "$dir"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# The capture: DURATION seconds of capture time holding RATE darknet packets/s over two /24s
# (one per sensor), plus the generator's 1% to other addresses.
packets=$((rate * duration * 101 / 100))
"$bin" gen --seed 99 --packets "$packets" --duration "$duration" --darknet 198.18.0.0/24 --darknet 198.19.0.0/24 \
  -o all.pcap > /dev/null 2>&1
openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 1 -subj /CN=127.0.0.1 \
  -addext "subjectAltName=IP:127.0.0.1" 2>/dev/null
for s in a b; do head -c 24 /dev/urandom | base64 | tr -d '\n/+=' > $s.tok; done
digest() { tr -d '\n' < "$1" | sha256sum | cut -d' ' -f1; }
printf '[[sensor]]\nname = "a"\nprefixes = ["198.18.0.0/24"]\ntoken_sha256 = "%s"\n' "$(digest a.tok)" > center.toml
printf '[[sensor]]\nname = "b"\nprefixes = ["198.19.0.0/24"]\ntoken_sha256 = "%s"\n' "$(digest b.tok)" >> center.toml

# Anonymous (heap) resident memory: the process's own state. File-backed pages are left out: a
# sensor maps its capture file, whose pages the kernel shares with the page cache and drops at will.
rss_kb() { awk '/^RssAnon/ {print $2}' /proc/$1/status 2>/dev/null || echo 0; }

# run_pair NAME SENSOR_RATE: centre + two sensors until the centre has counted everything.
run_pair() {
  local name=$1 srate=$2 port
  port=$(free_port)
  rm -rf "$name.db"* "j-$name" "sa-$name" "sb-$name"
  "$bin" center --config center.toml --db "$name.db" --journal "j-$name" --listen 127.0.0.1:$port --tls-cert cert.pem \
    --tls-key key.pem --detect --exit-when-final --hold 30 --json > "$name.center.json" 2> "$name.center.err" &
  local cp=$!; pids+=($cp)
  for _ in $(seq 1 100); do python3 -c "import socket; socket.create_connection(('127.0.0.1',$port),1)" 2>/dev/null && break; sleep 0.1; done
  local t0; t0=$(date +%s.%N)
  local extra=()
  [ "$srate" != 0 ] && extra=(--rate "$srate")
  for s in a b; do
    "$bin" sensor --name $s --config center.toml --center 127.0.0.1:$port --ca cert.pem --token-file $s.tok \
      --spool "s$s-$name" --json "${extra[@]}" all.pcap > "$name.$s.json" 2> "$name.$s.err" &
    eval "sp_$s=\$!"; pids+=($!)
  done
  local peak_c=0 peak_a=0 peak_b=0 backlog=0 shipped_at=""
  while kill -0 $cp 2>/dev/null; do
    r=$(rss_kb $cp); [ "$r" -gt "$peak_c" ] && peak_c=$r
    r=$(rss_kb $sp_a); [ "$r" -gt "$peak_a" ] && peak_a=$r
    r=$(rss_kb $sp_b); [ "$r" -gt "$peak_b" ] && peak_b=$r
    n=$(find "j-$name" -name '*.batch' 2>/dev/null | wc -l); [ "$n" -gt "$backlog" ] && backlog=$n
    if [ -z "$shipped_at" ] && ! kill -0 $sp_a 2>/dev/null && ! kill -0 $sp_b 2>/dev/null; then shipped_at=$(date +%s.%N); fi
    sleep 1
  done
  wait $cp || true
  wait $sp_a $sp_b 2>/dev/null || true
  local t1; t1=$(date +%s.%N)
  [ -n "$shipped_at" ] || shipped_at=$t1
  python3 - "$name" "$t0" "$t1" "$shipped_at" "$peak_c" "$peak_a" "$peak_b" "$backlog" <<'PY'
import json, sqlite3, sys
name, t0, t1, shipped, pc, pa, pb, backlog = sys.argv[1:]
t0, t1, shipped = float(t0), float(t1), float(shipped)
shipped_packets = sum(json.load(open(f"{name}.{s}.json"))["darknet"] for s in "ab")
counted = sqlite3.connect(f"{name}.db").execute("SELECT sum(packets) FROM sensor_bin WHERE width = 86400").fetchone()[0] or 0
json.dump({"seconds": t1 - t0, "shipped": shipped_packets, "counted": counted, "lost": shipped_packets - counted,
           "drain_seconds": t1 - shipped, "peak_rss_mb": {"center": int(pc) / 1024, "sensor_a": int(pa) / 1024,
           "sensor_b": int(pb) / 1024}, "max_journal_backlog_batches": int(backlog)}, open(f"{name}.result.json", "w"))
PY
}

# Frames per second each sensor reads so that the two together ship RATE darknet packets/s.
sensor_rate=$((rate * 101 / 100))
echo "bench/sensors: $packets frames, two sensors at $sensor_rate frames/s each (together $rate darknet packets/s) for ${duration}s"
run_pair paced "$sensor_rate"
python3 - "$rate" "$duration" <<'PY'
import json, sys
rate, duration = int(sys.argv[1]), int(sys.argv[2])
r = json.load(open("paced.result.json"))
print(f"sustained: {r['shipped']:,} packets shipped in {r['seconds']:.1f} s "
      f"({r['shipped'] / max(r['seconds'] - r['drain_seconds'], 1e-9):,.0f}/s while shipping; target {rate:,}/s for {duration} s)")
print(f"  counted by the centre {r['counted']:,}, lost {r['lost']:,}; at most {r['max_journal_backlog_batches']} batch files journaled awaiting a checkpoint;"
      f" centre finished {r['drain_seconds']:.1f} s after the sensors")
p = r["peak_rss_mb"]
print(f"  peak anonymous RSS: centre {p['center']:.0f} MB (the open day's per-source state), sensor a {p['sensor_a']:.0f} MB, "
      f"sensor b {p['sensor_b']:.0f} MB")
PY

run_pair unpaced 0
t0=$(date +%s.%N)
"$bin" ingest --quiet --detect --config center.toml --db direct.db all.pcap
t1=$(date +%s.%N)
python3 - "$t0" "$t1" <<'PY'
import json, sqlite3, sys
direct_s = float(sys.argv[2]) - float(sys.argv[1])
direct = sqlite3.connect("direct.db").execute("SELECT sum(packets) FROM sensor_bin WHERE width = 86400").fetchone()[0]
r = json.load(open("unpaced.result.json"))
via = r["counted"] / r["seconds"]
print(f"capacity: sensors -> TLS -> centre --detect {via:,.0f} darknet packets/s ({r['counted']:,} in {r['seconds']:.1f} s, lost {r['lost']})")
print(f"  baseline ingest --detect of the same capture: {direct / direct_s:,.0f} packets/s ({direct:,} in {direct_s:.1f} s)")
print(f"  ratio centre path / direct ingest: {via / (direct / direct_s):.2f}x; headroom over 30,000/s: {via / 30000:.1f}x")
PY
