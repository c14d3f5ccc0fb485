#!/usr/bin/env bash
# `iotwatch serve`: every API endpoint with curl against a store this test builds (gen + ingest
# --detect + alerts for two organisations with tokens): status codes, JSON shape, 4xx naming the bad
# parameter, organisation isolation on every endpoint (A never sees B's rows, files or alerts; the
# admin sees all), the access log, the live stream, and a clean stop on SIGINT.
source "$(dirname "$0")/../lib/common.sh"
command -v curl >/dev/null || { echo "SKIP: curl missing"; exit 77; }

"$IOTWATCH" gen --seed 3 --packets 60000 --darknet 198.18.0.0/16 -o day.pcap > /dev/null
"$IOTWATCH" ingest --quiet --detect --darknet 198.18.0.0/16 --db d.db day.pcap
TOKEN_A=token-of-organisation-a-0123456789
TOKEN_B=token-of-organisation-b-9876543210
ADMIN=admin-token-for-the-serve-test-42
sha() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }
cat > orgs.toml <<TOML
[[organisation]]
id = "org-a"
name = "Organisation A"
prefixes = ["0.0.0.0/1"]
token_sha256 = "$(sha $TOKEN_A)"

[[organisation]]
id = "org-b"
name = "Organisation B"
prefixes = ["128.0.0.0/1"]
token_sha256 = "$(sha $TOKEN_B)"
TOML
"$IOTWATCH" alerts --orgs orgs.toml --day 2026-01-01 --db d.db --outbox out > /dev/null
printf '%s\n' "$ADMIN" > admin.txt
# Survey records of one campaign in both organisations' space (data only: nothing is probed here;
# the survey engine itself is tested by survey_*.sh).
python3 - <<'PY'
import sqlite3
db = sqlite3.connect("d.db")
T = 1767225600 * 10**9  # 2026-01-01T00:00:00Z
db.execute("INSERT INTO survey_campaign VALUES ('c-2026-01',?,'127.0.0.9','abuse@example.org',7,'allow 5 addresses',"
           "'23/telnet,22/ssh,80/http','builtin',15,9,9,0,0)", (T,))
rows = [("10.0.0.1", 23, "telnet", "login-ok", "mirai-001", 3), ("10.0.0.2", 80, "http", "auth-prompt", "", 12),
        ("10.0.0.3", 22, "ssh", "closed", "", 0), ("150.0.0.1", 22, "ssh", "login-ok", "builtin-017", 5),
        ("150.0.0.2", 23, "telnet", "no-auth", "", 0), ("150.0.0.3", 23, "telnet", "closed", "", 0),
        ("150.0.0.4", 80, "http", "auth-prompt", "", 12), ("150.0.0.5", 23, "telnet", "timeout", "", 0),
        ("150.0.0.5", 80, "http", "open-no-service", "", 0)]
for i, (a, port, proto, outcome, cred, attempts) in enumerate(rows):
    db.execute("INSERT INTO survey_result VALUES ('c-2026-01',?,?,?,?,?,?,?,?,?,'127.0.0.9','{}')",
               (a, port, proto, i, outcome, cred, attempts, T + i * 10**9, T + i * 10**9 + 5 * 10**8))
db.commit()
PY

"$IOTWATCH" serve --db d.db --listen 127.0.0.1:0 --orgs orgs.toml --admin-token-file admin.txt --outbox out \
  --city-db "$DATA/geo/city.mmdb" --asn-db "$DATA/geo/asn.mmdb" \
  --replay day.pcap --replay-speed 2000 --darknet 198.18.0.0/16 > serve.out 2> serve.err &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 1 100); do grep -q '^iotwatch serve: http' serve.out 2>/dev/null && break; sleep 0.1; done
PORT=$(sed -n 's|^iotwatch serve: http://127.0.0.1:\([0-9]*\)/.*|\1|p' serve.out)
[ -n "$PORT" ] || fail "serve did not start: $(cat serve.out serve.err)"
grep -q "admin token" serve.out && fail "a given admin token must not be printed"

