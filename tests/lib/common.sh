# Shared helpers for the integration tests (sourced). Each test gets $IOTWATCH (the binary),
# $DATA (tests/data) and a scratch directory $WORK removed on exit.
set -euo pipefail
IOTWATCH=$(readlink -f "$1")
DATA=$(readlink -f "$2")
WORK=$(mktemp -d /tmp/iotwatch-test.XXXXXX)
# Servers a test starts in the background: `track PID...`; they are killed and waited for on
# exit, before $WORK goes. (A test that sets its own EXIT trap calls stop_tracked in it.)
TRACKED_PIDS=()
track() { TRACKED_PIDS+=("$@"); }
stop_tracked() {
  local p
  for p in "${TRACKED_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap 'stop_tracked; rm -rf "$WORK"' EXIT
cd "$WORK"

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "PASS: $*"; }
# wait_exit PID SECONDS WHAT: waits for background process PID and returns its exit status; if it
# still runs after SECONDS, kills it and fails naming WHAT (a hang becomes a failure, not a timeout).
wait_exit() {
  local i
  for ((i = 0; i < $2 * 10; i++)); do
    kill -0 "$1" 2>/dev/null || { wait "$1"; return; }
    sleep 0.1
  done
  kill -9 "$1" 2>/dev/null || true
  fail "$3 still running after $2 s"
}

# json_get FILE EXPR: evaluates a Python expression over the parsed JSON `j`.
json_get() { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"; }

# report_json DB: the report as canonical JSON (sorted keys) for comparisons.
report_json() { "$IOTWATCH" report --db "$1" --json | python3 -c "import json,sys; print(json.dumps(json.load(sys.stdin), sort_keys=True, indent=1))"; }

# dump_tables DB: every stored row, sorted, for exact comparisons between two runs.
dump_tables() {
  python3 - "$1" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for t in ("class_bin", "port_bin", "bin_meta", "sensor_bin", "source_day", "scan_event", "dos_attack"):
    for row in sorted(db.execute(f"SELECT * FROM {t}").fetchall(), key=repr):
        print(t, *row)
PY
}

# free_ports N: prints N free TCP ports on 127.0.0.1.
free_ports() {
  python3 -c 'import socket, sys
s=[socket.socket() for _ in range(int(sys.argv[1]))]
[x.bind(("127.0.0.1",0)) for x in s]
print(*[x.getsockname()[1] for x in s])' "$1"
}

# wait_tcp HOST:PORT...: returns once each accepts a TCP connection (IPv6 as [::1]:PORT); fails
# the test naming the first that does not within 10 s.
wait_tcp() {
  python3 - "$@" <<'PY' || fail "not listening after 10 s: $*"
import socket, sys, time
deadline = time.time() + 10
for target in sys.argv[1:]:
    host, port = target.rsplit(":", 1)
    while True:
        try:
            socket.create_connection((host.strip("[]"), int(port)), timeout=1).close(); break
        except OSError:
            if time.time() > deadline: sys.exit(f"{target} is not listening")
            time.sleep(0.1)
PY
}
