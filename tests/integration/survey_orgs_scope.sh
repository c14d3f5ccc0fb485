#!/usr/bin/env bash
# Survey scope from the organisation registry (--orgs, --org), in dry-run only (nothing is sent):
# the chosen organisation's prefixes and nothing else, intersected with the block list (private and
# loopback ranges always blocked unless a --loopback-test campaign whose every prefix is loopback);
# unknown organisations and mixed loopback / non-loopback scopes are refused before any socket.
source "$(dirname "$0")/../lib/common.sh"
NET=127.81.$(( $$ % 200 + 10 ))
cat > orgs.toml <<TOML
[[organisation]]
id = "a"
name = "A"
prefixes = ["$NET.0/28", "10.0.0.0/30"]
[[organisation]]
id = "b"
name = "B"
prefixes = ["$NET.16/28"]
TOML
"$IOTWATCH" survey --orgs orgs.toml --org b --loopback-test --ports 23,80 --dry-run --seed 3 > b.jsonl 2> b.err
python3 - "$NET" <<'PY'
import json, sys
net = sys.argv[1]
rows = [json.loads(l) for l in open("b.jsonl")]
addrs = {r["address"] for r in rows}
want = {f"{net}.{h}" for h in range(16, 32)}
assert addrs == want, sorted(addrs ^ want)
assert len(rows) == 32 and {(r["port"], r["protocol"]) for r in rows} == {(23, "telnet"), (80, "http")}, rows[:3]
PY
grep -q "nothing was sent" b.err || fail "dry run must say nothing was sent: $(cat b.err)"
expect_refused() {  # expect_refused PATTERN ARGS...: exit 2 and the message
  local pattern=$1; shift
  set +e; "$IOTWATCH" survey "$@" > out.txt 2> err.txt; local rc=$?; set -e
  [ "$rc" = 2 ] || fail "survey $* must be refused with exit 2, got $rc"
  grep -q "$pattern" err.txt || fail "survey $*: expected '$pattern' in: $(cat err.txt)"
  [ ! -s out.txt ] || fail "a refused survey printed targets"
}
expect_refused "outside 127.0.0.0/8" --orgs orgs.toml --org a --loopback-test --ports 23 --dry-run
expect_refused "on the block list" --orgs orgs.toml --org b --ports 23 --dry-run
expect_refused "no organisation 'zz'" --orgs orgs.toml --org zz --loopback-test --dry-run
expect_refused "no default targets" --ports 23 --dry-run
pass "--orgs scope: the organisation's prefixes only, block list applied, refusals before any socket"