PORT=$PORT ADMIN=$ADMIN TOKEN_A=$TOKEN_A TOKEN_B=$TOKEN_B python3 - <<'PY'
import json, os, sqlite3, subprocess
base = f"http://127.0.0.1:{os.environ['PORT']}"
ADMIN, A, B = os.environ["ADMIN"], os.environ["TOKEN_A"], os.environ["TOKEN_B"]

def call(path, token=None, raw=False):
    cmd = ["curl", "-s", "-o", "body", "-w", "%{http_code}", base + path]
    if token: cmd[1:1] = ["-H", f"Authorization: Bearer {token}"]
    status = int(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)
    body = open("body", "rb").read()
    if raw: return status, body
    try: return status, json.loads(body)
    except ValueError: raise AssertionError(f"{path}: not JSON ({status}): {body[:200]!r}")

# Health: public, no data.
s, h = call("/api/v1/health")
assert s == 200 and h["status"] == "ok" and len(h["classes"]) == 10 and h["live"] is True, h

ENDPOINTS = ["/api/v1/whoami", "/api/v1/summary", "/api/v1/series", "/api/v1/series/ports?ports=tcp/23",
             "/api/v1/top/countries", "/api/v1/top/asns",
             "/api/v1/top/ports?proto=udp", "/api/v1/scans", "/api/v1/dos", "/api/v1/infected", "/api/v1/alerts",
             "/api/v1/alerts/stats", "/api/v1/alerts/files", "/api/v1/live", "/api/v1/survey/campaigns",
             "/api/v1/survey/findings", "/api/v1/survey/summary?month=2026-01"]
for e in ENDPOINTS:
    s, j = call(e)
    assert s == 401 and "Bearer" in j["error"], (e, s, j)
    s, j = call(e, "not-a-token")
    assert s == 401 and j["parameter"] == "Authorization", (e, s, j)

# Admin: every endpoint, shape.
s, j = call("/api/v1/whoami", ADMIN); assert s == 200 and j == {"role": "admin"}, j
s, summ = call("/api/v1/summary", ADMIN)
assert s == 200 and summ["packets"] > 50000 and "top_sources" in summ and set(summ["classes"]) == set(h["classes"]), summ
s, ser = call("/api/v1/series?width=3600&day=2026-01-01", ADMIN)
assert s == 200 and len(ser["bins"]) == 24 and all(len(ser["packets"][c]) == 24 for c in h["classes"]), ser
assert sum(sum(v) for v in ser["packets"].values()) == summ["packets"], "series must add up to the summary"
s, ser5 = call("/api/v1/series?width=300&from=2026-01-01T00:00:00Z&to=2026-01-01T01:00:00Z", ADMIN)
assert s == 200 and len(ser5["bins"]) == 12, ser5
# Per-port series: hour bins of the busiest TCP port add up to its day total in the top-ports view;
# an organisation token reads the same telescope-wide aggregate.
top_tcp = call("/api/v1/top/ports?proto=tcp&top=1&day=2026-01-01", ADMIN)[1]["rows"][0]
s, sp = call(f"/api/v1/series/ports?ports={top_tcp['port']},udp/53&width=3600&day=2026-01-01", ADMIN)
assert s == 200 and set(sp["ports"]) == {top_tcp["port"], "udp/53"}, sp
assert all(len(v["packets"]) == len(sp["bins"]) for v in sp["ports"].values()), sp
assert sum(sp["ports"][top_tcp["port"]]["packets"]) == top_tcp["packets"], (top_tcp, sp["ports"][top_tcp["port"]])
assert max(sp["ports"][top_tcp["port"]]["sources"]) <= top_tcp["unique_hosts"], sp
assert call(f"/api/v1/series/ports?ports={top_tcp['port']}&day=2026-01-01", A)[1]["ports"] == \
       call(f"/api/v1/series/ports?ports={top_tcp['port']}&day=2026-01-01", ADMIN)[1]["ports"]
