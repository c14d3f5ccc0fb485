# Shared helpers for the integration tests (sourced). Each test gets $IOTWATCH (the binary),
# $DATA (tests/data) and a scratch directory $WORK removed on exit.
set -euo pipefail
IOTWATCH=$(readlink -f "$1")
DATA=$(readlink -f "$2")
WORK=$(mktemp -d /tmp/iotwatch-test.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "PASS: $*"; }

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
