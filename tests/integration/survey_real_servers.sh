#!/usr/bin/env bash
# The survey against REAL servers the test starts on its own 127.77.N.x loopback addresses (never
# any other address): BusyBox telnetd and inetutils telnetd running a small login program, lighttpd
# with mod_auth Basic (htdigest file), Digest MD5 (htdigest file), Digest SHA-256 (plain file) and,
# when the TLS module is installed, Digest over HTTPS, and BusyBox httpd with Basic auth. Each service runs once with a weak password (on the test's
# credential list) and once with a strong one: the survey must report exactly login-ok with the
# weak credential's id, and auth-prompt for the strong one; ports with nothing listening are
# closed. Also: the loopback safety rules (refused without --loopback-test; --loopback-test refuses
# a non-loopback allow-list), --dry-run, and that no password reaches the store or the output.
# Needs root-free loopback only, but busybox/lighttpd must be installed: otherwise exit 77.
source "$(dirname "$0")/../lib/common.sh"
command -v busybox >/dev/null || { echo "SKIP: busybox (busybox-static) not installed"; exit 77; }
command -v lighttpd >/dev/null || { echo "SKIP: lighttpd not installed"; exit 77; }
busybox --list | grep -qx telnetd || { echo "SKIP: this busybox has no telnetd"; exit 77; }

NET=127.77.$(( $$ % 200 + 10 ))     # a /24 of loopback per test run
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

WEAK_USER=admin WEAK_PASS=admin
STRONG_PASS='Vq7#kLw9!zR2pX'
# The test's credential list: the weak pair is second, so a rejection precedes the success.
cat > creds.csv <<CSV
id,user,password,source
t-1,root,xc3511,test: Mirai 2016
t-2,$WEAK_USER,$WEAK_PASS,test: Mirai 2016
t-3,root,12345678,test: MIC consecutive
CSV

# --- telnet: BusyBox telnetd with a login program (a banner containing '#', then login/password)
make_login() {  # $1 file, $2 password
  cat > "$1" <<SH
#!/bin/sh
printf 'IoT camera v1.0 #1 ready\r\n'
printf 'login: '
read -r user
user=\$(printf '%s' "\$user" | tr -d '\r')
stty -echo 2>/dev/null
printf 'Password: '
read -r pass
pass=\$(printf '%s' "\$pass" | tr -d '\r')
stty echo 2>/dev/null
printf '\r\n'
if [ "\$user" = "$WEAK_USER" ] && [ "\$pass" = '$2' ]; then
  printf 'BusyBox v1.35 built-in shell\r\n# '
  sleep 5
else
  printf 'Login incorrect\r\n'
  sleep 1
fi
SH
  chmod +x "$1"
}
make_login login-weak.sh "$WEAK_PASS"
make_login login-strong.sh "$STRONG_PASS"
busybox telnetd -F -p 2323 -b $NET.11 -l "$WORK/login-weak.sh" & PIDS+=($!)
busybox telnetd -F -p 2323 -b $NET.12 -l "$WORK/login-strong.sh" & PIDS+=($!)
# --- telnet: inetutils telnetd (its own IAC negotiation) started per connection, inetd-style,
# running the same login programs
INETUTILS=0
if [ -x /usr/sbin/telnetd ] && /usr/sbin/telnetd --help 2>&1 | grep -q exec-login; then
  INETUTILS=1
  cat > inetd.py <<'PY'
import socket, subprocess, sys
host, port, *cmd = sys.argv[1:]
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind((host, int(port))); s.listen(16)
while True:
    c, _ = s.accept()
    subprocess.Popen(cmd, stdin=c.fileno(), stdout=c.fileno(), stderr=subprocess.DEVNULL, close_fds=True)
    c.close()
PY
  python3 inetd.py $NET.13 2323 /usr/sbin/telnetd -E "$WORK/login-weak.sh" & PIDS+=($!)
  python3 inetd.py $NET.14 2323 /usr/sbin/telnetd -E "$WORK/login-strong.sh" & PIDS+=($!)
fi

# --- http(s): lighttpd with mod_auth
mkdir -p www && echo "camera ui" > www/index.html
htdigest_line() { printf '%s:%s:%s\n' "$1" "$2" "$(printf '%s:%s:%s' "$1" "$2" "$3" | md5sum | cut -d' ' -f1)"; }
HTTPS=0
if [ -e /usr/lib/lighttpd/mod_openssl.so ] && command -v openssl >/dev/null; then
  openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 1 -subj /CN=camera >/dev/null 2>&1 && HTTPS=1
