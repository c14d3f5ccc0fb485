#!/usr/bin/env bash
# API load benchmark (issue 6): wrk (Debian's; closed loop, so it reports the throughput reached
# and the latency percentiles there, not latency at a fixed rate) against the summary endpoints of
# `iotwatch serve` on loopback, over a generated day. Prints requests/s and p50/p99 per endpoint.
# Then the issue's figure: latency at a FIXED rate (RATE, default 2000 req/s, open loop, measured
# from each request's scheduled time: bench/bench_http_fixed_rate.cpp) per summary endpoint.
# Not a test: nothing here asserts a figure. Bounded: DURATION seconds per endpoint (10).
#
# usage: bench/serve_api.sh [BUILD]   (BENCH_PACKETS=2000000 DURATION=10 CONNECTIONS=8 RATE=2000)
set -euo pipefail
build=${1:-build}
bin=$build/iotwatch
packets=${BENCH_PACKETS:-2000000}
duration=${DURATION:-10}
conns=${CONNECTIONS:-8}
command -v wrk >/dev/null || { echo "bench/serve_api: wrk is missing (apt-get install wrk)" >&2; exit 1; }
dir=$(mktemp -d /tmp/iotwatch-bench-serve.XXXXXX)
server=""
trap '[ -n "$server" ] && kill $server 2>/dev/null; rm -rf "$dir"' EXIT
"$bin" gen --seed 1 --packets "$packets" --darknet 198.18.0.0/16 -o "$dir/day.pcap" > /dev/null
"$bin" ingest --quiet --detect --darknet 198.18.0.0/16 --db "$dir/d.db" "$dir/day.pcap"
token=bench-admin-token-0123456789
"$bin" serve --db "$dir/d.db" --listen 127.0.0.1:0 --admin-token "$token" > "$dir/serve.out" 2>&1 &
server=$!
for _ in $(seq 1 100); do grep -q '^iotwatch serve: http' "$dir/serve.out" && break; sleep 0.1; done
url=$(sed -n 's|^iotwatch serve: \(http://[^ ]*\) .*|\1|p' "$dir/serve.out")
printf '%-34s %10s %10s %10s\n' endpoint "req/s" p50 p99
for ep in "api/v1/health" "api/v1/summary?top=10" "api/v1/top/ports?proto=tcp" "api/v1/series?width=3600"; do
  out=$(wrk -t2 -c"$conns" -d"${duration}s" --latency -H "Authorization: Bearer $token" "$url$ep")
  printf '%-34s %10s %10s %10s\n' "$ep" "$(awk '/Requests\/sec/ {print $2}' <<<"$out")" \
    "$(awk '$1=="50%" {print $2}' <<<"$out")" "$(awk '$1=="99%" {print $2}' <<<"$out")"
done
rate=${RATE:-2000}
hostport=${url#http://}; hostport=${hostport%%/*}
printf '\n%-34s %10s %8s %8s %8s %8s %7s\n' "fixed rate $rate req/s, ${duration}s" "achieved" "p50 ms" "p90 ms" "p99 ms" "max ms" errors
for ep in "api/v1/summary?top=10" "api/v1/top/ports?proto=tcp" "api/v1/series?width=3600" "api/v1/series/ports?ports=tcp/23"; do
  read -r got p50 p90 p99 max err < <("$build/bench/bench_http_fixed_rate" "${hostport%:*}" "${hostport##*:}" "/$ep" "$rate" "$duration" "$token" 12)  # < serve --threads (16): each open connection holds a worker
  printf '%-34s %10s %8s %8s %8s %8s %7s\n' "$ep" "$got" "$p50" "$p90" "$p99" "$max" "$err"
done