for proto in ("tcp", "udp"):
    s, p = call(f"/api/v1/top/ports?proto={proto}&top=5", ADMIN)
    assert s == 200 and 0 < len(p["rows"]) <= 5 and p["rows"][0]["port"].startswith(proto + "/"), p
    assert p["rows"] == sorted(p["rows"], key=lambda r: -r["unique_hosts"]), p
s, c = call("/api/v1/top/countries", ADMIN); assert s == 200 and c["rows"] and "unique_hosts" in c["rows"][0], c
s, a = call("/api/v1/top/asns", ADMIN); assert s == 200 and a["rows"] and "asn" in a["rows"][0], a
admin_rows = {}
for view, key in (("scans", "src"), ("dos", "victim"), ("infected", "src")):
    s, j = call(f"/api/v1/{view}?top=1000", ADMIN)
    assert s == 200 and j["rows"] and key in j["rows"][0] and "view" not in j["rows"][0], (view, j)
    admin_rows[view] = j["rows"]
s, al = call("/api/v1/alerts?day=2026-01-01", ADMIN)
orgs_seen = {r["org"] for r in al["rows"]}
assert s == 200 and orgs_seen == {"org-a", "org-b"}, orgs_seen
assert set(al["rows"][0]) >= {"day", "org", "address", "kind", "confidence", "first_seen", "packets"}, al["rows"][0]
s, st = call("/api/v1/alerts/stats", ADMIN)
assert s == 200 and set(st["per_organisation"]) == {"org-a", "org-b"}, st
assert st["national"]["max"] == len({r["address"] for r in al["rows"]}) and st["national"]["days"] == 1, st
s, files = call("/api/v1/alerts/files?day=2026-01-01", ADMIN)
assert s == 200 and {f["org"] for f in files["rows"]} == {"org-a", "org-b"}, files
b_file = next(f for f in files["rows"] if f["org"] == "org-b" and f["name"].endswith(".csv"))
a_file = next(f for f in files["rows"] if f["org"] == "org-a" and f["name"].endswith(".csv"))
s, body = call(b_file["url"], ADMIN, raw=True)
assert s == 200 and body == open(f"out/org-b/2026-01-01/{b_file['name']}", "rb").read()

# Survey: campaigns with progress and outcome counts, findings (login-ok, no-auth; never a
# password), NOTICE's monthly summary.
s, sc = call("/api/v1/survey/campaigns", ADMIN)
assert s == 200 and [c["id"] for c in sc["rows"]] == ["c-2026-01"], sc
c = sc["rows"][0]
assert c["targets"] == 15 and c["emitted"] == 9 and c["completed"] == 9 and abs(c["progress"] - 0.6) < 1e-9, c
assert c["finished"] is False and c["scope"] == "allow 5 addresses" and c["contact"] == "abuse@example.org", c
assert c["outcomes"] == {"closed": 2, "open-no-service": 1, "no-auth": 1, "auth-prompt": 2, "login-ok": 2,
                         "error": 0, "timeout": 1}, c["outcomes"]
assert c["protocols"]["telnet"]["login-ok"] == 1 and c["protocols"]["ssh"]["login-ok"] == 1, c["protocols"]
assert call("/api/v1/survey/campaigns?campaign=c-2026-01", ADMIN)[1] == sc
s, sf = call("/api/v1/survey/findings?day=2026-01-01", ADMIN)
assert s == 200 and [(r["address"], r["outcome"]) for r in sf["rows"]] == \
       [("10.0.0.1", "login-ok"), ("150.0.0.1", "login-ok"), ("150.0.0.2", "no-auth")], sf
