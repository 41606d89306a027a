#!/usr/bin/env python3
"""bench/cycle_cpu.py -- the agent's CPU per collection cycle of one
target, cycle by cycle.

Usage: cycle_cpu.py BASE_URL TARGET SECONDS

Polls BASE_URL/metrics every 50 ms for SECONDS and, each time
dbpulse_collections_total{target=TARGET} went up by one, takes the rise
of dbpulse_collect_cpu_seconds_total{target=TARGET} as that cycle's CPU
(a poll that saw more than one new cycle is left out).  Prints one line:
the median, the mean and the 90th percentile in milliseconds and the
number of cycles.  The median is the figure to compare: the mean also
carries the rare cycles that do more (the slow queries every
slow_interval, statement texts, a reconnection), and whether a window of
a few dozen cycles holds one of them or not moves it by a few tenths of a
millisecond.
"""
import sys
import time
import urllib.request


def sample(url, target):
    want = {
        'dbpulse_collections_total{target="%s"}' % target: "n",
        'dbpulse_collect_cpu_seconds_total{target="%s"}' % target: "cpu",
    }
    got = {}
    with urllib.request.urlopen(url + "/metrics", timeout=5) as r:
        for line in r.read().decode().splitlines():
            name, _, value = line.rpartition(" ")
            if name in want:
                got[want[name]] = float(value)
    return got.get("n"), got.get("cpu")


def percentile(values, p):
    v = sorted(values)
    k = min(len(v) - 1, max(0, int(round(p / 100.0 * (len(v) - 1)))))
    return v[k]


def main():
    url, target, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
    cycles = []
    n0, cpu0 = sample(url, target)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        time.sleep(0.05)
        n, cpu = sample(url, target)
        if n is None or n0 is None:
            n0, cpu0 = n, cpu
            continue
        if n == n0 + 1:
            cycles.append((cpu - cpu0) * 1000.0)
        n0, cpu0 = n, cpu
    if not cycles:
        sys.exit("no cycle of target %s seen" % target)
    print("%.3f %.3f %.3f %d" % (percentile(cycles, 50), sum(cycles) / len(cycles),
                                 percentile(cycles, 90), len(cycles)))


if __name__ == "__main__":
    main()
