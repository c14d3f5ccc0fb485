#!/usr/bin/env bash
# The ssh probe against REAL dropbear servers the test starts on its own 127.78.N.x loopback
# addresses. Each dropbear runs in a private mount namespace (unshare -m) where the test's own
# passwd/shadow files are bind-mounted over /etc/passwd and /etc/shadow: throwaway accounts that
# exist only for that process; the machine's files and accounts are never touched.
#   .31 admin/admin (weak, on the list)      -> login-ok with the weak credential's id
#   .32 admin/<strong>                       -> auth-prompt after every listed credential
#   .33 password logins disabled (-s)        -> open-no-service (only public keys)
#   .34 blank passwords allowed (-B)         -> no-auth ('none' authentication succeeds)
#   .35 nothing listening                    -> closed
#   .36 a telnet-like banner, not SSH        -> open-no-service
# Needs root (mount namespaces) and dropbear (dropbear-bin): otherwise exit 77.
source "$(dirname "$0")/../lib/common.sh"
command -v dropbear >/dev/null && command -v dropbearkey >/dev/null || { echo "SKIP: dropbear (dropbear-bin) not installed"; exit 77; }
unshare -m --propagation private true 2>/dev/null || { echo "SKIP: no mount namespaces here (needs root)"; exit 77; }
command -v openssl >/dev/null || { echo "SKIP: openssl missing"; exit 77; }

NET=127.78.$(( $$ % 200 + 10 ))

STRONG_PASS='Vq7#kLw9!zR2pX'
cat > creds.csv <<CSV
id,user,password,source
t-1,root,xc3511,test: Mirai 2016
t-2,admin,admin,test: Mirai 2016
t-3,root,12345678,test: MIC consecutive
CSV
dropbearkey -t ed25519 -f hostkey > /dev/null 2>&1 || fail "dropbearkey failed"

# accounts DIR ROOTHASH ADMINHASH: a passwd and a shadow file for one server.
accounts() {
  mkdir -p "$1"
  printf 'root:x:0:0:root:/root:/bin/sh\nadmin:x:4001:4001:test:/nonexistent:/bin/sh\n' > "$1/passwd"
  printf 'root:%s:19000:0:99999:7:::\nadmin:%s:19000:0:99999:7:::\n' "$2" "$3" > "$1/shadow"
  chmod 600 "$1/shadow"
}
accounts weak '*' "$(openssl passwd -6 admin)"
accounts strong '*' "$(openssl passwd -6 "$STRONG_PASS")"
accounts blank '' ''
# dropbear HOST DIR [OPTIONS...]: in its own mount namespace with DIR's accounts.
start_dropbear() {
  local host=$1 dir=$2
  shift 2
  unshare -m --propagation private sh -c \
    "mount --bind '$WORK/$dir/passwd' /etc/passwd && mount --bind '$WORK/$dir/shadow' /etc/shadow && exec dropbear -F -E -r '$WORK/hostkey' -p $NET.$host:22 $*" \
    > "dropbear-$host.log" 2>&1 & track $!
}
start_dropbear 31 weak
start_dropbear 32 strong
start_dropbear 33 weak -s
start_dropbear 34 blank -B
# .36: answers like a telnet device, not SSH.
python3 - "$NET.36" > not-ssh.log 2>&1 <<'PY' & track $!
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind((sys.argv[1], 22)); s.listen(16)
while True:
    c, _ = s.accept(); c.sendall(b"\r\nBusyBox telnet\r\nlogin: "); c.close()
PY

wait_tcp $NET.31:22 $NET.32:22 $NET.33:22 $NET.34:22 $NET.36:22
# The test's own accounts never reached the machine's files.
grep -q '^admin:x:4001' /etc/passwd && fail "the test account leaked into the machine's /etc/passwd"

printf '%s.31/32\n%s.32/31\n%s.34/31\n%s.36/32\n' $NET $NET $NET $NET > allow.txt   # .31 .32 .33 .34 .35 .36
"$IOTWATCH" survey --allow allow.txt --loopback-test --ports 22/ssh --credentials creds.csv --max-attempts 3 \
  --rate 200 --rate-per-24 200 --rate-per-target 50 --phase-timeout 5000 --connect-timeout 1000 \
  --source-address 127.0.0.1 --contact "survey-optout@example.net" --campaign ssh1 --db s.db --json --seed 3 > run.json 2> run.err \
  || fail "survey failed: $(cat run.err)"
"$IOTWATCH" survey --results --campaign ssh1 --db s.db > results.jsonl
python3 - "$NET" <<'PY'
import json, sys
net = sys.argv[1]
res = {r["address"]: r for r in map(json.loads, open("results.jsonl"))}
def expect(host, outcome, cred=None):
    r = res.get(f"{net}.{host}")
    assert r, f"no result for {net}.{host}"
    assert r["protocol"] == "ssh" and r["port"] == 22, r
    assert r["outcome"] == outcome, (host, r)
    assert r["credential_id"] == cred, (host, r)
    return json.loads(r["detail"])
d = expect(31, "login-ok", "t-2")
assert d["banner"].startswith("SSH-2.0-dropbear") and "password" in d["methods"] and d["auth"] == "password", d
assert res[f"{net}.31"]["attempts"] == 2, res[f"{net}.31"]
d = expect(32, "auth-prompt")
assert res[f"{net}.32"]["attempts"] == 3, res[f"{net}.32"]
d = expect(33, "open-no-service")
assert d["methods"] == "publickey", d
d = expect(34, "no-auth")
assert d["methods"] == "none", d
expect(35, "closed")
d = expect(36, "open-no-service")
assert d.get("ssh_error"), d
assert len(res) == 6, sorted(res)
j = json.load(open("run.json"))
assert j["finished"] and j["probed"] == 6 and j["refused"] == 0, j
PY
[ $? = 0 ] || fail "unexpected results: $(cat results.jsonl)"
for p in "$STRONG_PASS" xc3511 12345678; do
  grep -qF -- "$p" results.jsonl run.json && fail "a password reached the output"
done
# The weak server saw the successful password login (dropbear logs no session setup: that no
# channel is opened is checked against OpenSSH, which logs one, in survey_ssh_openssh).
grep -q "Password auth succeeded for 'admin'" dropbear-31.log || fail "dropbear .31 saw no successful login: $(cat dropbear-31.log)"
pass "ssh against real dropbear: weak -> login-ok, strong -> auth-prompt, keys only -> open-no-service, blank -> no-auth, not SSH -> open-no-service"
