#!/usr/bin/env bash
# The malicious-site list as a Response Policy Zone, loaded by the real resolvers ISPs run: Unbound
# (rpz:) and BIND (response-policy), each started by this test on loopback. A listed domain (and a
# name under it) is answered with the warning page's address; an unlisted name resolves normally
# from a local zone. Nothing leaves the machine: every name is in a zone the resolvers hold, and
# their upstream queries could only leave from 127.0.0.1.
source "$(dirname "$0")/../lib/common.sh"
for tool in unbound named dig; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool missing (scripts/install-deps.sh installs it)"; exit 77; }
done
port=$((20000 + RANDOM % 20000)); bind_port=$((port + 1))

cat > feed.csv <<'CSV'
url,first_seen,category
http://evil.example.test/bins/mirai.arm7,2026-11-20 10:00:00,malware
https://Login-Bank.example.test:8443/verify,2026-11-21T00:00:00Z,phishing
http://192.0.2.5/x.sh,2026-11-21,malware
CSV
printf '{"type":"bundle","id":"bundle--1","objects":[{"type":"indicator","id":"indicator--1","pattern":"[domain-name:value = '"'"'c2.example.test'"'"']","valid_from":"2026-11-22T00:00:00Z","indicator_types":["malicious-activity"]}]}' > sub.json
set +e
"$IOTWATCH" sites import --feed partner --db s.db feed.csv 2> import.err; rc=$?
set -e
[ "$rc" = 3 ] && grep -q "feed.csv:4: field 'url'" import.err || fail "an IP-address URL must be reported (rc $rc): $(cat import.err)"
"$IOTWATCH" sites import --feed submission --db s.db sub.json > /dev/null
"$IOTWATCH" sites rpz --db s.db --warning-a 127.0.0.80 --output z.rpz
"$IOTWATCH" sites rpz --db s.db --warning-a 127.0.0.80 --output z2.rpz
cmp -s z.rpz z2.rpz || fail "the same list must give the same zone file"
[ "$("$IOTWATCH" sites list --db s.db | wc -l)" = 3 ] || fail "expected 3 domains"
named-checkzone -q rpz.iotwatch.local z.rpz || fail "named-checkzone rejects the zone"

cat > example.test.zone <<'ZONE'
$ORIGIN example.test.
$TTL 60
@ IN SOA localhost. hostmaster.localhost. ( 1 3600 600 86400 60 )
@ IN NS localhost.
good IN A 192.0.2.10
evil IN A 192.0.2.66
www.evil IN A 192.0.2.67
login-bank IN A 192.0.2.68
c2 IN A 192.0.2.69
ZONE

mkdir -p ub
cat > ub/unbound.conf <<CONF
server:
  interface: 127.0.0.81
  port: $port
  do-daemonize: no
  username: ""
  chroot: ""
  directory: "$WORK/ub"
  pidfile: "$WORK/ub/unbound.pid"
  use-syslog: no
  logfile: "$WORK/ub/unbound.log"
  do-ip6: no
  access-control: 127.0.0.0/8 allow
  outgoing-interface: 127.0.0.1
  module-config: "respip iterator"
  # Unbound serves test. itself (RFC 6761, NXDOMAIN); let our local zone answer it instead.
  local-zone: "test." nodefault
rpz:
  name: rpz.iotwatch.local
  zonefile: "$WORK/z.rpz"
auth-zone:
  name: "example.test"
  zonefile: "$WORK/example.test.zone"
  for-downstream: no
  for-upstream: yes
CONF
mkdir -p bind
cat > bind/named.conf <<CONF
options {
  directory "$WORK/bind";
  pid-file "$WORK/bind/named.pid";
  listen-on port $bind_port { 127.0.0.1; };   # BIND binds interface addresses only: lo's
  listen-on-v6 { none; };
  recursion yes;
  allow-query { 127.0.0.0/8; };
  allow-recursion { 127.0.0.0/8; };
  query-source address 127.0.0.1;
  dnssec-validation no;
  response-policy { zone "rpz.iotwatch.local"; };
};
controls { };   # no rndc channel (a machine's own named may hold 127.0.0.1#953)
zone "rpz.iotwatch.local" { type primary; file "$WORK/z.rpz"; };
zone "example.test" { type primary; file "$WORK/example.test.zone"; };
CONF
unbound -c ub/unbound.conf > ub/stdout 2>&1 & ub_pid=$!
named -g -4 -c "$WORK/bind/named.conf" > bind/stdout 2>&1 & bind_pid=$!
trap 'kill $ub_pid $bind_pid 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"' EXIT

ask() {  # ask SERVER:PORT NAME -> the A answers, sorted. dig +short prints ";; communications
  # error ... connection refused" to stdout while a resolver is still starting: not an answer.
  dig +short +tries=1 +time=2 -p "${1#*:}" @"${1%:*}" "$2" A | grep -v '^;;' | sort | tr '\n' ' '
}
for server in 127.0.0.81:$port 127.0.0.1:$bind_port; do
  for _ in $(seq 100); do [ -n "$(ask $server good.example.test)" ] && break; sleep 0.1; done
  name=$([ "$server" = "127.0.0.81:$port" ] && echo Unbound || echo BIND)
  [ "$(ask $server good.example.test)" = "192.0.2.10 " ] || fail "$name: unlisted good.example.test -> '$(ask $server good.example.test)' ($(tail -3 ub/unbound.log bind/stdout 2>/dev/null))"
  [ "$(ask $server evil.example.test)" = "127.0.0.80 " ] || fail "$name: listed evil.example.test -> '$(ask $server evil.example.test)'"
  [ "$(ask $server www.evil.example.test)" = "127.0.0.80 " ] || fail "$name: www.evil.example.test (under a listed name) -> '$(ask $server www.evil.example.test)'"
  [ "$(ask $server login-bank.example.test)" = "127.0.0.80 " ] || fail "$name: phishing domain not redirected"
  [ "$(ask $server c2.example.test)" = "127.0.0.80 " ] || fail "$name: the STIX submission's domain not redirected"
  echo "$name: listed names -> 127.0.0.80, unlisted -> 192.0.2.10"
done
pass "RPZ loaded by Unbound and BIND: listed domains redirected to the warning page, others resolve"
