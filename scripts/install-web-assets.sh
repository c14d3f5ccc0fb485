#!/usr/bin/env bash
# Vendors the dashboard's front-end libraries (pinned in web/package.json + web/package-lock.json)
# from the npm registry into web/vendor/ (gitignored), and installs playwright-core (the browser
# test's driver; it never downloads a browser: the tests use Debian's /usr/bin/chromium).
# No build step: the files copied are the packages' own dist builds, loaded by <script> tags.
# Idempotent: npm ci runs only when node_modules does not match the lock file; the copy is cheap.
#
# usage: scripts/install-web-assets.sh        (exit 1 when npm or the registry is unavailable)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
web=$root/web
command -v npm >/dev/null || { echo "install-web-assets: npm is missing (scripts/install-deps.sh installs it)" >&2; exit 1; }
cd "$web"
# npm ci installs exactly the lock file; skip it when the installed tree already matches.
if ! [ -f node_modules/.package-lock.json ] || ! cmp -s <(python3 -c 'import json,sys; d=json.load(open("package-lock.json"))["packages"]; d.pop("",None); print(sorted((k,v.get("version")) for k,v in d.items()))') \
      <(python3 -c 'import json,sys; d=json.load(open("node_modules/.package-lock.json"))["packages"]; print(sorted((k,v.get("version")) for k,v in d.items()))'); then
  echo "install-web-assets: npm ci in $web" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
mkdir -p vendor
cp node_modules/d3-array/dist/d3-array.min.js \
   node_modules/d3-geo/dist/d3-geo.min.js \
   node_modules/topojson-client/dist/topojson-client.min.js \
   node_modules/uplot/dist/uPlot.iife.min.js \
   node_modules/uplot/dist/uPlot.min.css \
   node_modules/world-atlas/countries-110m.json vendor/
# ISO 3166 alpha-2 -> numeric (the atlas's country ids), for packets whose source has only a country.
cp node_modules/i18n-iso-countries/codes.json vendor/iso3166-codes.json
{
  echo "Vendored by scripts/install-web-assets.sh from the npm registry (see web/package-lock.json):"
  for p in d3-array d3-geo topojson-client uplot world-atlas i18n-iso-countries; do
    node -e 'const p=require(process.argv[1]+"/package.json"); console.log(`  ${p.name}@${p.version} (${p.license})`)' "$web/node_modules/$p"
  done
} > vendor/SOURCES.txt
echo "install-web-assets: $web/vendor ready" >&2
