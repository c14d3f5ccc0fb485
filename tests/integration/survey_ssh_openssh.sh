#!/usr/bin/env bash
# The ssh probe's keyboard-interactive path against REAL OpenSSH (Debian's sshd 9.2, unpacked by
# scripts/fetch-test-sshd.sh, never installed as a service) with PAM: password authentication off,
# keyboard-interactive on, so the login goes through PAM's conversation (pam_unix's hidden
# "Password:" prompt). Each sshd runs in a private mount namespace with the test's own passwd and
# shadow bind-mounted (throwaway accounts, plus sshd's privilege-separation user) and a private
# /run, on 127.79.N.x: weak -> login-ok by keyboard-interactive, strong -> auth-prompt.
# Needs root (mount namespaces) and the unpacked sshd: otherwise exit 77.
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
source "$(dirname "$0")/../lib/common.sh"
SSHD=$ROOT/.deps/openssh-server/usr/sbin/sshd
[ -x "$SSHD" ] || { echo "SKIP: $SSHD missing (scripts/fetch-test-sshd.sh)"; exit 77; }
unshare -m --propagation private true 2>/dev/null || { echo "SKIP: no mount namespaces here (needs root)"; exit 77; }
command -v ssh-keygen >/dev/null && command -v openssl >/dev/null || { echo "SKIP: ssh-keygen/openssl missing"; exit 77; }
[ -e /etc/pam.d/other ] || [ -e /etc/pam.d/sshd ] || { echo "SKIP: no PAM configuration"; exit 77; }

NET=127.79.$(( $$ % 200 + 10 ))
ssh-keygen -q -t ed25519 -f hostkey -N ''
printf 'id,user,password,source\nt-1,root,xc3511,test: Mirai 2016\nt-2,admin,admin,test: Mirai 2016\n' > creds.csv

start_sshd() {  # HOST PASSWORD
  local dir=sshd-$1
  mkdir -p $dir
  printf 'root:x:0:0:root:/root:/bin/sh\nsshd:x:100:65534::/run/sshd:/usr/sbin/nologin\nadmin:x:4001:4001:test:/nonexistent:/bin/sh\n' > $dir/passwd
  printf 'root:*:19000:0:99999:7:::\nsshd:*:19000:0:99999:7:::\nadmin:%s:19000:0:99999:7:::\n' "$(openssl passwd -6 "$2")" > $dir/shadow
  chmod 600 $dir/shadow
  cat > $dir/sshd_config <<CONF
Port 22
ListenAddress $NET.$1
HostKey $WORK/hostkey
PidFile none
UsePAM yes
KbdInteractiveAuthentication yes
PasswordAuthentication no
PubkeyAuthentication no
PermitRootLogin no
StrictModes no
MaxAuthTries 3
LogLevel VERBOSE
CONF
  unshare -m --propagation private sh -c "mount --bind '$WORK/$dir/passwd' /etc/passwd && mount --bind '$WORK/$dir/shadow' /etc/shadow && mount -t tmpfs none /run && mkdir -p /run/sshd && exec '$SSHD' -D -e -f '$WORK/$dir/sshd_config'" \
    > $dir/log 2>&1 & track $!
}
start_sshd 41 admin
start_sshd 42 'Vq7#kLw9!zR2pX'
wait_tcp $NET.41:22 $NET.42:22

printf '%s.41/32\n%s.42/32\n' $NET $NET > allow.txt
"$IOTWATCH" survey --allow allow.txt --loopback-test --ports 22/ssh --credentials creds.csv --max-attempts 2 \
  --rate 100 --rate-per-24 100 --rate-per-target 50 --phase-timeout 8000 --source-address 127.0.0.1 \
  --contact optout@example.net --campaign kbd --db s.db --json > run.json 2> run.err || fail "survey failed: $(cat run.err)"
"$IOTWATCH" survey --results --campaign kbd --db s.db > results.jsonl
python3 - "$NET" <<'PY' || fail "unexpected results: $(cat results.jsonl) / $(cat sshd-41/log)"
import json, sys
res = {r["address"]: r for r in map(json.loads, open("results.jsonl"))}
weak, strong = res[f"{sys.argv[1]}.41"], res[f"{sys.argv[1]}.42"]
dw, ds = json.loads(weak["detail"]), json.loads(strong["detail"])
assert weak["outcome"] == "login-ok" and weak["credential_id"] == "t-2" and weak["attempts"] == 2, weak
assert dw["banner"].startswith("SSH-2.0-OpenSSH") and dw["methods"] == "keyboard-interactive", dw
assert dw["auth"] == "keyboard-interactive", dw
assert strong["outcome"] == "auth-prompt" and strong["attempts"] == 2 and strong["credential_id"] is None, strong
PY
grep -q "Accepted keyboard-interactive/pam for admin" sshd-41/log || fail "sshd saw no keyboard-interactive login: $(cat sshd-41/log)"
# sshd logs "Starting session: ..." at VERBOSE whenever a channel runs a shell, command or subsystem.
grep -q "Starting session" sshd-41/log && fail "a session was opened: $(cat sshd-41/log)"
pass "ssh keyboard-interactive against real OpenSSH with PAM: weak -> login-ok, strong -> auth-prompt, no session opened"
