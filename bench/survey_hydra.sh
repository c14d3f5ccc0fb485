#!/usr/bin/env bash
# Survey speed against hydra (issue 5): a fleet of DEVICES emulated IoT devices on loopback
# (bench/survey_fleet.py: half telnet on 127.90.x.y:2323, half HTTP Basic on :8080; WEAK_FRACTION of
# them accept the credential list's 10th pair, the rest a password on no list), surveyed by
# `iotwatch survey` and by `hydra -M` with the same 20 credentials, the same number of parallel
# connections (CONCURRENCY; hydra -t 1 -T N, one connection per device at a time, like the
# survey) and the same 5 s response timeout, in the same run. Printed per protocol: seconds,
# weak devices found with the right credential (of how many), false reports (a "valid" pair on a
# strong device or a wrong pair), and hydra's time / iotwatch's time. Hydra's telnet module loses
# step with a login that re-prompts after an empty line (as BusyBox login does) and then reports
# wrong pairs; the http-get comparison is the like-for-like one.
#
# Then memory: MEM_DEVICES (10,000) devices that accept and stay silent, surveyed with
# --concurrency MEM_DEVICES: peak RSS of iotwatch while every connection is open (ss counts them).
# MEMORY_ONLY=1 skips the hydra comparison. Not a test: nothing asserts. Loopback only
# (127.90.0.0/16, 127.91.0.0/16).
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$(readlink -f "$build/iotwatch")
devices=${DEVICES:-1000}
conc=${CONCURRENCY:-64}
mem_devices=${MEM_DEVICES:-10000}
weak_fraction=${WEAK_FRACTION:-0.5}
command -v hydra >/dev/null || { echo "bench/survey_hydra: hydra is not installed (apt-get install hydra)" >&2; exit 1; }
dir=$(mktemp -d /tmp/iotwatch-bench-survey.XXXXXX)
fleet=""
cleanup() { [ -n "$fleet" ] && kill "$fleet" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT
cd "$dir"
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# The first 20 distinct pairs of Mirai's public list (data/credentials/mirai-2016.csv).
awk -F, 'NR > 1 && !seen[$2 ":" $3]++ { print $2 ":" $3 }' "$root/data/credentials/mirai-2016.csv" | head -20 > creds.txt
awk -F: 'BEGIN { print "id,user,password,source" } { print "m-" NR "," $1 "," $2 ",mirai-2016" }' creds.txt > creds.csv

start_fleet() {  # start_fleet BASE N [--hold]
  python3 "$root/bench/survey_fleet.py" --base "$1" --devices "$2" --credentials creds.txt --weak-index 9 \
    --weak-fraction "$weak_fraction" --list fleet.txt "${@:3}" > fleet.log 2>&1 &
  fleet=$!
  for _ in $(seq 1 600); do grep -q ready fleet.log && return; sleep 0.1; done
  echo "the device fleet did not start: $(cat fleet.log)" >&2; exit 1
}
stop_fleet() { kill "$fleet" 2>/dev/null || true; wait "$fleet" 2>/dev/null || true; fleet=""; }
now() { date +%s.%N; }

if [ "${MEMORY_ONLY:-0}" != 1 ]; then
start_fleet 127.90 "$devices"
echo "fleet: $devices devices ($(grep -c ' telnet ' fleet.txt) telnet, $(grep -c ' http ' fleet.txt) http;" \
     "$(awk '$4 == 1' fleet.txt | wc -l) weak), 20 credentials, $conc parallel connections"
printf '%-8s %-9s %9s %14s %6s %8s\n' protocol tool seconds "weak found" false "ratio (hydra / iotwatch)"
for proto in telnet http; do
  port=$([ $proto = telnet ] && echo 2323 || echo 8080)
  awk -v p=$proto '$3 == p { print $1 }' fleet.txt > targets.txt
  awk '{ print $1 "/32" }' targets.txt > allow.txt
  weak=$(awk -v p=$proto '$3 == p && $4 == 1' fleet.txt | wc -l)
  # iotwatch
  rm -f s.db
  t0=$(now)
  "$bin" survey --allow allow.txt --loopback-test --ports $port/$proto --credentials creds.csv --max-attempts 20 \
    --concurrency "$conc" --rate 1000000 --rate-per-24 1000000 --rate-per-target 1000 --phase-timeout 5000 \
    --connect-timeout 5000 --source-address 127.0.0.1 --contact bench@example.net --db s.db --json --quiet > iw.json
  t1=$(now)
  iw_s=$(echo "$t1 - $t0" | bc -l)
  iw_found=$(python3 -c 'import json; print(json.load(open("iw.json"))["outcomes"]["login-ok"])')
  # hydra
  service=$([ $proto = telnet ] && echo telnet || echo "http-get /")
  rm -f hydra.restore
  t0=$(now)
  hydra -I -q -f -t 1 -T "$conc" -w 5 -s $port -C creds.txt -M targets.txt $service > hydra.out 2>&1 || true
  t1=$(now)
  hy_s=$(echo "$t1 - $t0" | bc -l)
  # hydra's reports checked against the fleet: right pair on a weak device, or a false report.
  read -r hy_found hy_false < <(python3 - "$proto" <<'PY'
import re, sys
weak = {l.split()[0] for l in open("fleet.txt") if l.split()[2] == sys.argv[1] and l.split()[3] == "1"}
user, pw = open("creds.txt").read().splitlines()[9].split(":", 1)
ok = bad = 0
for m in re.finditer(r"host: (\S+)\s+login: (\S*)\s+password: (.*)", open("hydra.out").read()):
    if m[1] in weak and m[2] == user and m[3].strip() == pw: ok += 1
    else: bad += 1
print(ok, bad)
PY
)
  # iotwatch's: every login-ok must be a weak device with the right credential id (m-10).
  iw_false=$("$bin" survey --results --campaign "$(python3 -c 'import json; print(json.load(open("iw.json"))["campaign"])')" --db s.db |
    python3 -c 'import json, sys
weak = {l.split()[0] for l in open("fleet.txt") if l.split()[3] == "1"}
print(sum(1 for r in map(json.loads, sys.stdin) if r["outcome"] == "login-ok" and (r["address"] not in weak or r["credential_id"] != "m-10")))')
  printf '%-8s %-9s %9.2f %8s / %-4s %6s\n' $proto iotwatch "$iw_s" "$iw_found" "$weak" "$iw_false"
  printf '%-8s %-9s %9.2f %8s / %-4s %6s %7.1fx\n' $proto hydra "$hy_s" "$hy_found" "$weak" "$hy_false" "$(echo "$hy_s / $iw_s" | bc -l)"
done
stop_fleet
fi

# Memory with MEM_DEVICES connections open at once: silent devices, a 6 s banner timeout.
start_fleet 127.91 "$mem_devices" --hold --protocols telnet
awk '{ print $1 "/32" }' fleet.txt > allow.txt
rm -f s.db
"$bin" survey --allow allow.txt --loopback-test --ports 2323/telnet --max-attempts 0 --concurrency "$mem_devices" \
  --rate 1000000 --rate-per-24 1000000 --rate-per-target 1000 --phase-timeout 6000 --connect-timeout 5000 \
  --source-address 127.0.0.1 --contact bench@example.net --db s.db --json --progress > mem.json 2> mem-progress.txt &
pid=$!
peak_rss=0 peak_conn=0
while kill -0 $pid 2>/dev/null; do
  rss=$(awk '/^VmHWM/ { print $2 }' /proc/$pid/status 2>/dev/null || echo 0)
  conn=$(ls /proc/$pid/fd 2>/dev/null | wc -l)
  [ "${rss:-0}" -gt "$peak_rss" ] && peak_rss=$rss
  [ "$conn" -gt "$peak_conn" ] && peak_conn=$conn
  sleep 0.1
done
wait $pid || true
stop_fleet
peak_flight=$(sed -n 's/.*in flight \([0-9]*\).*/\1/p' mem-progress.txt | sort -n | tail -1)
echo "memory: peak RSS $((peak_rss / 1024)) MB; up to $peak_conn open file descriptors and ${peak_flight:-?} devices in flight" \
     "(of $mem_devices; target <= 64 MB); outcomes $(python3 -c 'import json; print(json.load(open("mem.json"))["outcomes"])')"