assert sf["rows"][0]["credential_id"] == "mirai-001" and sf["rows"][0]["organisation"] == "org-a", sf["rows"][0]
assert not any("password" in k for r in sf["rows"] for k in r), sf
assert call("/api/v1/survey/findings?day=2026-01-02", ADMIN)[1]["rows"] == []
s, sm = call("/api/v1/survey/summary?month=2026-01", ADMIN)
summary = {(r["org"], r["protocol"]): r for r in sm["rows"]}
assert s == 200 and summary[("all", "all")]["surveyed"] == 8 and summary[("all", "all")]["login_ok"] == 2, sm
assert summary[("org-b", "all")]["auth_prompt"] == 2 and summary[("org-a", "telnet")]["login_ok"] == 1, sm
assert call("/api/v1/survey/summary?month=2026-02", ADMIN)[1]["rows"] == []

# Aggregates are served from the response cache; alert data never is (each read is logged).
def headers(path, token):
    out = subprocess.run(["curl", "-s", "-D", "-", "-o", "/dev/null", "-H", f"Authorization: Bearer {token}", base + path],
                         capture_output=True, text=True, check=True).stdout.lower()
    return out
headers("/api/v1/summary?top=3", ADMIN)
assert "x-cache: hit" in headers("/api/v1/summary?top=3", ADMIN), "second summary must be a cache hit"
assert "x-cache" not in headers("/api/v1/alerts", ADMIN), "alerts must never be cached"
assert "top_sources" not in call("/api/v1/summary?top=3", A)[1], "the cache must not hand an organisation the admin's answer"

# Bad requests: 4xx naming the parameter.
BAD = [("/api/v1/series?width=7", 400, "width"), ("/api/v1/series/ports", 400, "ports"),
       ("/api/v1/series/ports?ports=sctp/1", 400, "ports"), ("/api/v1/series/ports?ports=tcp/70000", 400, "ports"),
       ("/api/v1/series/ports?ports=tcp/23&width=60", 400, "width"), ("/api/v1/summary?from=yesterday", 400, "from"),
       ("/api/v1/summary?from=2026-01-02&to=2026-01-01", 400, "to"), ("/api/v1/top/ports?proto=sctp", 400, "proto"),
       ("/api/v1/scans?top=0", 400, "top"), ("/api/v1/dos?top=abc", 400, "top"), ("/api/v1/alerts?org=Bad!", 400, "org"),
       ("/api/v1/alerts?org=nobody", 404, "org"), ("/api/v1/summary?form=2026-01-01", 400, "form"),
       ("/api/v1/alerts?day=2026-1-1", 400, "day"), ("/api/v1/alerts?day=2026-01-01&from=2026-01-01", 400, "day"),
       ("/api/v1/alerts/stats?from=2026-01-01T00:00:00Z", 400, "from"), ("/api/v1/series?width=300&width=3600", 400, "width"),
       ("/api/v1/alerts/files?day=x", 400, "day"), ("/api/v1/alerts/files/org-a/2026-01-01/..manifest", 400, "name"),
       ("/api/v1/alerts/files/org-a/2026-01-01/nothing.csv", 404, "name"),
       ("/api/v1/alerts/files/org-a/20260101xx/x.csv", 400, "day"), ("/api/v1/survey/summary", 400, "month"),
       ("/api/v1/survey/summary?month=2026-13", 400, "month"), ("/api/v1/survey/summary?month=2026", 400, "month"),
       ("/api/v1/survey/campaigns?campaign=nope", 404, "campaign"), ("/api/v1/survey/findings?day=x", 400, "day"),
       ("/api/v1/survey/findings?top=3", 400, "top")]
for path, status, param in BAD:
    s, j = call(path, ADMIN)
    assert s == status and j.get("parameter") == param and j["error"], (path, s, j)
s, j = call("/api/v1/nothing-here", ADMIN); assert s == 404 and "no such endpoint" in j["error"], j
s, body = call("/api/v1/alerts/files/org-a/2026-01-01/%2e%2e%2f%2e%2e%2forgs.toml", ADMIN, raw=True)
assert s in (400, 404) and b"token_sha256" not in body, (s, body)

