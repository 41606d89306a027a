#!/usr/bin/env python3
"""bench/compare_scrape.py -- scrapes one /metrics endpoint once a second,
the way Prometheus does, and records how long each full scrape took.

Usage: compare_scrape.py URL START_FILE SECONDS OFFSET OUT
  URL      the endpoint (http://127.0.0.1:PORT/metrics)
  START_FILE
           once started, it creates OUT.ready and waits (up to 5 min) for
           START_FILE to hold the measurement's start, in seconds since the
           epoch; until then the endpoint is scraped once a second as a
           warm-up (not recorded).  (A loaded machine may take seconds to
           start a Python, so the start is set once every scraper runs.)
  SECONDS  how long to measure: scrapes at START + OFFSET + i, i = 0 ..
           SECONDS - 1; when the previous scrape took so long that the
           next one is a whole second late, that one is skipped (as
           Prometheus' ticker drops the intervals it missed)
  OFFSET   where in each second this target is scraped (0 <= OFFSET < 1),
           so that the targets' scrapes are spread over the second
  OUT      file for the results: one line per recorded scrape,
           "milliseconds bytes late_ms" (late_ms: how late it started),
           then "# skipped N failed M"

One keep-alive HTTP/1.1 connection (re-opened after an error), Prometheus'
request headers (text format, Accept-Encoding: gzip); a scrape's time runs
from sending the request to having read the whole body (not decompressed).
Each scrape has a 10 s timeout (Prometheus' default scrape_timeout).
"""
import http.client
import sys
import time
import urllib.parse

HEADERS = {
    "Accept": "text/plain;version=0.0.4;q=1,*/*;q=0.1",
    "Accept-Encoding": "gzip",
    "User-Agent": "dbpulse-bench-compare",
    "X-Prometheus-Scrape-Timeout-Seconds": "10",
}


class Scraper:
    def __init__(self, url):
        u = urllib.parse.urlsplit(url)
        self.host, self.port = u.hostname, u.port or 80
        self.path = u.path or "/"
        self.conn = None

    def scrape(self):
        """One full scrape: (milliseconds, bytes), or None on an error."""
        t0 = time.perf_counter()
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=10)
            self.conn.request("GET", self.path, headers=HEADERS)
            resp = self.conn.getresponse()
            body = resp.read()
            if resp.status != 200:
                raise OSError("HTTP %d" % resp.status)
        except (OSError, http.client.HTTPException):
            if self.conn is not None:
                self.conn.close()
            self.conn = None
            return None
        return (time.perf_counter() - t0) * 1000.0, len(body)


def sleep_until(t):
    d = t - time.time()
    if d > 0:
        time.sleep(d)


def read_start(path):
    """The start time from path, written by the caller; waits for it."""
    limit = time.time() + 300
    while time.time() < limit:
        try:
            with open(path) as f:
                text = f.read().strip()
            if text:
                return float(text)
        except (OSError, ValueError):
            pass
        time.sleep(0.05)
    sys.exit("compare_scrape.py: no start time in %s" % path)


def main():
    if len(sys.argv) != 6:
        sys.exit(__doc__.split("\n\n")[1])
    url, start_file, secs, offset, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), \
        float(sys.argv[4]), sys.argv[5]
    s = Scraper(url)
    open(out + ".ready", "w").close()
    start = read_start(start_file)
    # warm-up: once a second until the measurement starts
    t = start + offset - 1
    while t - 1 >= time.time():
        t -= 1
    while t < start:  # the ticks start + offset - k, k >= 1, still ahead
        sleep_until(t)
        s.scrape()
        t += 1
    rows, skipped, failed = [], 0, 0
    for i in range(secs):
        due = start + offset + i
        if time.time() >= due + 1:
            skipped += 1
            continue
        sleep_until(due)
        late = (time.time() - due) * 1000.0
        r = s.scrape()
        if r is None:
            failed += 1
        else:
            rows.append(r + (late,))
    with open(out, "w") as f:
        for ms, n, late in rows:
            f.write("%.3f %d %.1f\n" % (ms, n, late))
        f.write("# skipped %d failed %d\n" % (skipped, failed))


if __name__ == "__main__":
    main()