fi
start_lighttpd() {  # $1 host suffix, $2 method, $3 algorithm (MD5|SHA-256), $4 password, $5 backend, $6 tls
  local dir=lt-$1
  mkdir -p $dir
  local mods='"mod_auth", "mod_authn_file"'
  local tls=""
  if [ "$6" = 1 ]; then mods="$mods, \"mod_openssl\""; tls="ssl.engine = \"enable\"
ssl.pemfile = \"$WORK/cert.pem\"
ssl.privkey = \"$WORK/key.pem\""; fi
  if [ "$5" = htdigest ]; then
    htdigest_line "$WEAK_USER" iot "$4" > $dir/users
    backend="auth.backend = \"htdigest\"
auth.backend.htdigest.userfile = \"$WORK/$dir/users\""
  else
    printf '%s:%s\n' "$WEAK_USER" "$4" > $dir/users
    backend="auth.backend = \"plain\"
auth.backend.plain.userfile = \"$WORK/$dir/users\""
  fi
  local alg=""
  [ "$2" = digest ] && alg=", \"algorithm\" => \"$3\""
  cat > $dir/lighttpd.conf <<CONF
server.document-root = "$WORK/www"
server.bind = "$NET.$1"
server.port = ${7:-8080}
server.modules = ($mods)
server.errorlog = "$WORK/$dir/error.log"
$backend
$tls
auth.require = ("/" => ("method" => "$2", "realm" => "iot", "require" => "valid-user"$alg))
CONF
  lighttpd -D -f $dir/lighttpd.conf > $dir/stdout 2>&1 & PIDS+=($!)
}
# --- http: BusyBox httpd with Basic auth (httpd.conf "/:user:password")
mkdir -p bb-29 bb-30
printf '/:%s:%s\n' "$WEAK_USER" "$WEAK_PASS" > bb-29/httpd.conf
printf '/:%s:%s\n' "$WEAK_USER" "$STRONG_PASS" > bb-30/httpd.conf
busybox httpd -f -p $NET.29:8080 -h "$WORK/www" -c "$WORK/bb-29/httpd.conf" & PIDS+=($!)
busybox httpd -f -p $NET.30:8080 -h "$WORK/www" -c "$WORK/bb-30/httpd.conf" & PIDS+=($!)
start_lighttpd 21 basic MD5 "$WEAK_PASS" htdigest 0
start_lighttpd 22 basic MD5 "$STRONG_PASS" htdigest 0
start_lighttpd 23 digest MD5 "$WEAK_PASS" htdigest 0
start_lighttpd 24 digest MD5 "$STRONG_PASS" htdigest 0
start_lighttpd 25 digest SHA-256 "$WEAK_PASS" plain 0
start_lighttpd 26 digest SHA-256 "$STRONG_PASS" plain 0
if [ $HTTPS = 1 ]; then
  start_lighttpd 27 digest SHA-256 "$WEAK_PASS" plain 1 8443
  start_lighttpd 28 basic MD5 "$STRONG_PASS" htdigest 1 8443
fi

# Wait until every server listens.
python3 - "$NET" "$HTTPS" "$INETUTILS" <<'PY'
import socket, sys, time
net, https = sys.argv[1], sys.argv[2] == "1"
want = [(f"{net}.11", 2323), (f"{net}.12", 2323)] + [(f"{net}.{h}", 8080) for h in list(range(21, 27)) + [29, 30]]
if sys.argv[3] == "1": want += [(f"{net}.13", 2323), (f"{net}.14", 2323)]
if https: want += [(f"{net}.27", 8443), (f"{net}.28", 8443)]
deadline = time.time() + 10
for host, port in want:
    while True:
        try:
            socket.create_connection((host, port), timeout=1).close(); break
        except OSError:
            if time.time() > deadline: sys.exit(f"server {host}:{port} did not start")
            time.sleep(0.1)
PY

printf '%s.11/32\n%s.12/31\n%s.14/32\n%s.20/30\n%s.24/29\n' $NET $NET $NET $NET $NET > allow.txt   # .11-.14 .20-.23 .24-.31
PORTS=2323/telnet,8080/http
[ $HTTPS = 1 ] && PORTS=$PORTS,8443/https

