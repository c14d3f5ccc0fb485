#!/usr/bin/env bash
# The dashboard in Debian's headless Chromium, driven by playwright-core (web/node_modules, from
# scripts/install-web-assets.sh; it never downloads a browser): the page loads without console
# errors, the map draws the countries and animates packets of a replay (sources with GeoIP
# coordinates from the committed fixtures), and the chart and tables show the API's numbers.
# A screenshot is saved and copied to <build>/test-artifacts/. Skips (77) without chromium or the
# vendored web assets.
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
source "$(dirname "$0")/../lib/common.sh"
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || { echo "SKIP: $CHROMIUM missing (apt-get install chromium)"; exit 77; }
command -v node >/dev/null || { echo "SKIP: node missing"; exit 77; }
[ -d "$ROOT/web/node_modules/playwright-core" ] && [ -s "$ROOT/web/vendor/countries-110m.json" ] ||
  { echo "SKIP: web assets missing (run scripts/install-web-assets.sh)"; exit 77; }
command -v curl >/dev/null || { echo "SKIP: curl missing"; exit 77; }

"$IOTWATCH" gen --seed 4 --packets 40000 --darknet 198.18.0.0/16 -o day.pcap > /dev/null
"$IOTWATCH" ingest --quiet --detect --darknet 198.18.0.0/16 --db d.db day.pcap
"$IOTWATCH" alerts --orgs "$ROOT/examples/organisations.toml" --day 2026-01-01 --db d.db --outbox out > /dev/null
# A survey campaign's records (data only; the survey engine is tested by survey_*.sh).
python3 - <<'PY'
import sqlite3
db = sqlite3.connect("d.db")
T = 1767225600 * 10**9
db.execute("INSERT INTO survey_campaign VALUES ('ui-campaign',?,'127.0.0.9','abuse@example.org',7,'test scope',"
           "'23/telnet,80/http','builtin',20,5,5,0,0)", (T,))
for i, (a, port, proto, outcome) in enumerate([("10.1.0.1", 23, "telnet", "login-ok"), ("10.1.0.2", 80, "http", "auth-prompt"),
                                               ("10.1.0.3", 23, "telnet", "closed"), ("10.1.0.4", 23, "telnet", "no-auth"),
                                               ("10.1.0.5", 80, "http", "login-ok")]):
    db.execute("INSERT INTO survey_result VALUES ('ui-campaign',?,?,?,?,?,?,3,?,?,'127.0.0.9','{}')",
               (a, port, proto, i, outcome, "mirai-001" if outcome == "login-ok" else "", T + i, T + i + 1))
# Two remote sensors' health as `iotwatch center` writes it (data only; the centre is tested by
# sensor_center.sh): one that reported a second ago, one silent for two hours.
import time
now = time.time_ns()
for name, contact, packets, drops in (("osaka-1", now - 10**9, 123456, 7), ("tokyo-2", now - 7200 * 10**9, 9876, 0)):
    db.execute("INSERT INTO sensor_health VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
               (name, "127.0.0.1:50000", contact, now, contact - 2 * 10**9, 40, packets, 1, 0, packets * 2, packets,
                drops, 0, 0, 0, 0))
db.commit()
PY
# The replay: packets of every class from sources the city fixture locates (JP, US, DE).
python3 - <<'PY'
import struct
def ip(s): return bytes(int(x) for x in s.split("."))
def pkt(src, dst, t, proto=6, flags=0x02, dport=23):
    body = struct.pack("!HHIIBBHHH", 40000, dport, 1, 0, 0x50, flags, 1024, 0, 0) if proto == 6 else \
           struct.pack("!HHHH", 40000, dport, 8, 0) if proto == 17 else struct.pack("!BBHI", 8, 0, 0, 0)
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(body), 1, 0, 64, proto, 0, ip(src), ip(dst))
    p = h + body
    return struct.pack("<IIII", int(t), int(t % 1 * 1e6), len(p), len(p)) + p
srcs = ["203.0.113.9", "198.51.100.7", "198.51.100.200"]
kinds = [(6, 0x02), (6, 0x12), (6, 0x10), (6, 0x01), (6, 0x04), (6, 0x18), (17, 0), (1, 0)]
out = [struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 101)]
t0 = 1767225600
for i in range(2000):
    proto, flags = kinds[i % len(kinds)]
    out.append(pkt(srcs[i % 3], f"198.18.{i % 200}.{i % 250 + 1}", t0 + i * 0.05, proto, flags))
