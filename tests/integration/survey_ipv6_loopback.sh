#!/usr/bin/env bash
# IPv6 targets: a loopback-test campaign on ::1 (the only IPv6 address a test may reach) against
# real servers listening there: lighttpd with Basic auth (weak and strong password, two ports)
# and dropbear (weak password; private mount namespace with throwaway accounts). Also the IPv6
# scope rules from the command line: a /64 is refused (the survey never sweeps one), an IPv6
# scope needs --source-address6 outside a loopback test, documentation space is blocked.
source "$(dirname "$0")/../lib/common.sh"
command -v lighttpd >/dev/null || { echo "SKIP: lighttpd not installed"; exit 77; }
ip -6 addr show lo 2>/dev/null | grep -q "::1/128" || { echo "SKIP: no ::1 on lo"; exit 77; }
DROPBEAR=1
command -v dropbear >/dev/null && unshare -m --propagation private true 2>/dev/null || DROPBEAR=0

read -r P_WEAK P_STRONG P_SSH < <(python3 -c 'import socket
ps = []
for _ in range(3):
    s = socket.socket(socket.AF_INET6); s.bind(("::1", 0)); ps.append(s)
print(*[s.getsockname()[1] for s in ps])')

printf 'id,user,password,source\nt-1,root,xc3511,test\nt-2,admin,admin,test\n' > creds.csv
mkdir -p www && echo ui > www/index.html
lighttpd_on() {  # PORT PASSWORD
  mkdir -p lt-$1
  printf 'admin:%s\n' "$2" > lt-$1/users
  cat > lt-$1/lighttpd.conf <<CONF
server.document-root = "$WORK/www"
server.bind = "[::1]"
server.port = $1
server.modules = ("mod_auth", "mod_authn_file")
server.errorlog = "$WORK/lt-$1/error.log"
auth.backend = "plain"
auth.backend.plain.userfile = "$WORK/lt-$1/users"
auth.require = ("/" => ("method" => "basic", "realm" => "cam", "require" => "valid-user"))
CONF
  lighttpd -D -f lt-$1/lighttpd.conf > lt-$1/out 2>&1 & track $!
}
lighttpd_on $P_WEAK admin
lighttpd_on $P_STRONG 'Vq7#kLw9!zR2pX'
PORTS=$P_WEAK/http,$P_STRONG/http
if [ $DROPBEAR = 1 ]; then
  dropbearkey -t ed25519 -f hostkey > /dev/null 2>&1
  printf 'root:x:0:0:root:/root:/bin/sh\nadmin:x:4001:4001:test:/nonexistent:/bin/sh\n' > passwd
  printf 'root:*:19000:0:99999:7:::\nadmin:%s:19000:0:99999:7:::\n' "$(openssl passwd -6 admin)" > shadow
  unshare -m --propagation private sh -c \
    "mount --bind '$WORK/passwd' /etc/passwd && mount --bind '$WORK/shadow' /etc/shadow && exec dropbear -F -E -r '$WORK/hostkey' -p '[::1]:$P_SSH'" \
    > dropbear.log 2>&1 & track $!
  PORTS=$PORTS,$P_SSH/ssh
fi
wait_tcp "[::1]:$P_WEAK" "[::1]:$P_STRONG" $([ $DROPBEAR = 1 ] && echo "[::1]:$P_SSH")

echo "::1/128" > allow.txt
"$IOTWATCH" survey --allow allow.txt --loopback-test --ports $PORTS --credentials creds.csv --max-attempts 2 \
  --rate 100 --rate-per-24 100 --rate-per-target 100 --source-address 127.0.0.1 --contact optout@example.net \
  --campaign v6 --db s.db --json > run.json 2> run.err || fail "survey failed: $(cat run.err)"
"$IOTWATCH" survey --results --campaign v6 --db s.db > results.jsonl
python3 - $P_WEAK $P_STRONG $([ $DROPBEAR = 1 ] && echo $P_SSH) <<'PY'
import json, sys
res = {r["port"]: r for r in map(json.loads, open("results.jsonl"))}
weak, strong = int(sys.argv[1]), int(sys.argv[2])
assert all(r["address"] == "::1" and r["source_address"] == "::1" for r in res.values()), res
assert res[weak]["outcome"] == "login-ok" and res[weak]["credential_id"] == "t-2", res[weak]
assert res[strong]["outcome"] == "auth-prompt" and res[strong]["attempts"] == 2, res[strong]
if len(sys.argv) > 3:
    r = res[int(sys.argv[3])]
    assert r["protocol"] == "ssh" and r["outcome"] == "login-ok" and r["credential_id"] == "t-2", r
run = json.load(open("run.json"))
assert run["ipv6_addresses"] == 1 and run["refused"] == 0, run
PY
[ $? = 0 ] || fail "unexpected results: $(cat results.jsonl)"

# Scope rules for IPv6 from the command line (dry runs: nothing is sent).
echo "2400:cb00::/64" > wide.txt
"$IOTWATCH" survey --allow wide.txt --ports 80 --dry-run > /dev/null 2> wide.err && fail "a /64 must be refused"
grep -q "/96 or longer" wide.err || fail "unclear /64 refusal: $(cat wide.err)"
printf '2400:cb00::/126\n2001:db8::/126\n' > small.txt
"$IOTWATCH" survey --allow small.txt --ports 80 --dry-run > dry.jsonl 2> dry.err || fail "dry run failed: $(cat dry.err)"
[ "$(wc -l < dry.jsonl)" = 4 ] || fail "want the 4 addresses of 2400:cb00::/126 (documentation space blocked): $(cat dry.jsonl)"
grep -q '"2001:db8' dry.jsonl && fail "documentation space must be blocked"
"$IOTWATCH" survey --allow small.txt --ports 80 --source-address 192.0.2.1 --contact x@example.net --db n.db 2> n6.err &&
  fail "an IPv6 scope without --source-address6 must be refused"
grep -q "source-address6" n6.err || fail "unclear refusal: $(cat n6.err)"
printf '::1/128\n2400:cb00::/126\n' > mixed.txt
"$IOTWATCH" survey --allow mixed.txt --loopback-test --ports 80 --dry-run > /dev/null 2> mixed.err && fail "a loopback test reaching beyond ::1 must be refused"
grep -q "outside 127.0.0.0/8 and ::1" mixed.err || fail "unclear refusal: $(cat mixed.err)"
pass "IPv6: real lighttpd$([ $DROPBEAR = 1 ] && echo ' and dropbear') on ::1 (weak -> login-ok, strong -> auth-prompt); /64 refused, documentation space blocked, IPv6 source address required"