# Safety: loopback is blocked unless the campaign is a loopback test, which may reach only 127/8.
"$IOTWATCH" survey --allow allow.txt --ports $PORTS --dry-run > /dev/null 2> refused.err && fail "loopback surveyed without --loopback-test"
grep -q "block list" refused.err || fail "unclear refusal: $(cat refused.err)"
printf '%s.0/24\n192.0.2.0/24\n' $NET > mixed.txt
rc=0; "$IOTWATCH" survey --allow mixed.txt --loopback-test --dry-run > /dev/null 2> mixed.err || rc=$?
[ $rc = 2 ] || fail "a loopback test with a non-loopback allow entry must exit 2"
grep -q "outside 127.0.0.0/8" mixed.err || fail "unclear refusal: $(cat mixed.err)"
"$IOTWATCH" survey --ports 23 --dry-run > /dev/null 2>&1 && fail "a survey without an allow-list must be refused"
pass "scope safety"

# Dry run: every target exactly once, nothing sent (the servers' logs stay empty of our requests).
"$IOTWATCH" survey --allow allow.txt --loopback-test --ports $PORTS --dry-run --seed 7 > dry.jsonl
python3 - "$HTTPS" <<'PY'
import json, sys
rows = [json.loads(l) for l in open("dry.jsonl")]
ports = 3 if sys.argv[1] == "1" else 2
assert len(rows) == 16 * ports, len(rows)
assert len({(r["address"], r["port"]) for r in rows}) == len(rows)
assert sorted(r["index"] for r in rows) == list(range(len(rows)))
PY
pass "dry run lists each target once"

"$IOTWATCH" survey --allow allow.txt --loopback-test --ports $PORTS --credentials creds.csv --max-attempts 3 \
  --rate 200 --rate-per-24 200 --rate-per-target 50 --phase-timeout 3000 --connect-timeout 1000 \
  --source-address 127.0.0.1 --contact "survey-optout@example.net" --campaign t1 --db s.db --json --seed 7 > run.json 2> run.err \
  || fail "survey failed: $(cat run.err)"
"$IOTWATCH" survey --results --campaign t1 --db s.db > results.jsonl
python3 - "$NET" "$HTTPS" "$INETUTILS" <<'PY'
import json, sys
net, https, inetutils = sys.argv[1], sys.argv[2] == "1", sys.argv[3] == "1"
res = {(r["address"], r["port"]): r for r in map(json.loads, open("results.jsonl"))}
def expect(host, port, outcome, cred=None, proto=None):
    r = res.get((f"{net}.{host}", port))
    assert r, f"no result for {net}.{host}:{port}"
    assert r["outcome"] == outcome, (host, port, r)
    assert r["credential_id"] == cred, (host, port, r)
    if proto: assert r["protocol"] == proto, r
    assert r["source_address"] == "127.0.0.1", r
    assert r["started"].endswith("Z") and r["ended"] >= r["started"], r
expect(11, 2323, "login-ok", "t-2", "telnet")
expect(12, 2323, "auth-prompt", None, "telnet")
if inetutils:
    expect(13, 2323, "login-ok", "t-2", "telnet")     # inetutils telnetd
    expect(14, 2323, "auth-prompt", None, "telnet")
expect(29, 8080, "login-ok", "t-2", "http")           # BusyBox httpd
expect(30, 8080, "auth-prompt", None, "http")
assert res[(f"{net}.12", 2323)]["attempts"] == 3, res[(f"{net}.12", 2323)]
for weak, strong, scheme in ((21, 22, "basic"), (23, 24, "digest-md5"), (25, 26, "digest-sha-256")):
    expect(weak, 8080, "login-ok", "t-2", "http")
    expect(strong, 8080, "auth-prompt", None, "http")
    assert json.loads(res[(f"{net}.{strong}", 8080)]["detail"])["scheme"] == scheme, res[(f"{net}.{strong}", 8080)]
if https:
    expect(27, 8443, "login-ok", "t-2", "https")
    expect(28, 8443, "auth-prompt", None, "https")
expect(20, 2323, "closed")
expect(11, 8080, "closed")
total = 16 * (3 if https else 2)
assert len(res) == total, len(res)
j = json.load(open("run.json"))
assert j["finished"] and j["probed"] == total and j["refused"] == 0, j
print("outcomes", j["outcomes"])
PY
# No password in the output or the store (only credential ids).
for p in "$WEAK_PASS" "$STRONG_PASS" xc3511 12345678; do
  grep -qF -- "\"$p\"" results.jsonl run.json && fail "a password reached the output"
  python3 -c "import sqlite3,sys; db=sqlite3.connect('s.db'); rows=db.execute('select * from survey_result').fetchall()+db.execute('select * from survey_campaign').fetchall(); sys.exit(any(sys.argv[1] in str(c) for r in rows for c in r if c not in ('admin',)))" "$p" \
    || fail "a password reached the store"