# Organisation A: only its own.
def mine(addr): return int(addr.split(".")[0]) < 128 if "." in addr else False
s, j = call("/api/v1/whoami", A); assert j == {"role": "organisation", "organisation": "org-a", "name": "Organisation A"}, j
s, j = call("/api/v1/summary", A); assert s == 200 and "top_sources" not in j and j["packets"] == summ["packets"], j
for view, key in (("scans", "src"), ("dos", "victim"), ("infected", "src")):
    s, j = call(f"/api/v1/{view}?top=1000", A)
    assert s == 200 and j["organisation"] == "org-a", j
    assert all(mine(r[key]) for r in j["rows"]), (view, [r[key] for r in j["rows"] if not mine(r[key])])
    assert len(j["rows"]) == sum(1 for r in admin_rows[view] if mine(r[key])), view
s, j = call("/api/v1/alerts", A)
assert s == 200 and j["rows"] and {r["org"] for r in j["rows"]} == {"org-a"} and all(mine(r["address"]) for r in j["rows"]), j
assert len(j["rows"]) == sum(1 for r in al["rows"] if r["org"] == "org-a")
s, j = call("/api/v1/alerts?org=org-b", A); assert s == 403 and j["parameter"] == "org", j
s, j = call("/api/v1/alerts/stats", A); assert s == 200 and set(j["per_organisation"]) == {"org-a"}, j
s, j = call("/api/v1/alerts/stats?org=org-b", A); assert s == 403, j
s, j = call("/api/v1/alerts/files", A); assert s == 200 and j["rows"] and {f["org"] for f in j["rows"]} == {"org-a"}, j
s, j = call("/api/v1/alerts/files?org=org-b", A); assert s == 403, j
s, j = call(b_file["url"], A); assert s == 403, j
s, body = call(a_file["url"], A, raw=True); assert s == 200 and body.startswith(b"timestamp") or len(body) > 0, body[:80]
s, j = call("/api/v1/survey/campaigns", A)
assert s == 200 and "scope" not in j["rows"][0] and j["rows"][0]["targets"] == 15, j
assert j["rows"][0]["outcomes"]["login-ok"] == 1 and sum(j["rows"][0]["outcomes"].values()) == 3, j
s, j = call("/api/v1/survey/findings", A)
assert s == 200 and [r["address"] for r in j["rows"]] == ["10.0.0.1"] and j["organisation"] == "org-a", j
s, j = call("/api/v1/survey/summary?month=2026-01", A)
assert {r["org"] for r in j["rows"]} == {"org-a", "all"}, j
s, j = call("/api/v1/survey/findings", B)
assert [r["address"] for r in j["rows"]] == ["150.0.0.1", "150.0.0.2"], j
assert call("/api/v1/survey/campaigns", B)[1]["rows"][0]["outcomes"]["login-ok"] == 1
assert {r["org"] for r in call("/api/v1/survey/summary?month=2026-01", B)[1]["rows"]} == {"org-b", "all"}
# ... and B only its own.
s, j = call("/api/v1/alerts", B); assert {r["org"] for r in j["rows"]} == {"org-b"}, j
s, j = call(a_file["url"], B); assert s == 403, j
s, j = call("/api/v1/alerts?org=org-b", ADMIN); assert s == 200 and {r["org"] for r in j["rows"]} == {"org-b"}, j

# Access log: every read of alert data, with who.
log = sqlite3.connect("d.db").execute("SELECT who, action, object FROM access_log").fetchall()
acts = {(w, a) for w, a, _ in log}
for need in [("api:admin@127.0.0.1", "api.alerts"), ("api:org:org-a@127.0.0.1", "api.alerts"),
             ("api:org:org-a@127.0.0.1", "api.alerts.stats"), ("api:org:org-a@127.0.0.1", "api.alerts.files"),
             ("api:org:org-a@127.0.0.1", "api.alerts.download"), ("api:admin@127.0.0.1", "api.alerts.download"),
             ("api:org:org-a@127.0.0.1", "api.infected"), ("api:org:org-b@127.0.0.1", "api.alerts"),
             ("api:admin@127.0.0.1", "api.survey.findings"), ("api:org:org-b@127.0.0.1", "api.survey.findings")]:
    assert need in acts, (need, sorted(acts))
