#!/usr/bin/env bash
# The sharing hub over TAXII 2.1 (iotwatch serve): discovery, API root, collections, objects with
# added_after / match[type] / limit+next pagination, manifest, POST of an envelope (an anonymised
# submission) and its status resource, 401/403/404/406 bodies. TLP on every read: a sector's AMBER
# object reaches its members only, an organisation's own alert sightings reach it alone, and the
# submitter's identity appears in no collection. Published objects validate against the STIX 2.1
# JSON schemas.
source "$(dirname "$0")/../lib/common.sh"
command -v curl >/dev/null || { echo "SKIP: curl missing"; exit 77; }
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3

"$IOTWATCH" gen --seed 4 --packets 60000 --darknet 198.18.0.0/16 -o day.pcap > /dev/null
"$IOTWATCH" ingest --quiet --detect --darknet 198.18.0.0/16 --db d.db day.pcap
A=taxii-token-of-isp-a-0123456789; B=taxii-token-of-bank-b-0123456789; C=taxii-token-of-isp-c-0123456789
ADMIN=taxii-admin-token-0123456789
sha() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }
cat > orgs.toml <<TOML
[[organisation]]
id = "isp-a"
name = "ISP A"
prefixes = ["0.0.0.0/2"]
sectors = ["information-communication"]
token_sha256 = "$(sha $A)"
[[organisation]]
id = "bank-b"
name = "Bank B"
prefixes = ["128.0.0.0/2"]
sectors = ["finance"]
token_sha256 = "$(sha $B)"
[[organisation]]
id = "isp-c"
name = "ISP C"
prefixes = ["192.0.0.0/2"]
sectors = ["information-communication"]
token_sha256 = "$(sha $C)"
TOML
"$IOTWATCH" alerts --orgs orgs.toml --day 2026-01-01 --db d.db --outbox out > /dev/null
"$IOTWATCH" share publish --orgs orgs.toml --db d.db --day 2026-01-01 > /dev/null
printf '%s\n' "$ADMIN" > admin.txt
"$IOTWATCH" serve --db d.db --listen 127.0.0.1:0 --orgs orgs.toml --admin-token-file admin.txt > serve.out 2> serve.err &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 1 100); do grep -q '^iotwatch serve: http' serve.out 2>/dev/null && break; sleep 0.1; done
PORT=$(sed -n 's|^iotwatch serve: http://127.0.0.1:\([0-9]*\)/.*|\1|p' serve.out)
[ -n "$PORT" ] || fail "serve did not start: $(cat serve.out serve.err)"

PORT=$PORT A=$A B=$B C=$C ADMIN=$ADMIN "$PY" - "$DATA" <<'PY'
import json, os, subprocess, sys
base = f"http://127.0.0.1:{os.environ['PORT']}"
A, B, C, ADMIN = (os.environ[k] for k in ("A", "B", "C", "ADMIN"))
TAXII = "application/taxii+json;version=2.1"

def call(path, token=None, method="GET", body=None, accept=TAXII):
    cmd = ["curl", "-g", "-s", "-o", "body", "-D", "headers", "-w", "%{http_code}", "-X", method, base + path]
    if accept: cmd += ["-H", f"Accept: {accept}"]
    if token: cmd += ["-H", f"Authorization: Bearer {token}"]
    if body is not None: cmd += ["-H", f"Content-Type: {TAXII}", "--data-binary", "@req.json"]; open("req.json", "w").write(json.dumps(body))
    status = int(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)
    headers = open("headers").read().lower()
    return status, json.loads(open("body").read() or "null"), headers

s, d, h = call("/taxii2/", A)
assert s == 200 and d["api_roots"] == ["/taxii2/api/"] and TAXII in h, (s, d)
assert call("/taxii2/")[0] == 401
s, d, _ = call("/taxii2/api/", A); assert s == 200 and TAXII in d["versions"], d
s, d, _ = call("/taxii2/", A, accept="text/html"); assert s == 406 and d["http_status"] == "406", (s, d)
cols = {c["alias"]: c for c in call("/taxii2/api/collections/", A)[1]["collections"]}
assert "org-isp-a" in cols and "org-bank-b" not in cols and "national" in cols, sorted(cols)
admin_cols = {c["alias"]: c for c in call("/taxii2/api/collections/", ADMIN)[1]["collections"]}
assert {"org-isp-a", "org-bank-b", "org-isp-c"} <= set(admin_cols)
cid = lambda alias: admin_cols[alias]["id"]
assert call(f"/taxii2/api/collections/{cid('org-bank-b')}/objects/", A)[0] == 404, "A must not see B's collection"

