#!/usr/bin/env python3
"""fakes.py -- misbehaving servers for dbpulse's fault tests (faults_*.sh).

Every fake listens on 127.0.0.1 (a free port, or --port with SO_REUSEADDR
so it can take the port a real server just left), writes its port to
--port-file once it listens, and appends one JSON line per event to --log:
  {"t": epoch, "event": "accept"|"close"|"request"|..., "conn": N, ...}
A "close" line carries "bytes_in", "bytes_out" and "duration" (seconds from
accept to close).  Every fake stops by itself after --lifetime seconds
(default 600) so that a test killed with SIGKILL leaves nothing behind for
long, and every output it streams is capped (--cap bytes).

  fakes.py silent            accepts TCP, reads and discards, never answers
                             (a hung PostgreSQL, Redis or webhook receiver)

  fakes.py redis MODE        speaks enough RESP: AUTH, CLIENT, SELECT, PING
                             get +OK/+PONG; the reply to INFO depends on MODE:
    badtype     "?garbage": a type byte that does not exist
    hugebulk    "$1099511627776" (a 2^40-byte bulk string), then --rate
                bytes/second of 'x' until the client goes or --cap
    hugearray   "*1099511627776" (2^40 elements), then nothing
    nested      "*1" forever (arrays nested without end), --rate, --cap
    biginfo     a well-formed INFO of --size bytes (default 8 MiB) of
                made-up fields after a real-looking header
    dribble     a well-formed small INFO, one byte every --interval seconds
                (each read finishes well before a socket timeout)
    any other command gets "-ERR unknown command" (SLOWLOG, SCAN...).

  fakes.py slowloris         not a server: a client that opens --connections
                             connections to --target HOST:PORT from --source
                             (a loopback address), sends a request line and
                             then its headers one byte every --interval
                             seconds, never ending them, for --duration
                             seconds; logs "open"/"closed" per connection
                             and at the end a "summary" with how many the
                             server still kept open

  fakes.py http MODE         an HTTP/1.1 webhook receiver that reads the
                             request (logged with its headers and body) then:
    silent      never answers
    drip        answers "200 OK" one byte every --interval seconds (1)
    huge        "200 OK" with Content-Length 2^40, then --rate bytes/second
                of body until the client goes or --cap
    redirect    "302 Found", Location: --location
"""
import argparse
import json
import os
import select
import socket
import sys
import threading
import time

args = None
log_lock = threading.Lock()
conn_ids = iter(range(1, 1 << 30))


def log(event, **kw):
    rec = {"t": time.time(), "event": event}
    rec.update(kw)
    with log_lock:
        with open(args.log, "a") as f:
            f.write(json.dumps(rec) + "\n")


