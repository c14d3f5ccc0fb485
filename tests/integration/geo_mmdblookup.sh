#!/usr/bin/env bash
# `iotwatch geo` against mmdblookup (libmaxminddb's own command-line tool, package mmdb-bin) as an
# independent oracle: on every committed fixture (tests/data/geo), for addresses inside and outside
# their IPv4 and IPv6 networks, each field we print equals what mmdblookup finds at the field's path
# in the same file (with the documented fallbacks and the merge rule of GeoEnricher).
source "$(dirname "$0")/../lib/common.sh"
command -v mmdblookup >/dev/null || fail "mmdblookup missing (apt-get install mmdb-bin)"
python3 - "$IOTWATCH" "$DATA/geo" <<'PY'
import json, math, re, subprocess, sys

iotwatch, geo = sys.argv[1], sys.argv[2]
ADDRESSES = ["203.0.113.1", "203.0.113.255", "198.51.100.1", "198.51.100.200", "198.19.255.1", "192.0.2.1",
             "192.0.2.200", "8.8.8.8", "0.0.0.0", "2001:db8:1::1", "2001:db8:1:ffff:ffff:ffff:ffff:ffff",
             "2001:db8:2::42", "2001:db8:3::1", "2001:db8:4::1", "2001:db8:5::1", "::1", "2400:cb00::1"]

def mmdb(db, ip, *path):
    """The scalar mmdblookup prints at `path`, or None (no record, no such path, not a scalar)."""
    r = subprocess.run(["mmdblookup", "--file", db, "--ip", ip, *path], capture_output=True, text=True)
    out = r.stdout.strip()
    if r.returncode != 0 or not out:
        return None
    m = re.fullmatch(r'(?s)"(.*)" <utf8_string>', out)
    if m:
        return m.group(1)
    m = re.fullmatch(r'(-?[0-9.]+) <(double|float|uint16|uint32|uint64|int32)>', out)
    return float(m.group(1)) if m else None

def first(db, ip, *paths):
    for p in paths:
        v = mmdb(db, ip, *p)
        if v is not None and v != "":
            return v
    return None

def expected_one(db, ip):
    cc = first(db, ip, ("country", "iso_code"), ("registered_country", "iso_code"), ("country_code",))
    lat = first(db, ip, ("location", "latitude"), ("latitude",))
    lon = first(db, ip, ("location", "longitude"), ("longitude",))
    if lat is None or lon is None:
        lat = lon = None
    asn = mmdb(db, ip, "autonomous_system_number")
    return {"country": cc or "", "region": first(db, ip, ("subdivisions", "0", "names", "en"), ("state1",)) or "",
            "city": first(db, ip, ("city", "names", "en"), ("city",)) or "", "latitude": lat, "longitude": lon,
            "asn": int(asn) if asn is not None else 0,
            "as_org": mmdb(db, ip, "autonomous_system_organization") or ""}

def expected(city_db, asn_db, ip):
    e = expected_one(city_db, ip) if city_db else expected_one(asn_db, ip)
    if city_db and asn_db:
        a = expected_one(asn_db, ip)
        for k in ("country", "region", "city"):
            e[k] = e[k] or a[k]
        if e["latitude"] is None:
            e["latitude"], e["longitude"] = a["latitude"], a["longitude"]
        e["asn"] = a["asn"] or e["asn"]
        e["as_org"] = a["as_org"] or e["as_org"]
    return e

def close(a, b):
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-5, abs_tol=1e-6)  # we print 6 significant digits

combos = [(f"{geo}/city.mmdb", f"{geo}/asn.mmdb"), (f"{geo}/city.mmdb", None), (None, f"{geo}/asn.mmdb"),
          (f"{geo}/country.mmdb", None), (f"{geo}/iplocdb-city.mmdb", f"{geo}/asn.mmdb"),
          (f"{geo}/country.mmdb", f"{geo}/city.mmdb")]
checked = 0
for city_db, asn_db in combos:
    cmd = [iotwatch, "geo", "--json"]
    if city_db: cmd += ["--city-db", city_db]
    if asn_db: cmd += ["--asn-db", asn_db]
    out = subprocess.run(cmd + ADDRESSES, capture_output=True, text=True, check=True).stdout.splitlines()
    assert len(out) == len(ADDRESSES), f"{cmd}: {len(out)} lines for {len(ADDRESSES)} addresses"
    for ip, line in zip(ADDRESSES, out):
        got = json.loads(line)
        want = expected(city_db, asn_db, ip)
        for k, v in want.items():
            ok = close(got[k], v) if k in ("latitude", "longitude") else got[k] == v
            if not ok:
                sys.exit(f"FAIL: {city_db} + {asn_db}, {ip}: {k} is {got[k]!r}, mmdblookup says {v!r}")
            checked += 1
print(f"PASS: {checked} fields of {len(combos)} database combinations agree with mmdblookup")
PY
# A garbage database is a configuration error naming the file.
head -c 2000 /dev/urandom > bad.mmdb
set +e
"$IOTWATCH" geo --city-db bad.mmdb 192.0.2.1 2> err.txt
rc=$?
set -e
[ $rc -eq 2 ] || fail "garbage database: exit $rc, expected 2"
grep -q "bad.mmdb" err.txt || fail "error does not name the file: $(cat err.txt)"
pass "geo lookups agree with mmdblookup"
