#!/usr/bin/env bash
# ClickHouse backend benchmark (issue 8), both backends in the same run:
#  1. insert throughput through the Store interface (rows/s) for per-source-day records and flow
#     records, SQLite file vs a private clickhouse-server (Debian's 18.16) on 127.0.0.1;
#  2. the standard report views on a generated week (ingested with --detect into both stores),
#     seconds per view on each backend and the ratio.
# Not a test: nothing asserts a time. Env: ROWS (default 1000000), WEEK_PACKETS (default 3000000).
set -euo pipefail
build=${1:-build}
bin=$(readlink -f "$build/iotwatch")
rows=${ROWS:-1000000}
packets=${WEEK_PACKETS:-3000000}
dir=$(mktemp -d /tmp/iotwatch-chbench.XXXXXX)
trap 'kill -9 $(cat "$dir/pid" 2>/dev/null) 2>/dev/null || true; rm -rf "$dir"' EXIT
read -r http tcp < <(python3 -c 'import socket
s=[socket.socket() for _ in range(2)]
[x.bind(("127.0.0.1",0)) for x in s]
print(*[x.getsockname()[1] for x in s])')
mkdir -p "$dir/data"
cat > "$dir/config.xml" <<XML
<?xml version="1.0"?>
<yandex><logger><level>warning</level><log>$dir/server.log</log><errorlog>$dir/server.err.log</errorlog></logger>
<http_port>$http</http_port><tcp_port>$tcp</tcp_port><listen_host>127.0.0.1</listen_host>
<mark_cache_size>268435456</mark_cache_size><path>$dir/data/</path><tmp_path>$dir/data/tmp/</tmp_path>
<user_files_path>$dir/data/user_files/</user_files_path><users_config>$dir/users.xml</users_config>
<default_profile>default</default_profile><default_database>default</default_database><timezone>UTC</timezone></yandex>
XML
cat > "$dir/users.xml" <<'XML'
<?xml version="1.0"?>
<yandex><profiles><default><max_memory_usage>4000000000</max_memory_usage></default></profiles>
<users><default><password></password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></default></users>
<quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas></yandex>
XML
clickhouse-server --config-file="$dir/config.xml" > "$dir/stdout" 2>&1 &
echo $! > "$dir/pid"
disown $! 2>/dev/null || true
for _ in $(seq 150); do curl -sf "http://127.0.0.1:$http/ping" >/dev/null && break; sleep 0.1; done
CH="clickhouse://127.0.0.1:$http/bench"

read -r s_src s_flow < <("$build/bench/bench_store_insert" "$dir/insert.db" "$rows")
read -r c_src c_flow < <("$build/bench/bench_store_insert" "$CH" "$rows")
printf '%-46s %14s %14s %8s\n' "store inserts, $rows rows each" "SQLite rows/s" "ClickHouse" "ratio"
awk -v a="$s_src" -v b="$c_src" 'BEGIN { printf "%-46s %14.0f %14.0f %7.2fx\n", "per-source-day records", a, b, b / a }'
awk -v a="$s_flow" -v b="$c_flow" 'BEGIN { printf "%-46s %14.0f %14.0f %7.2fx\n", "flow records", a, b, b / a }'

"$bin" gen --seed 9 --packets "$packets" --start 2026-01-05T00:00:00Z --duration 604800 --darknet 198.18.0.0/16 \
  -o "$dir/week.pcap" >/dev/null 2>&1
"$bin" ingest --quiet --detect --darknet 198.18.0.0/16 --db "$dir/week.db" "$dir/week.pcap"

"$bin" ingest --quiet --detect --darknet 198.18.0.0/16 --db "clickhouse://127.0.0.1:$http/bench_week" "$dir/week.pcap"
best() {  # best wall seconds of 3 runs
  local b=""
  for _ in 1 2 3; do
    local t0 t1; t0=$(date +%s%N); "$@" >/dev/null; t1=$(date +%s%N)
    local s=$((t1 - t0)); if [ -z "$b" ] || [ "$s" -lt "$b" ]; then b=$s; fi
  done
  echo "$b"
}
printf '%-46s %14s %14s %8s\n' "reports on a generated week ($packets packets)" "SQLite s" "ClickHouse s" "ratio"
for v in summary classes ports sources series scans dos infected; do
  a=$(best "$bin" report --json --view $v --db "$dir/week.db")
  b=$(best "$bin" report --json --view $v --db "clickhouse://127.0.0.1:$http/bench_week")
  awk -v n="report --view $v" -v a="$a" -v b="$b" 'BEGIN { printf "%-46s %14.3f %14.3f %7.2fx\n", n, a / 1e9, b / 1e9, a / b }'
done