class Conn:
    def __init__(self, sock):
        self.sock = sock
        self.id = next(conn_ids)
        self.t0 = time.time()
        self.bytes_in = 0
        self.bytes_out = 0
        self.buf = b""

    def recv(self, n=65536):
        data = self.sock.recv(n)
        self.bytes_in += len(data)
        return data

    def send(self, data):
        self.sock.sendall(data)
        self.bytes_out += len(data)

    def peer_closed(self):
        """True when the client has closed (non-blocking check)."""
        try:
            self.sock.setblocking(False)
            try:
                data = self.sock.recv(65536)
            except (BlockingIOError, InterruptedError):
                return False
            finally:
                self.sock.setblocking(True)
            if not data:
                return True
            self.bytes_in += len(data)
            return False
        except OSError:
            return True

    def stream(self, chunk_maker, rate, cap):
        """Sends chunks at about rate bytes/s until cap or the client goes."""
        sent = 0
        step = max(1, min(65536, rate // 20))
        chunk = chunk_maker(step)
        while sent < cap:
            t = time.time()
            try:
                self.send(chunk)
            except OSError:
                return
            sent += len(chunk)
            if self.peer_closed():
                return
            left = len(chunk) / float(rate) - (time.time() - t)
            if left > 0:
                time.sleep(left)
        self.hold()

    def wait_closed(self, seconds):
        """Sleeps up to seconds; True as soon as the client has closed."""
        end = time.time() + seconds
        while True:
            left = end - time.time()
            if left <= 0:
                return False
            r, _, _ = select.select([self.sock], [], [], left)
            if r and self.peer_closed():
                return True

    def hold(self):
        """Keeps the connection open, discarding input, until the client goes."""
        while True:
            try:
                if not self.recv():
                    return
            except OSError:
                return

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
        log("close", conn=self.id, bytes_in=self.bytes_in, bytes_out=self.bytes_out,
            duration=time.time() - self.t0)


# ---- silent ----------------------------------------------------------------------

def serve_silent(c):
    c.hold()


# ---- redis -----------------------------------------------------------------------

def resp_command(c):
    """Reads one RESP command (array of bulk strings, or an inline line)."""
    def line():
        while b"\r\n" not in c.buf:
            data = c.recv()
            if not data:
                raise EOFError
            c.buf += data
        ln, c.buf = c.buf.split(b"\r\n", 1)
        return ln

    first = line()
    if not first.startswith(b"*"):
        return first.split()
    argv = []
    for _ in range(int(first[1:])):
        hdr = line()
        n = int(hdr[1:])
        while len(c.buf) < n + 2:
            data = c.recv()
            if not data:
                raise EOFError
            c.buf += data
        argv.append(c.buf[:n])
        c.buf = c.buf[n + 2:]
    return argv


INFO_HEAD = ("# Server\r\nredis_version:7.0.15\r\nredis_mode:standalone\r\nos:Linux\r\n"
             "run_id:0123456789abcdef0123456789abcdef01234567\r\nuptime_in_seconds:100\r\n"
             "# Clients\r\nconnected_clients:1\r\nblocked_clients:0\r\nmaxclients:10000\r\n"
             "# Memory\r\nused_memory:1000000\r\nmaxmemory:0\r\nmaxmemory_policy:noeviction\r\n"
             "# Replication\r\nrole:master\r\nconnected_slaves:0\r\n")


def bulk(payload):
    return b"$%d\r\n%s\r\n" % (len(payload), payload)


_big_info = []


def big_info():
    """The biginfo reply, built once (at start: the first INFO must not wait)."""
    if not _big_info:
        body = [INFO_HEAD.encode(), b"# Fake\r\n"]
        size = len(body[0])
        i = 0
        while size < args.size:
            ln = b"fake_field_%d:%d\r\n" % (i, i)
            body.append(ln)
            size += len(ln)
            i += 1
        _big_info.append(bulk(b"".join(body)))
    return _big_info[0]


def redis_info_reply(c, mode):
    if mode == "badtype":
        c.send(b"?garbage\r\n")
        c.hold()
    elif mode == "hugebulk":
        c.send(b"$1099511627776\r\n")
        c.stream(lambda n: b"x" * n, args.rate, args.cap)
    elif mode == "hugearray":
        c.send(b"*1099511627776\r\n")
        c.hold()
    elif mode == "nested":
        c.stream(lambda n: b"*1\r\n" * max(1, n // 4), args.rate, args.cap)
    elif mode == "biginfo":
        c.send(big_info())
        return True
    elif mode == "dribble":
        data = bulk(INFO_HEAD.encode())
        for i in range(len(data)):
            c.send(data[i:i + 1])
            time.sleep(args.interval)
        return True
    else:
        raise SystemExit("unknown redis mode " + mode)
    return False


def serve_redis(c):
    while True:
        try:
            argv = resp_command(c)
        except (EOFError, ValueError, IndexError):
            return
        if not argv:
            continue
        cmd = argv[0].upper()
        log("command", conn=c.id, argv=[a.decode("utf-8", "replace") for a in argv[:3]])
        if cmd in (b"AUTH", b"CLIENT", b"SELECT", b"HELLO"):
            c.send(b"+OK\r\n")
        elif cmd == b"PING":
            c.send(b"+PONG\r\n")
        elif cmd == b"INFO":
            if not redis_info_reply(c, args.mode):
                return
        else:
            c.send(b"-ERR unknown command\r\n")


# ---- http ------------------------------------------------------------------------

def read_request(c):
    while b"\r\n\r\n" not in c.buf:
        data = c.recv()
        if not data:
            return None
        c.buf += data
    head, c.buf = c.buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for ln in lines[1:]:
        if ":" in ln:
            k, v = ln.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    n = int(headers.get("content-length", "0"))
    while len(c.buf) < n:
        data = c.recv()
        if not data:
            break
        c.buf += data
    body, c.buf = c.buf[:n], c.buf[n:]
    try:
        parsed = json.loads(body)
    except ValueError:
        parsed = body.decode("utf-8", "replace")
    log("request", conn=c.id, line=lines[0], headers=headers, body=parsed)
    return lines[0]


def serve_http(c):
    if read_request(c) is None:
        return
    mode = args.mode
    if mode == "silent":
        c.hold()
    elif mode == "drip":
        data = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n"
        for i in range(len(data)):
            try:
                c.send(data[i:i + 1])
            except OSError:
                return
            if c.wait_closed(args.interval):
                return
    elif mode == "huge":
        c.send(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1099511627776\r\n\r\n")
        c.stream(lambda n: b"y" * n, args.rate, args.cap)
    elif mode == "redirect":
        c.send(("HTTP/1.1 302 Found\r\nLocation: %s\r\nContent-Length: 0\r\n"
                "Connection: close\r\n\r\n" % args.location).encode())
    else:
        raise SystemExit("unknown http mode " + mode)


# ---- slowloris (a client) --------------------------------------------------------

def slowloris():
    host, port = args.target.rsplit(":", 1)
    socks = []
    for i in range(args.connections):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.bind((args.source, 0))
            s.connect((host, int(port)))
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: dbpulse\r\n")
            socks.append(s)
            log("open", conn=i)
        except OSError as e:
            log("refused", conn=i, error=str(e))
            s.close()
    header = b"X-Slow-Header: " + b"a" * 64 + b"\r\n"
    alive = {id(s): True for s in socks}
    end = time.time() + args.duration
    pos = 0
    while time.time() < end:
        for s in socks:
            if not alive[id(s)]:
                continue
            try:
                r, _, _ = select.select([s], [], [], 0)
                if r and not s.recv(65536):
                    raise OSError("closed by the server")
                s.sendall(header[pos % len(header):pos % len(header) + 1])
            except OSError as e:
                alive[id(s)] = False
                log("closed", error=str(e), after=time.time() - (end - args.duration))
        pos += 1
        time.sleep(args.interval)
    kept = sum(1 for v in alive.values() if v)
    log("summary", opened=len(socks), kept=kept)
    for s in socks:
        s.close()


# ---- main ------------------------------------------------------------------------

def handle(sock, serve):
    c = Conn(sock)
    log("accept", conn=c.id)
    try:
        serve(c)
    except OSError:
        pass
    finally:
        c.close()


def main():
    global args
    p = argparse.ArgumentParser()
    p.add_argument("kind", choices=["silent", "redis", "http", "slowloris"])
    p.add_argument("mode", nargs="?", default="")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--port-file")
    p.add_argument("--log", default="/dev/null")
    p.add_argument("--rate", type=int, default=8 << 20, help="bytes/second of streamed output")
    p.add_argument("--cap", type=int, default=256 << 20, help="most bytes streamed on a connection")
    p.add_argument("--size", type=int, default=8 << 20, help="biginfo: bytes of INFO")
    p.add_argument("--interval", type=float, default=1.0, help="drip/dribble: seconds per byte")
    p.add_argument("--location", default="http://127.0.0.1:9/")
    p.add_argument("--lifetime", type=float, default=600)
    p.add_argument("--target", default="127.0.0.1:9930", help="slowloris: where to")
    p.add_argument("--source", default="127.0.0.2", help="slowloris: from which address")
    p.add_argument("--connections", type=int, default=40)
    p.add_argument("--duration", type=float, default=8)
    args = p.parse_args()
    if args.kind == "slowloris":
        slowloris()
        return
    serve = {"silent": serve_silent, "redis": serve_redis, "http": serve_http}[args.kind]
    if args.kind == "redis" and args.mode == "biginfo":
        big_info()

    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", args.port))
    ls.listen(128)
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write("%d\n" % ls.getsockname()[1])
        os.rename(args.port_file + ".tmp", args.port_file)
    threading.Timer(args.lifetime, lambda: os._exit(0)).start()
    while True:
        s, _ = ls.accept()
        threading.Thread(target=handle, args=(s, serve), daemon=True).start()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)
