#!/usr/bin/env python3
"""A fleet of emulated IoT devices on loopback addresses, for bench/survey_hydra.sh.

Each device listens on its own 127.A.B.C address (never any other address): telnet devices on
--telnet-port with a login:/Password: dialogue (IAC negotiation from the client is skipped; three
attempts per connection, like BusyBox login), http devices on --http-port answering 401 with
WWW-Authenticate: Basic until the right Authorization arrives. A weak device's password is the
credential list's entry --weak-index (so every tool must try that many pairs first); a strong
device's password is on no list. --hold: devices send their login prompt and then wait, for the
memory measurement with many connections open. Writes the device list (address port protocol
weak) to --list and prints "ready" when every listener is bound.
"""
import argparse, asyncio, base64, random, resource, sys


def addresses(base, n):
    a, b = (int(x) for x in base.split("."))
    for i in range(n):  # 250 devices per /24, 250 /24s per second octet
        yield f"{a}.{b + i // 62500}.{(i // 250) % 250}.{i % 250 + 1}"


def strip_iac(data):
    out, i = bytearray(), 0
    while i < len(data):
        c = data[i]
        if c == 255 and i + 1 < len(data):
            cmd = data[i + 1]
            if cmd == 250:  # SB ... IAC SE
                end = data.find(b"\xff\xf0", i + 2)
                i = len(data) if end < 0 else end + 2
                continue
            i += 3 if 251 <= cmd <= 254 else 2
            continue
        out.append(c)
        i += 1
    return bytes(out)


async def read_line(reader, limit=256):
    buf = b""
    while True:
        ch = await reader.read(64)
        if not ch:
            return None
        buf += strip_iac(ch)
        if b"\n" in buf or b"\r" in buf or len(buf) > limit:
            line = buf.replace(b"\r\n", b"\n").replace(b"\r\x00", b"\n").replace(b"\r", b"\n").split(b"\n")[0]
            return line.decode("latin-1").strip()


def telnet_handler(user, password, hold, max_attempts):
    async def handle(reader, writer):
        try:
            if hold:  # silent: the client waits for a banner until its timeout
                await reader.read(1)
                return
            writer.write(b"\xff\xfb\x01\xff\xfb\x03")  # WILL ECHO, WILL SGA
            writer.write(b"\r\nIoT camera v1.0\r\nlogin: ")
            await writer.drain()
            attempts = 0
            while attempts < max_attempts:
                u = await read_line(reader)
                if u is None:
                    return
                if not u:  # an empty line re-prompts (as BusyBox login does)
                    writer.write(b"login: ")
                    await writer.drain()
                    continue
                attempts += 1
                writer.write(b"Password: ")
                await writer.drain()
                p = await read_line(reader)
                if p is None:
                    return
                if u == user and p == password:
                    writer.write(b"\r\n\r\nBusyBox v1.35.0 built-in shell (ash)\r\n# ")
                    await writer.drain()
                    await asyncio.wait_for(reader.read(1), 10)
                    return
                writer.write(b"\r\nLogin incorrect\r\n" + (b"login: " if attempts < max_attempts else b""))
                await writer.drain()
        except (ConnectionError, asyncio.TimeoutError):
            pass
        finally:
            writer.close()
    return handle


def http_handler(user, password, hold):
    good = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

    async def handle(reader, writer):
        try:
            if hold:
                await reader.read(1)
                return
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                auth = ""
                for line in head.decode("latin-1").split("\r\n")[1:]:
                    k, _, v = line.partition(":")
                    if k.lower() == "authorization":
                        auth = v.strip()
                if auth == good:
                    body = b"<html>camera</html>"
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body))
                    await writer.drain()
                    return
                body = b"401 Unauthorized"
                writer.write(b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"camera\"\r\n"
                             b"Content-Length: %d\r\nConnection: keep-alive\r\n\r\n%s" % (len(body), body))
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()
    return handle


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", default="127.90")
    ap.add_argument("--devices", type=int, default=1000)
    ap.add_argument("--protocols", default="telnet,http")
    ap.add_argument("--telnet-port", type=int, default=2323)
    ap.add_argument("--http-port", type=int, default=8080)
    ap.add_argument("--credentials", required=True, help="user:password per line (hydra -C format)")
    ap.add_argument("--weak-index", type=int, default=10)
    ap.add_argument("--weak-fraction", type=float, default=0.5)
    ap.add_argument("--hold", action="store_true")
    ap.add_argument("--telnet-attempts", type=int, default=3, help="logins per connection before it closes")
    ap.add_argument("--list", required=True)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    creds = [l.rstrip("\n").split(":", 1) for l in open(a.credentials) if ":" in l]
    rnd = random.Random(a.seed)
    protos = a.protocols.split(",")
    servers = []
    with open(a.list, "w") as out:
        for i, addr in enumerate(addresses(a.base, a.devices)):
            proto = protos[i % len(protos)]
            weak = rnd.random() < a.weak_fraction
            user, password = creds[a.weak_index] if weak else (creds[a.weak_index][0], "Zq8!strong-%06d" % i)
            port = a.telnet_port if proto == "telnet" else a.http_port
            handler = (telnet_handler(user, password, a.hold, a.telnet_attempts) if proto == "telnet"
                       else http_handler(user, password, a.hold))
            servers.append(await asyncio.start_server(handler, addr, port, backlog=64, reuse_address=True))
            out.write(f"{addr} {port} {proto} {int(weak)}\n")
    print("ready", flush=True)
    await asyncio.gather(*(s.serve_forever() for s in servers))


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
