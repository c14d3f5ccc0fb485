#!/usr/bin/env bash
# Dashboard load time (issue 6: "the page is interactive in < 1.5 s with a full day loaded"):
# `iotwatch serve` over a generated day (BENCH_PACKETS, default 2 M, ingested with --detect, alert
# files written), the page opened RUNS times (default 5) in Debian's headless Chromium through
# playwright-core, each in a fresh browser context (cold cache). Printed per run and as the median:
# DOMContentLoaded (the baseline: the static page and scripts, no data) and "interactive" = the
# page's own ready mark (body[data-ready]: map drawn, series chart, top tables and alert
# statistics filled from the API, live stream open), with the ratio. Not a test: nothing asserts.
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$(readlink -f "$build/iotwatch")
packets=${BENCH_PACKETS:-2000000}
runs=${RUNS:-5}
chromium=${CHROMIUM:-/usr/bin/chromium}
[ -x "$chromium" ] && [ -d "$root/web/node_modules/playwright-core" ] ||
  { echo "bench/page_interactive: needs chromium and the web assets (make web)" >&2; exit 1; }
dir=$(mktemp -d /tmp/iotwatch-bench-page.XXXXXX)
server=""
trap '[ -n "$server" ] && kill $server 2>/dev/null; rm -rf "$dir"' EXIT
"$bin" gen --seed 1 --packets "$packets" --darknet 198.18.0.0/16 -o "$dir/day.pcap" > /dev/null 2>&1
"$bin" ingest --quiet --detect --darknet 198.18.0.0/16 --db "$dir/d.db" "$dir/day.pcap"
"$bin" alerts --orgs "$root/examples/organisations.toml" --day 2026-01-01 --db "$dir/d.db" --outbox "$dir/out" > /dev/null
token=bench-admin-token-0123456789
"$bin" serve --db "$dir/d.db" --listen 127.0.0.1:0 --admin-token "$token" --outbox "$dir/out" --web-root "$root/web" \
  --city-db "$root/tests/data/geo/city.mmdb" --asn-db "$root/tests/data/geo/asn.mmdb" --replay "$dir/day.pcap" \
  > "$dir/serve.out" 2>&1 &
server=$!
for _ in $(seq 1 100); do grep -q '^iotwatch serve: http' "$dir/serve.out" && break; sleep 0.1; done
url=$(sed -n 's|^iotwatch serve: \(http://[^ ]*\) .*|\1|p' "$dir/serve.out")
cat > "$dir/page.mjs" <<'JS'
import { createRequire } from 'module';
const require = createRequire(process.env.WEB_DIR + '/');
const { chromium } = require('playwright-core');
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
const rows = [];
try {
  for (let i = 0; i < Number(process.env.RUNS); ++i) {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const page = await context.newPage();
    await page.goto(`${process.env.URL}#token=${process.env.TOKEN}`);
    await page.waitForFunction(() => document.body.dataset.ready === '1', null, { polling: 10, timeout: 30000 });
    const t = await page.evaluate(() => ({ ready: performance.now(),
      dcl: performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd }));
    rows.push(t);
    await context.close();
  }
} finally { await browser.close(); }
for (const r of rows) console.log(r.dcl.toFixed(0), r.ready.toFixed(0));
JS
printf '%-10s %22s %22s %8s\n' run "DOMContentLoaded ms" "interactive ms" ratio
URL=$url TOKEN=$token CHROMIUM=$chromium RUNS=$runs WEB_DIR=$root/web node "$dir/page.mjs" > "$dir/times.txt"
n=0
while read -r dcl ready; do
  n=$((n + 1))
  awk -v n="$n" -v a="$dcl" -v b="$ready" 'BEGIN { printf "%-10s %22d %22d %7.1fx\n", n, a, b, b / a }'
done < "$dir/times.txt"
sort -n -k2 "$dir/times.txt" | awk -v runs="$runs" -v p="$packets" '{ d[NR] = $1; r[NR] = $2 }
  END { m = int((NR + 1) / 2); printf "median interactive %d ms (DOMContentLoaded %d ms) with a %d-packet day loaded; target < 1500 ms\n", r[m], d[m], p }'