# A's own alert sightings: A reads them, paginated; B and C see nothing of them.
s, d, h = call(f"/taxii2/api/collections/{cid('org-isp-a')}/objects/?limit=2", A)
assert s == 200 and len(d["objects"]) == 2 and d["more"] and "x-taxii-date-added-first" in h, (s, d.get("more"))
s2, d2, _ = call(f"/taxii2/api/collections/{cid('org-isp-a')}/objects/?limit=2&next={d['next']}", A)
assert s2 == 200 and {o["id"] for o in d2["objects"]}.isdisjoint({o["id"] for o in d["objects"]})
s, d, _ = call(f"/taxii2/api/collections/{cid('org-isp-a')}/objects/?match[type]=sighting&limit=1000", A)
assert d["objects"] and all(o["type"] == "sighting" for o in d["objects"])
one = d["objects"][0]["id"]
s, d1, _ = call(f"/taxii2/api/collections/{cid('org-isp-a')}/objects/?match[id]={one}", A)
assert s == 200 and [o["id"] for o in d1["objects"]] == [one], d1
s, d0, _ = call(f"/taxii2/api/collections/{cid('org-isp-a')}/objects/?match[id]=indicator--00000000-0000-4000-8000-000000000000", A)
assert s == 200 and not d0.get("objects"), d0
s, m, _ = call(f"/taxii2/api/collections/{cid('org-isp-a')}/manifest/?limit=5", A)
assert s == 200 and all({"id", "date_added", "version", "media_type"} <= set(x) for x in m["objects"]), m
assert call(f"/taxii2/api/collections/{cid('org-isp-a')}/objects/?bogus=1", A)[0] == 400
assert call(f"/taxii2/api/collections/{cid('org-isp-a')}/objects/?added_after=yesterday", A)[0] == 400
full = call(f"/taxii2/api/collections/{cid('org-isp-a')}/objects/?limit=1000", A)[1]["objects"]
# Scan campaigns and DoS victims: an owned address's reach its organisation only (AMBER); the
# others are national and GREEN, readable by every member. Each sighting's indicator is stored.
national = call(f"/taxii2/api/collections/{cid('national')}/objects/?limit=10000", B)[1]["objects"]
own_scans = [o for o in full if o["type"] == "indicator" and "anomalous-activity" in o.get("indicator_types", [])]
nat_scans = [o for o in national if o["type"] == "indicator"]
nat_dos = [o for o in national if o["type"] == "observed-data"]
assert own_scans and nat_scans, f"scan campaigns must reach isp-a ({len(own_scans)}) and national ({len(nat_scans)})"
for o in nat_scans:
    v = o["pattern"].split("src_ref.value = '")[1].split("'")[0]
    assert 64 <= int(v.split(".")[0]) < 128, f"{v} is owned by an organisation, not national"
assert call(f"/taxii2/api/collections/{cid('national')}/objects/?limit=1", C)[1]["objects"], "GREEN reaches every member"
bank = call(f"/taxii2/api/collections/{cid('org-bank-b')}/objects/?limit=10000", B)[1]["objects"]
bank_dos = [o for o in bank if o["type"] == "observed-data"]
assert nat_dos or bank_dos, "no DoS victim published"
assert not any(o["type"] == "observed-data" for o in full), "isp-a received a DoS victim outside its prefixes"
for o in bank_dos:
    addr = next(x for x in bank if x["id"] == o["object_refs"][0])["value"]
    assert 128 <= int(addr.split(".")[0]) < 192, f"bank-b received the DoS victim {addr}"
green = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
assert all(o["object_marking_refs"] == [green] for o in national if "object_marking_refs" in o), "national objects must be GREEN"
for o in own_scans:
    v = o["pattern"].split("src_ref.value = '")[1].split("'")[0]
    assert int(v.split(".")[0]) < 64, f"isp-a received a scan campaign of {v}, outside 0.0.0.0/2"