open("replay.pcap", "wb").write(b"".join(out))
PY

ADMIN=admin-token-for-the-browser-test-1
"$IOTWATCH" serve --db d.db --listen 127.0.0.1:0 --admin-token "$ADMIN" --outbox out --web-root "$ROOT/web" \
  --city-db "$DATA/geo/city.mmdb" --asn-db "$DATA/geo/asn.mmdb" --replay replay.pcap --replay-speed 1 > serve.out 2> serve.err &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 1 100); do grep -q '^iotwatch serve: http' serve.out 2>/dev/null && break; sleep 0.1; done
URL=$(sed -n 's|^iotwatch serve: \(http://[^ ]*\) .*|\1|p' serve.out)
[ -n "$URL" ] || fail "serve did not start: $(cat serve.out serve.err)"
curl -s -H "Authorization: Bearer $ADMIN" "${URL}api/v1/top/ports?proto=tcp" > tcp.json
curl -s -H "Authorization: Bearer $ADMIN" "${URL}api/v1/series?width=3600" > series.json
TOP5=$(python3 -c 'import json; print(",".join(r["port"] for r in json.load(open("tcp.json"))["rows"][:5]))')
curl -s -H "Authorization: Bearer $ADMIN" "${URL}api/v1/series/ports?width=3600&ports=$TOP5" > ports.json
curl -s -H "Authorization: Bearer $ADMIN" "${URL}api/v1/survey/campaigns" > campaigns.json
curl -s -H "Authorization: Bearer $ADMIN" "${URL}api/v1/survey/summary?month=2026-01" > survey.json
curl -s -H "Authorization: Bearer $ADMIN" "${URL}api/v1/sensors" > sensors.json

