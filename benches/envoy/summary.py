#!/usr/bin/env python3
"""Summarises benches/envoy/run.sh rounds: per connection count, the medians with and without
the filter and the ratios of each round (with / without, measured back to back), so the spread
of the ratio shows the noise of a shared machine.

    summary.py RESULTS   (lines: NAME CONNECTIONS JSON)
"""
import json
import statistics
import sys

rows = {}
for line in open(sys.argv[1], encoding="utf-8"):
    name, c, js = line.split(" ", 2)
    try:
        rows.setdefault((int(c), name), []).append(json.loads(js))
    except ValueError:
        pass


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def spread(xs, digits=2):
    xs = [x for x in xs if x is not None]
    return f"{min(xs):.{digits}f}-{max(xs):.{digits}f}" if xs else "-"


print("summary (medians over rounds; ratio = with / without, per round, then its median and range)")
print(f"{'conns':>5} {'listener':<15} {'rps':>7} {'p50 us':>7} {'p99 us':>7} {'cpu us/req':>10}")
# The mock's streamed answer (tests/devhost/src/mock/providers.rs, Anthropic text stream).
STREAM_EVENTS = 15
added = {}
# Buffered first: the stream lines subtract its figure. The floor (examples/host_floor.rs, when
# the bench ran it) reads and writes back both bodies and translates nothing: the host's charge.
PAIRS = (
    ("without_filter", "floor"),
    ("without_filter", "with_filter"),
    ("stream_without", "stream_floor"),
    ("stream_without", "stream_with"),
)
BUFFERED = {"stream_floor": "floor", "stream_with": "with_filter"}
for c in sorted({k[0] for k in rows}):
    printed = set()
    for without, with_ in PAIRS:
        w, wo = rows.get((c, with_), []), rows.get((c, without), [])
        if not w:
            continue
        for name, rs in ((without, wo), (with_, w)):
            if not rs or name in printed:
                continue
            printed.add(name)
            cpu = med([r["cpu_us_per_request"] for r in rs])
            print(
                f"{c:>5} {name:<15} {med([r['rps'] for r in rs]):>7.0f} {med([r['p50_us'] for r in rs]):>7.0f}"
                f" {med([r['p99_us'] for r in rs]):>7.0f} {cpu if cpu is not None else '-':>10}"
            )
        pairs = list(zip(w, wo))
        if not pairs:
            continue
        rps = [a["rps"] / b["rps"] for a, b in pairs if b["rps"]]
        cpu = [
            a["cpu_us_per_request"] - b["cpu_us_per_request"]
            for a, b in pairs
            if a["cpu_us_per_request"] is not None and b["cpu_us_per_request"] is not None
        ]
        p99 = [a["p99_us"] - b["p99_us"] for a, b in pairs]
        p50 = [a["p50_us"] - b["p50_us"] for a, b in pairs]
        who = "the host's floor" if "floor" in with_ else "filter"
        print(
            f"{c:>5} {with_}: throughput ratio {med(rps):.2f} (rounds {spread(rps)}); {who} adds"
            f" p50 {med(p50):.0f} us, p99 {med(p99):.0f} us"
            + (f", proxy CPU {med(cpu):.0f} us/request (rounds {spread(cpu, 0)})" if cpu else "")
        )
        if cpu:
            added[(c, with_)] = med(cpu)
        buffered = added.get((c, BUFFERED.get(with_, "")))
        if with_ in BUFFERED and cpu and buffered is not None:
            print(
                f"{c:>5} {with_}: ~{(med(cpu) - buffered) / STREAM_EVENTS:.1f} us of proxy CPU per event"
                f" (added cost of the streamed request minus the buffered one, over {STREAM_EVENTS} events)"
            )
    floor, full = added.get((c, "floor")), added.get((c, "with_filter"))
    if floor is not None and full is not None:
        print(
            f"{c:>5} of the filter's {full:.0f} us/request, the host's floor is {floor:.0f} us"
            f" ({100 * floor / full:.0f} %); translation, routing and analytics {full - floor:.0f} us"
        )
