#!/usr/bin/env bash
# Flow collection speed against nfcapd (issue 7): the same IPFIX export stream (softflowd's
# template, 27 flows per datagram; bench/bench_flow_replay) is sent over loopback UDP to
# `iotwatch collect` (decoding and storing into SQLite) and to nfcapd (decoding and writing its
# files), one collector at a time so neither competes with the other for this machine's cores
# (the sender needs one of them), at increasing rates (RATES flows/s, SECONDS_PER_RATE each).
# Per rate and collector: flows stored (iotwatch: its records count; nfcapd: the flow count in its
# files' statistics), the loss, and the collector's CPU time (user + system, from /proc, while it
# received and drained the stream). A collector that lost flows is not tried at higher rates.
# Figures: the highest rate up to which each collector lost no flow, their ratio (target >= 1.5x),
# and flows per CPU second at the highest rate both took losslessly (a capacity that does not
# depend on scheduling). Both use an 8 MB socket receive buffer (the kernel caps it at
# net.core.rmem_max). Not a test: nothing asserts. CONCURRENT=1 sends to both at once instead.
set -euo pipefail
build=${1:-build}
bin=$(readlink -f "$build/iotwatch")
replay=$(readlink -f "$build/bench/bench_flow_replay")
rates=${RATES:-"400000 1200000 2000000 2400000 2800000 3200000 3600000 4000000 4400000 4800000 5200000 5600000 6000000"}
seconds=${SECONDS_PER_RATE:-5}
concurrent=${CONCURRENT:-0}
for t in nfcapd nfdump; do command -v $t >/dev/null || { echo "bench/flows_nfcapd: $t is not installed" >&2; exit 1; }; done
dir=$(mktemp -d /tmp/iotwatch-bench-flows.XXXXXX)
pids=()
trap 'for p in "${pids[@]}"; do kill $p 2>/dev/null || true; done; rm -rf "$dir"' EXIT
cd "$dir"
free_port() { python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
json_field() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$1" "$2"; }
hz=$(getconf CLK_TCK)

# Starts the collectors named in $@ (iw, nf), replays RATE to them, stops them; sets got_iw/got_nf
# (flows stored), cpu_iw/cpu_nf (CPU seconds), sent, reached (the rate the sender achieved).
run_rate() {
  local rate=$1; shift
  local to=() iw_pid= nf_pid= c_iw0=0 c_nf0=0
  rm -rf nf iw.db* && mkdir nf
  for who in "$@"; do
    local port; port=$(free_port)
    to+=(--to "127.0.0.1:$port")
    if [ "$who" = nf ]; then
      nfcapd -b 127.0.0.1 -p "$port" -w nf -B 8000000 -t 3600 > nfcapd.log 2>&1 & nf_pid=$!; pids+=($nf_pid)
    else
      "$bin" collect --listen "127.0.0.1:$port" --db iw.db --json > collect.json 2> collect.err & iw_pid=$!; pids+=($iw_pid)
    fi
  done
  sleep 1
  [ -n "$iw_pid" ] && c_iw0=$(cpu_ticks $iw_pid)
  [ -n "$nf_pid" ] && c_nf0=$(cpu_ticks $nf_pid)
  "$replay" "${to[@]}" --rate "$rate" --seconds "$seconds" > replay.json
  sleep 2   # let the collectors drain their socket buffers
  sent=$(json_field replay.json flows)
  reached=$(json_field replay.json flows_per_s)
  if [ -n "$iw_pid" ]; then
    cpu_iw=$(python3 -c "print(f'{($(cpu_ticks $iw_pid) - $c_iw0) / $hz:.2f}')")
    kill -INT $iw_pid; wait $iw_pid || true
    got_iw=$(json_field collect.json records)
  fi
  if [ -n "$nf_pid" ]; then
    cpu_nf=$(python3 -c "print(f'{($(cpu_ticks $nf_pid) - $c_nf0) / $hz:.2f}')")
    kill -TERM $nf_pid; wait $nf_pid 2>/dev/null || true
    # The flow count of nfcapd's file statistics (`nfdump -I`; equal to counting `nfdump -o csv`
    # rows, checked on 400 k flows, and instant where printing 16 M rows took a minute).
    got_nf=$(nfdump -R nf -I 2>/dev/null | awk '/^Flows:/ { n += $2 } END { print n + 0 }')
  fi
}

echo "bench/flows_nfcapd: $([ "$concurrent" = 1 ] && echo "both collectors at once" || echo "one collector at a time"), ${seconds} s per rate"
printf '%10s %10s | %10s %8s %6s | %10s %8s %6s\n' "rate/s" "reached/s" "iotwatch" "lost" "cpu_s" "nfcapd" "lost" "cpu_s"
best_iw=0 best_nf=0 clean_iw=1 clean_nf=1 both_rate=0 both_cpu_iw=0 both_cpu_nf=0 both_sent=0 sender_limited=0
for rate in $rates; do
  [ "$clean_iw" = 0 ] && [ "$clean_nf" = 0 ] && break
  got_iw=- got_nf=- cpu_iw=- cpu_nf=- lost_iw=- lost_nf=- reached_row=
  if [ "$concurrent" = 1 ]; then
    run_rate "$rate" iw nf; reached_row=$reached
  else
    if [ "$clean_iw" = 1 ]; then run_rate "$rate" iw; reached_row=$reached; fi
    if [ "$clean_nf" = 1 ]; then run_rate "$rate" nf; reached_row=${reached_row:-$reached}; fi
  fi
  # A sender that fell more than 2% short of the rate cannot tell whether a collector keeps up.
  if python3 -c "import sys; sys.exit(0 if $reached_row < 0.98 * $rate else 1)"; then
    printf '%10s %10s | sender could not reach this rate; stopping\n' "$rate" "$reached_row"
    sender_limited=1
    break
  fi
  [ "$got_iw" != - ] && lost_iw=$((sent - got_iw))
  [ "$got_nf" != - ] && lost_nf=$((sent - got_nf))
  printf '%10s %10s | %10s %8s %6s | %10s %8s %6s\n' "$rate" "$reached_row" "$got_iw" "$lost_iw" "$cpu_iw" "$got_nf" "$lost_nf" "$cpu_nf"
  # Lossless up to here: a collector that lost flows at a lower rate keeps that lower figure.
  if [ "$got_iw" != - ] && [ "$lost_iw" -le 0 ] && [ "$clean_iw" = 1 ]; then best_iw=$rate; else clean_iw=0; fi
  if [ "$got_nf" != - ] && [ "$lost_nf" -le 0 ] && [ "$clean_nf" = 1 ]; then best_nf=$rate; else clean_nf=0; fi
  if [ "$clean_iw" = 1 ] && [ "$clean_nf" = 1 ]; then both_rate=$rate both_cpu_iw=$cpu_iw both_cpu_nf=$cpu_nf both_sent=$sent; fi
done
limit=""
[ "$sender_limited" = 1 ] && [ "$clean_iw" = 1 ] && limit=" (iotwatch: at least; the sender was the limit)"
echo "highest lossless rate: iotwatch $best_iw flows/s, nfcapd $best_nf flows/s" \
     "(ratio $(python3 -c "print(f'{$best_iw / $best_nf:.2f}x' if $best_nf else 'n/a')"); target >= 1.5x)$limit"
if [ "$both_rate" != 0 ]; then
  python3 -c "
iw, nf, n = $both_cpu_iw, $both_cpu_nf, $both_sent
if iw > 0 and nf > 0:
    print(f'flows per CPU second at {$both_rate} flows/s: iotwatch {n / iw:,.0f}, nfcapd {n / nf:,.0f} (ratio {nf / iw:.2f}x)')"
fi