cat > ui.mjs <<'JS'
import { createRequire } from 'module';
const require = createRequire(process.env.WEB_DIR + '/');
const { chromium } = require('playwright-core');
const fs = require('fs');
const url = process.env.URL, shot = process.env.SHOT;
const read = f => JSON.parse(fs.readFileSync(f, 'utf8'));
const tcp = read('tcp.json'), series = read('series.json'), ports = read('ports.json');
const campaigns = read('campaigns.json'), survey = read('survey.json'), sensors = read('sensors.json');
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync'],
  // playwright gives every launch a new empty profile (its own --user-data-dir in a temp dir).
});
const errors = [];
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1300 } });
  page.on('console', m => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', e => errors.push(String(e)));
  await page.goto(`${url}#token=${process.env.ADMIN}`);
  await page.waitForSelector('body[data-ready="1"]', { timeout: 20000 });
  const countries = await page.locator('#countries path.country').count();
  if (countries < 150) throw new Error(`map drew ${countries} countries`);
  // Packets fly: wait until some were drawn and some are on the map now.
  await page.waitForFunction(() => window.iotwatchMap && window.iotwatchMap.drawn >= 20, null, { timeout: 20000 });
  const flying = await page.locator('#packets circle.packet').count();
  if (flying < 1) throw new Error('no packet on the map');
  const legend = await page.locator('#legend li').count();
  if (legend !== 10) throw new Error(`legend has ${legend} classes`);
  // The table shows what the API says.
  const first = await page.locator('#top-tcp tbody tr').first().locator('td').allTextContents();
  const want = tcp.rows[0];
  if (first[1] !== want.port || first[3].replace(/,/g, '') !== String(want.unique_hosts))
    throw new Error(`top TCP row ${JSON.stringify(first)} != API ${JSON.stringify(want)}`);
  const bins = await page.locator('#chart').getAttribute('data-bins');
  if (Number(bins) !== series.bins.length) throw new Error(`chart has ${bins} bins, API ${series.bins.length}`);
  // Per-port chart: the top 5 TCP ports, with the API's numbers; then packets instead of sources.
  const pc = page.locator('#port-chart');
  const sum = m => Object.values(ports.ports).reduce((t, v) => t + v[m].reduce((a, b) => a + b, 0), 0);
  const wantPorts = Object.keys(ports.ports).join(',');
  if ((await pc.getAttribute('data-ports')) !== wantPorts) throw new Error(`port chart ${await pc.getAttribute('data-ports')} != ${wantPorts}`);
  if (Number(await pc.getAttribute('data-total')) !== sum('sources')) throw new Error('port chart sources differ from the API');
  if (Number(await pc.getAttribute('data-bins')) !== ports.bins.length) throw new Error('port chart bins differ from the API');
  await page.selectOption('#port-metric', 'packets');
  await page.waitForFunction(t => document.querySelector('#port-chart').dataset.total === String(t), sum('packets'), { timeout: 5000 });
  // A port typed in by hand.
  await page.fill('#ports', 'udp/53');
  await page.click('#ports-apply');
  await page.waitForFunction(() => document.querySelector('#port-chart').dataset.ports === 'udp/53', null, { timeout: 5000 });
  await page.fill('#ports', '');  // empty: back to the top 5
  await page.click('#ports-apply');
  await page.waitForFunction(w => document.querySelector('#port-chart').dataset.ports === w, wantPorts, { timeout: 5000 });
  // Survey: the campaign row and the month's summary as the API gives them.
  const camp = await page.locator('#survey-campaigns tbody tr').first().locator('td').allTextContents();
  const c = campaigns.rows[0];
  if (camp[0] !== c.id || !camp[2].includes(`${Math.round(c.progress * 100)}%`) || camp[5] !== String(c.outcomes['login-ok']))
    throw new Error(`survey campaign row ${JSON.stringify(camp)} != API ${JSON.stringify(c)}`);
  const sumRows = await page.locator('#survey-summary tbody tr').count();
  if (sumRows !== survey.rows.length || !survey.rows.length) throw new Error(`survey summary has ${sumRows} rows, API ${survey.rows.length}`);
  const national = await page.locator('#survey-summary tbody tr').last().locator('td').allTextContents();
  const n = survey.rows[survey.rows.length - 1];
  if (national[2] !== String(n.surveyed) || national[5] !== String(n.login_ok))
    throw new Error(`survey national row ${JSON.stringify(national)} != API ${JSON.stringify(n)}`);
  // Sensors: one row per sensor with the API's status, packets and drops.
  const sensorRows = await page.locator('#sensors tbody tr').evaluateAll(trs => trs.map(tr => [...tr.children].map(td => td.textContent)));
  const wantSensors = sensors.rows.map(r => [r.sensor, r.status, r.packets.toLocaleString('en'), String(r.drops)]);
  const gotSensors = sensorRows.map(r => [r[0], r[1], r[3], r[6]]);
  if (JSON.stringify(gotSensors) !== JSON.stringify(wantSensors) || wantSensors.length !== 2 ||
      wantSensors[0][1] !== 'ok' || wantSensors[1][1] !== 'stale')
    throw new Error(`sensors table ${JSON.stringify(gotSensors)} != API ${JSON.stringify(wantSensors)}`);
  const alerts = await page.locator('#alert-summary tbody tr').count();
  if (alerts < 2) throw new Error('alert statistics missing');
  // Pause stops the animation.
  await page.click('#pause');
  const paused = await page.evaluate(() => window.iotwatchMap.paused);
  if (!paused) throw new Error('pause did not pause');
  await page.click('#pause');
  await page.waitForTimeout(1500);
  await page.screenshot({ path: shot, fullPage: true });
  if (errors.length) throw new Error('console errors: ' + errors.join(' | '));
  console.log(`ui ok: ${countries} countries, ${flying} packets in flight, top tcp ${want.port}`);
} finally {
  await browser.close();
}
JS
URL=$URL ADMIN=$ADMIN CHROMIUM=$CHROMIUM SHOT=$WORK/dashboard.png WEB_DIR=$ROOT/web \
  timeout 120 node ui.mjs || fail "browser checks failed"
ART=$(dirname "$IOTWATCH")/test-artifacts
mkdir -p "$ART" && cp dashboard.png "$ART/web_ui_chromium.png"
kill -INT $SERVER; wait $SERVER || fail "serve exited with $? after SIGINT"
pass "dashboard in Chromium: map, live packets, class and port charts, survey, sensors and tables match the API (screenshot $ART/web_ui_chromium.png)"