assert any(o.startswith("org=org-b") for w, a, o in log if a == "api.alerts.download" and w.startswith("api:admin")), log

# Static files: the dashboard page (no token needed: it holds no data).
s, body = call("/", raw=True); assert s == 200 and b"iotwatch" in body, s
s, body = call("/../../etc/passwd", raw=True); assert s in (400, 404) and b"root:" not in body, s
print("api checks passed")
PY

# Live stream: Server-Sent Events with classified packets (sampled), per-second stats.
curl -sN --max-time 3 -H "Authorization: Bearer $TOKEN_A" "http://127.0.0.1:$PORT/api/v1/live" > live.txt || true
grep -q '^event: packet' live.txt || fail "no packet events: $(head -c 300 live.txt)"
grep -q '^event: stats' live.txt || fail "no stats events"
python3 - <<'PY'
import json
ev = [json.loads(l[6:]) for l in open("live.txt") if l.startswith("data: ")]
pk = [e for e in ev if "cls" in e]
assert pk and all(e["cls"] in ("syn","synack","ack","fin","rst","push","tcp_other","udp","icmp","other_ip") for e in pk), pk[:3]
assert not any("src" in e for e in pk), "the live stream must not carry source addresses"
st = [e for e in ev if "shown" in e]
assert all(e["shown"] <= 50 for e in st), st   # sampled at the default 50 events/s
PY

# Clean stop on SIGINT.
kill -INT $SERVER
for _ in $(seq 1 50); do kill -0 $SERVER 2>/dev/null || break; sleep 0.1; done
kill -0 $SERVER 2>/dev/null && fail "serve did not stop within 5 s of SIGINT"
wait $SERVER || fail "serve exited with $? after SIGINT"
grep -q "stopping" serve.err || fail "no stop message"

# HTTPS with a self-signed certificate made here.
if command -v openssl >/dev/null; then
  openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 1 -subj /CN=127.0.0.1 2>/dev/null
  "$IOTWATCH" serve --db d.db --listen 127.0.0.1:0 --admin-token-file admin.txt --tls-cert cert.pem --tls-key key.pem \
    > tls.out 2> tls.err &
  TLS_SERVER=$!
  for _ in $(seq 1 100); do grep -q '^iotwatch serve: https' tls.out 2>/dev/null && break; sleep 0.1; done
  TLS_URL=$(sed -n 's|^iotwatch serve: \(https://[^ ]*\) .*|\1|p' tls.out)
  [ -n "$TLS_URL" ] || fail "HTTPS serve did not start: $(cat tls.out tls.err)"
  curl -s --cacert cert.pem -H "Authorization: Bearer $ADMIN" "${TLS_URL}api/v1/whoami" | grep -q '"admin"' ||
    fail "whoami over HTTPS failed"
  curl -s "http://${TLS_URL#https://}api/v1/health" | grep -q '"ok"' && fail "plain HTTP must not be answered on the HTTPS port"
  kill -INT $TLS_SERVER; wait $TLS_SERVER || fail "HTTPS serve exited with $?"
  "$IOTWATCH" serve --db d.db --admin-token-file admin.txt --tls-cert cert.pem --tls-key admin.txt 2> bad.err &&
    fail "a bad TLS key must fail"
  grep -q "TLS" bad.err || fail "unclear TLS error: $(cat bad.err)"
fi

# Bad command lines.
"$IOTWATCH" serve --db d.db --listen nowhere 2> bad.err && fail "--listen nowhere must fail"
grep -q "HOST:PORT" bad.err || fail "unclear --listen error: $(cat bad.err)"
"$IOTWATCH" serve --db d.db --admin-token short 2> bad.err && fail "a short admin token must fail"
grep -q "at least 16" bad.err || fail "unclear token error: $(cat bad.err)"
pass "serve: API endpoints, parameter errors, organisation isolation, access log, cache, live stream, HTTPS, SIGINT"
