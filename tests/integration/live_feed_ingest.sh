#!/usr/bin/env bash
# The live map fed by a running capture: `iotwatch ingest --live lo --feed 127.0.0.1:P` sends its
# classified darknet packets to `iotwatch serve --live-from 127.0.0.1:P`; UDP datagrams this test
# sends to 127.0.0.1 (the only traffic it sends) come out of serve's Server-Sent Events stream as
# `packet` events (class udp, the destination port) and per-second `stats`, without any address.
# Packets outside the darknet are not streamed. Needs root for the capture (skipped otherwise).
source "$(dirname "$0")/../lib/common.sh"
[ "$(id -u)" -eq 0 ] || { echo "SKIP: live capture needs root"; exit 77; }
read -r feed dport < <(python3 -c 'import socket
s=[socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(2)]
[x.bind(("127.0.0.1",0)) for x in s]
print(*[x.getsockname()[1] for x in s])')
ADMIN=live-feed-admin-token-0123456789
"$IOTWATCH" serve --db s.db --listen 127.0.0.1:0 --admin-token "$ADMIN" --live-from "127.0.0.1:$feed" --live-rate 1000 > serve.out 2> serve.err &
SERVER=$!
"$IOTWATCH" ingest --live lo --filter "udp and dst port $dport" --darknet 127.0.0.0/25 --db live.db \
  --feed "127.0.0.1:$feed" --checkpoint-interval 1 --quiet 2> ingest.err &
INGEST=$!
trap 'kill $SERVER $INGEST 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 1 100); do grep -q '^iotwatch serve: http' serve.out 2>/dev/null && break; sleep 0.1; done
URL=$(sed -n 's|^iotwatch serve: \(http://[^ ]*\) .*|\1|p' serve.out)
[ -n "$URL" ] || fail "serve did not start: $(cat serve.out serve.err)"
grep -q "live feed from ingest" serve.out || fail "serve does not say it takes the feed: $(cat serve.out)"
curl -sN -m 6 -H "Authorization: Bearer $ADMIN" "${URL}api/v1/live" > sse.txt &
CURL=$!
sleep 1.5
python3 - "$dport" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(150):
    s.sendto(b"darknet", ("127.0.0.1", int(sys.argv[1])))      # inside 127.0.0.0/25: streamed
    s.sendto(b"outside", ("127.0.0.200", int(sys.argv[1])))    # outside the darknet: counted, not streamed
    time.sleep(0.01)
PY
wait $CURL || true
kill -INT $INGEST; wait $INGEST || true
python3 - "$dport" <<'PY'
import json, sys
dport = int(sys.argv[1])
events, kind = [], None
for line in open("sse.txt"):
    line = line.rstrip("\n")
    if line.startswith("event: "): kind = line[7:]
    elif line.startswith("data: "): events.append((kind, json.loads(line[6:])))
packets = [d for k, d in events if k == "packet"]
stats = [d for k, d in events if k == "stats"]
counted = sum(s["packets"] for s in stats)
assert 140 <= counted <= 150, f"{counted} darknet packets counted in stats for 150 sent (the 150 outside must not count)"
assert len(packets) == counted, f"{len(packets)} packet events, {counted} counted: below --live-rate all are shown"
assert all(p["cls"] == "udp" and p["proto"] == "udp" and p["dport"] == dport for p in packets), packets[:3]
text = open("sse.txt").read()
assert "127.0.0.1" not in text and "127.0.0.200" not in text, "an address reached the stream"
print(f"{len(packets)} packet events, {sum(s['packets'] for s in stats)} counted in stats")
PY
pass "ingest --live --feed -> serve --live-from -> SSE: darknet packets streamed, others not, no addresses"