done
pass "real servers: weak -> login-ok (credential id), strong -> auth-prompt, nothing listening -> closed"

# Resume: the finished campaign run again probes nothing.
"$IOTWATCH" survey --allow allow.txt --loopback-test --ports $PORTS --credentials creds.csv --max-attempts 3 \
  --source-address 127.0.0.1 --contact "survey-optout@example.net" --campaign t1 --db s.db --json > rerun.json 2>/dev/null
python3 -c "import json; j=json.load(open('rerun.json')); assert j['probed']==0, j"
pass "a finished campaign is not probed again"

# Findings feed the ISP's daily alerts: the organisation owning the surveyed range gets one
# weak-credential row per device that accepted a weak password, none for the strong ones, and the
# password never reaches the files.
printf '[[organisation]]\nid = "loop-isp"\nname = "Loopback ISP"\nprefixes = ["%s.0/24"]\n' "$NET" > orgs.toml
"$IOTWATCH" alerts --orgs orgs.toml --day "$(date -u +%F)" --db s.db --outbox out --json > alerts.json
python3 - "$NET" "$HTTPS" <<'PY'
import csv, json, sys
net, https = sys.argv[1], sys.argv[2] == "1"
day = json.load(open("alerts.json"))["day"]
rows = [r for r in csv.DictReader(open(f"out/loop-isp/{day}/iotwatch-loop-isp-{day}.csv")) if r["tag"].startswith("weak-credential")]
got = {r["src_ip"] for r in rows}
want = {f"{net}.{h}" for h in (11, 21, 23, 25, 29) + ((27,) if https else ())}
assert want <= got, (sorted(want - got), sorted(got))
strong = {f"{net}.{h}" for h in (12, 14, 22, 24, 26, 28, 30)}
assert not (got & strong), sorted(got & strong)
jl = [json.loads(l) for l in open(f"out/loop-isp/{day}/iotwatch-loop-isp-{day}.jsonl")]
assert all("password" in j["advice"] for j in jl if j["kind"] == "weak-credential")
print(f"{len(rows)} weak-credential alert rows")
PY
# (as a field value: the weak password "admin" is also an English word of the advice text)
for p in "$WEAK_PASS" "$STRONG_PASS"; do grep -rqF -- "\"$p\"" out && fail "a password reached the alert files"; done
grep -rqF -- "$STRONG_PASS" out && fail "the strong password reached the alert files"
pass "survey findings reach the ISP's daily alert files"

# NOTICE's monthly summary: per organisation and protocol, distinct addresses, recomputed here
# from the results (best outcome per address) as an independent check.
"$IOTWATCH" survey --summary "$(date -u +%Y-%m)" --orgs orgs.toml --db s.db --json > summary.jsonl
python3 - "$NET" <<'PY'
import json, sys
net = sys.argv[1]
rank = {"login-ok": 5, "no-auth": 4, "auth-prompt": 3, "open-no-service": 2}
best = {}
for r in map(json.loads, open("results.jsonl")):
    for p in (r["protocol"], "all"):
        k = (p, r["address"])
        best[k] = max(best.get(k, 1), rank.get(r["outcome"], 1))
rows = {(j["org"], j["protocol"]): j for j in map(json.loads, open("summary.jsonl"))}
protocols = {p for p, _ in best}
for org in ("loop-isp", "all"):
    for p in protocols:
        v = [b for (q, _), b in best.items() if q == p]
        want = dict(surveyed=len(v), responded=sum(b >= 2 for b in v), auth_prompt=sum(b in (3, 5) for b in v),
                    login_ok=sum(b == 5 for b in v), no_auth=sum(b == 4 for b in v))
        got = rows[(org, p)]
        assert all(got[k] == want[k] for k in want), (org, p, got, want)
assert rows[("loop-isp", "all")]["login_ok"] >= 4 and rows[("loop-isp", "all")]["auth_prompt"] > rows[("loop-isp", "all")]["login_ok"], rows
print("summary rows", len(rows))
PY
"$IOTWATCH" survey --summary 2001-01 --db s.db | grep -q "no survey results" || fail "an empty month must say so"
"$IOTWATCH" survey --summary 2026-13 --db s.db 2>/dev/null && fail "a bad month must be refused"
pass "monthly summary equals an independent count of the results"