ids = {o["id"] for o in full + national + bank}
for o in full + national + bank:
    if o["type"] == "sighting": assert o["sighting_of_ref"] in ids, o
    if o["type"] == "observed-data": assert all(r in ids for r in o["object_refs"]), o
print(f"published findings: {len(own_scans)} own scan indicators for isp-a, {len(nat_scans)} national, "
      f"{len(bank_dos)} DoS victims for bank-b, {len(nat_dos)} national")
seen = set()
everything = [o for o in full + national + bank if not (o["id"] in seen or seen.add(o["id"]))]
json.dump({"type": "bundle", "id": "bundle--5f1cfa94-6e7e-5b8f-9d8d-8c5d4e1f7a21", "objects": everything}, open("published.json", "w"))

# An anonymised AMBER submission from A to its sector.
amber = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
envelope = {"objects": [
    {"type": "identity", "spec_version": "2.1", "id": "identity--11111111-2222-4333-8444-555555555555", "name": "ISP A SOC",
     "created": "2026-11-24T00:00:00Z", "modified": "2026-11-24T00:00:00Z"},
    {"type": "indicator", "spec_version": "2.1", "id": "indicator--aaaaaaaa-2222-4333-8444-555555555555",
     "created_by_ref": "identity--11111111-2222-4333-8444-555555555555", "created": "2026-11-24T00:00:00Z",
     "modified": "2026-11-24T00:00:00Z", "pattern": "[ipv4-addr:value = '203.0.113.77']", "pattern_type": "stix",
     "valid_from": "2026-11-24T00:00:00Z", "confidence": 90, "description": "from our customer 198.51.100.1",
     "x_iotwatch_private": ["description"], "object_marking_refs": [amber]}]}
sector = cid("sector-information-communication")
s, st, _ = call(f"/taxii2/api/collections/{sector}/objects/", A, "POST", envelope)
assert s == 202 and st["status"] == "complete" and st["success_count"] == 1 and st["x_iotwatch_severity"] == 3, (s, st)
assert call(f"/taxii2/api/status/{st['id']}/", A)[0] == 200
assert call(f"/taxii2/api/status/{st['id']}/", B)[0] == 404, "a status resource belongs to its submitter"
assert call(f"/taxii2/api/collections/{sector}/objects/", ADMIN, "POST", envelope)[0] == 403
seen_c = call(f"/taxii2/api/collections/{sector}/objects/?match[type]=indicator", C)[1]["objects"]
seen_b = call(f"/taxii2/api/collections/{sector}/objects/?match[type]=indicator", B)[1]["objects"]
assert [o["id"] for o in seen_c] == ["indicator--aaaaaaaa-2222-4333-8444-555555555555"], seen_c
assert seen_b == [], "AMBER of the information-communication sector must not reach the bank"
text = json.dumps(seen_c)
assert "11111111" not in text and "ISP A SOC" not in text and "198.51.100.1" not in text, text
assert seen_c[0]["created_by_ref"] != "identity--11111111-2222-4333-8444-555555555555"
# A GREEN phishing URL and an AMBER malware domain submitted by B: both are shared, but only the
# GREEN one reaches the malicious-site list (its RPZ goes to every participating resolver).
green_amber = {"objects": [
    {"type": "identity", "spec_version": "2.1", "id": "identity--22222222-2222-4333-8444-555555555555", "name": "Bank B CSIRT",
     "created": "2026-11-24T00:00:00Z", "modified": "2026-11-24T00:00:00Z"},
    {"type": "indicator", "spec_version": "2.1", "id": "indicator--bbbbbbbb-2222-4333-8444-555555555555",
     "created": "2026-11-24T00:00:00Z", "modified": "2026-11-24T00:00:00Z", "indicator_types": ["phishing"],
     "pattern": "[url:value = 'https://login-bank-b.example.test/verify']", "pattern_type": "stix",
     "valid_from": "2026-11-24T00:00:00Z", "object_marking_refs": [green]},
    {"type": "indicator", "spec_version": "2.1", "id": "indicator--cccccccc-2222-4333-8444-555555555555",
     "created": "2026-11-24T00:00:00Z", "modified": "2026-11-24T00:00:00Z", "indicator_types": ["malicious-activity"],
     "pattern": "[domain-name:value = 'amber-only.example.test']", "pattern_type": "stix",
     "valid_from": "2026-11-24T00:00:00Z", "object_marking_refs": [amber], "x_iotwatch_sectors": ["finance"]}]}
