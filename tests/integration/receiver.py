#!/usr/bin/env python3
"""receiver.py -- a small webhook receiver for dbpulse's tests and demo.

Listens on 127.0.0.1 (a free port unless --port is given), writes the
port to --port-file, and for every POST appends one JSON line to --log:
{"t": epoch, "path", "headers": {lower-case name: value}, "body": parsed
JSON or text, "raw": the body as sent, "status": what it answered}.  With --print it also prints
each notification in a readable form (the demo uses that).

What it answers is scripted: --respond "503x3,200" answers 503 three
times, then 200 for ever (the last step repeats); a step may carry a
Retry-After, "429x1:3".  POST /_control with {"respond": "..."} replaces
the script at run time (not logged).  --delay SECONDS waits that long
after logging a request before answering it (a slow receiver).
"""
import argparse
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

lock = threading.Lock()
script = []      # [[status, remaining count or None, retry_after or None]]


def parse_script(text):
    steps = []
    for item in filter(None, (s.strip() for s in text.split(","))):
        retry = None
        if ":" in item:
            item, retry = item.split(":", 1)
        count = None
        if "x" in item:
            item, n = item.split("x", 1)
            count = int(n)
        steps.append([int(item), count, retry])
    return steps or [[200, None, None]]


def next_response():
    with lock:
        step = script[0]
        if step[1] is not None and len(script) > 1:
            step[1] -= 1
            if step[1] <= 0:
                script.pop(0)
        return step[0], step[2]


def show(body):
    if not isinstance(body, (dict, list)):
        return str(body)[:200]
    alerts = body.get("alerts", []) if isinstance(body, dict) else body
    if isinstance(body, dict) and "event_action" in body:
        return "pagerduty %s %s" % (body["event_action"], body.get("dedup_key"))
    lines = []
    for a in alerts if isinstance(alerts, list) else []:
        labels = a.get("labels", {})
        lines.append("%-8s %s %s" % (a.get("status", "firing"), labels.get("alertname"),
                                      ", ".join("%s=%s" % kv for kv in sorted(labels.items())
                                                if kv[0] != "alertname")))
        summary = a.get("annotations", {}).get("summary")
        if summary:
            lines.append("         " + summary)
    return "\n".join(lines) or json.dumps(body)[:200]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def answer(self, status, retry_after=None, body=b"ok\n"):
        self.send_response(status)
        if retry_after:
            self.send_header("Retry-After", retry_after)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self.answer(200)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        if self.path == "/_control":
            with lock:
                script[:] = parse_script(json.loads(raw)["respond"])
            self.answer(200)
            return
        try:
            body = json.loads(raw)
        except ValueError:
            body = raw.decode("utf-8", "replace")
        status, retry_after = next_response()
        record = {"t": time.time(), "path": self.path, "status": status,
                  "headers": {k.lower(): v for k, v in self.headers.items()},
                  "body": body, "raw": raw.decode("utf-8", "replace")}
        with lock:
            with open(args.log, "a") as f:
                f.write(json.dumps(record) + "\n")
        if args.delay > 0:
            time.sleep(args.delay)
        if args.print:
            print("[%s] %s %s -> %d\n%s" % (time.strftime("%H:%M:%S"), self.command, self.path,
                                             status, show(body)), flush=True)
        self.answer(status, retry_after, b"" if status == 200 else b"scripted answer\n")


parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, default=0)
parser.add_argument("--port-file")
parser.add_argument("--log", default="/dev/null")
parser.add_argument("--respond", default="200")
parser.add_argument("--print", action="store_true")
parser.add_argument("--delay", type=float, default=0)
args = parser.parse_args()
script[:] = parse_script(args.respond)
server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
server.daemon_threads = True
if args.port_file:
    with open(args.port_file + ".tmp", "w") as f:
        f.write("%d\n" % server.server_address[1])
    os.rename(args.port_file + ".tmp", args.port_file)
if args.print:
    print("receiver listening on http://127.0.0.1:%d/" % server.server_address[1], flush=True)
try:
    server.serve_forever()
except KeyboardInterrupt:
    sys.exit(0)
