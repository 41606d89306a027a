#!/usr/bin/env python3
"""bench/scrape_first.py -- scrape latency right after a target published
(the first scrape of a new collection, what Prometheus gets when it scrapes
once per collection interval) and again at once (the cached answer).

Usage: scrape_first.py BASE_URL ROUNDS
  BASE_URL  the agent, http://127.0.0.1:PORT
  ROUNDS    how many publishes to wait for; at each, alternately with and
            without Accept-Encoding: gzip, one scrape as soon as
            /api/targets shows a newer last_collect of any target (the
            "first" one), then three more at once ("again": the cached
            answer, unless another target published in between, as it
            often does with many targets)

Prints one line per kind: "first-gzip", "first-plain", "again-gzip",
"again-plain", each followed by the median and p99 in milliseconds and
the count.  One keep-alive HTTP/1.1 connection each for the polls and
the scrapes; a scrape's time runs from sending the request to having read
the whole body (not decompressed).
"""
import http.client
import json
import sys
import time
from urllib.parse import urlsplit


def percentile(values, p):
    v = sorted(values)
    if not v:
        return float("nan")
    k = min(len(v) - 1, max(0, int(round(p / 100.0 * (len(v) - 1)))))
    return v[k]


def main():
    base, rounds = sys.argv[1], int(sys.argv[2])
    u = urlsplit(base)
    poll = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    scrape = http.client.HTTPConnection(u.hostname, u.port, timeout=10)

    def last_collects():
        poll.request("GET", "/api/targets")
        r = poll.getresponse()
        body = r.read()
        return {t["name"]: t["last_collect"] for t in json.loads(body)["targets"]}

    def timed(gzip):
        headers = {"Accept": "text/plain;version=0.0.4"}
        if gzip:
            headers["Accept-Encoding"] = "gzip"
        t0 = time.perf_counter()
        scrape.request("GET", "/metrics", headers=headers)
        r = scrape.getresponse()
        r.read()
        return (time.perf_counter() - t0) * 1000.0

    results = {k: [] for k in ("first-gzip", "first-plain", "again-gzip", "again-plain")}
    seen = last_collects()
    for i in range(rounds):
        gzip = i % 2 == 0
        deadline = time.monotonic() + 30
        while True:
            now = last_collects()
            if any(now.get(name) != seen.get(name) for name in now):
                break
            if time.monotonic() > deadline:
                sys.exit("no target published within 30 s")
            time.sleep(0.001)
        seen = now
        kind = "gzip" if gzip else "plain"
        results["first-" + kind].append(timed(gzip))
        for _ in range(3):
            results["again-" + kind].append(timed(gzip))
        # the next publish counts only once this round's scrapes are done
        seen = last_collects()
    for k, v in results.items():
        print("%s %.3f %.3f %d" % (k, percentile(v, 50), percentile(v, 99), len(v)))


if __name__ == "__main__":
    main()