s, st, _ = call(f"/taxii2/api/collections/{cid('national')}/objects/", B, "POST", green_amber)
assert s == 202 and st["success_count"] == 2 and st["x_iotwatch_sites_added"] == 1, (s, st)
print(f"TAXII: {len(full)} own objects for isp-a, anonymised submission routed to its sector, TLP enforced")
PY
"$IOTWATCH" sites list --format csv --db d.db > sites.csv
grep -q "login-bank-b.example.test" sites.csv || fail "a GREEN url indicator submitted to the hub must reach the malicious-site list"
grep -q "amber-only.example.test" sites.csv && fail "an AMBER indicator must not reach the community-wide site list"
grep "login-bank-b" sites.csv | grep -q "hub-submission" || fail "the site's source must be the hub, not the submitter: $(cat sites.csv)"
grep -qi "bank" <(grep login-bank-b sites.csv | cut -d, -f4-) && fail "the submitter leaked into the site list: $(cat sites.csv)"
"$PY" -W ignore "$(dirname "$0")/../lib/validate_stix.py" "$DATA/stix2-schemas" published.json \
  || fail "published objects do not validate against the STIX 2.1 schemas"
# TAXII over HTTPS (TAXII 2.1 section 1.6.1 requires TLS): a certificate made here; discovery and a
# collection's objects over TLS with the CA pinned, TLP still per reader; plain HTTP on the TLS port
# gets no TAXII answer; a client that does not trust the certificate fails the handshake.
if command -v openssl >/dev/null; then
  kill -INT $SERVER; wait $SERVER 2>/dev/null || true
  openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 1 -subj /CN=127.0.0.1 \
    -addext "subjectAltName=IP:127.0.0.1" 2>/dev/null
  "$IOTWATCH" serve --db d.db --listen 127.0.0.1:0 --orgs orgs.toml --admin-token-file admin.txt \
    --tls-cert cert.pem --tls-key key.pem > tls.out 2> tls.err &
  SERVER=$!
  for _ in $(seq 1 100); do grep -q '^iotwatch serve: https' tls.out 2>/dev/null && break; sleep 0.1; done
  TLS_URL=$(sed -n 's|^iotwatch serve: \(https://[^ ]*\) .*|\1|p' tls.out)
  [ -n "$TLS_URL" ] || fail "TAXII over HTTPS did not start: $(cat tls.out tls.err)"
  T="Accept: application/taxii+json;version=2.1"
  curl -s --cacert cert.pem -H "$T" -H "Authorization: Bearer $A" "${TLS_URL}taxii2/" > disc.json
  grep -q '"/taxii2/api/"' disc.json || fail "TAXII discovery over HTTPS failed: $(cat disc.json)"
  curl -s --cacert cert.pem -H "$T" -H "Authorization: Bearer $A" "${TLS_URL}taxii2/api/collections/" > cols.json
  "$PY" - <<'PY' || fail "TAXII collections over HTTPS differ from the plain run"
import json
aliases = {c["alias"] for c in json.load(open("cols.json"))["collections"]}
assert "org-isp-a" in aliases and "org-bank-b" not in aliases, aliases
PY
  curl -s --max-time 5 -H "$T" -H "Authorization: Bearer $A" "http://${TLS_URL#https://}taxii2/" | grep -q api_roots &&
    fail "plain HTTP must not be answered on the TAXII TLS port"
  curl -s --max-time 5 -H "$T" "${TLS_URL}taxii2/" > /dev/null 2>&1 &&
    fail "a client that does not trust the certificate must fail the TLS handshake"
  kill -INT $SERVER; wait $SERVER || fail "HTTPS serve exited with $?"
fi
pass "TAXII 2.1 hub: endpoints, pagination, anonymised submissions, TLP per reader, over HTTPS"
