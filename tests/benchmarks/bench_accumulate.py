"""Accumulation: the cost of ``Accumulator.response()`` as the number of output items grows.

Sans-IO, no server: each size N is a stream of N text deltas, one at each of N distinct
``output_index`` values and none with its ``response.output_item.done``, so ``response()`` has
to rebuild all N messages from their deltas (the partial response of a stream cut short, or a
hostile stream). The events are built once; each round feeds them to a fresh ``Accumulator``
and then calls ``response()``, best of ``--repeat`` rounds after one warm-up. A last row feeds
the largest N deltas at one index, the shape of a real stream, for the per-delta cost of
``feed()``.

Target: linear. ``response()`` per item at the largest N is at most 10x its cost at the
smallest: linear is about 1x to 3x (allocation and cache effects, and noise), the quadratic
accumulator this replaced was about 37x at 50,000 versus 1,000. ``--check`` exits 1 on a miss.

Usage: ``python tests/benchmarks/bench_accumulate.py [--sizes 1000 8000 50000] [--repeat 5]
[--json out.json] [--check]``
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import sys
import time
from collections.abc import Sequence

from _common import print_table, report_checks

import codex_open_client as codex
from codex_open_client._accumulate import Accumulator
from codex_open_client._events import ResponseOutputTextDeltaEvent

#: Per-item cost of response() at the largest size over the smallest, at most.
MAX_GROWTH = 10.0


def measure(events: list[ResponseOutputTextDeltaEvent], repeat: int) -> tuple[float, float, int]:
    """Best seconds of ``feed()`` for all events and of ``response()``; the items it gave."""
    feeds: list[float] = []
    responses: list[float] = []
    items = 0
    for round_ in range(repeat + 1):
        gc.collect()
        accumulator = Accumulator()
        feed = accumulator.feed
        start = time.perf_counter()
        for event in events:
            feed(event)
        fed = time.perf_counter()
        items = len(accumulator.response().output)
        done = time.perf_counter()
        if round_:  # the first round is the warm-up
            feeds.append(fed - start)
            responses.append(done - fed)
    return min(feeds), min(responses), items


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[1_000, 8_000, 50_000], help="distinct indexes"
    )
    parser.add_argument("--repeat", type=int, default=5, help="timed rounds after one warm-up")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    args = parser.parse_args(argv)
    sizes = sorted(args.sizes)

    print(f"Python {platform.python_version()}, codex-open-client {codex.__version__}")
    print(f"Best of {args.repeat} rounds after 1 warm-up")
    rows = []
    results = []
    for size in sizes:
        events = [ResponseOutputTextDeltaEvent(output_index=i, delta="x") for i in range(size)]
        feed_s, response_s, items = measure(events, args.repeat)
        results.append(
            {
                "indexes": size,
                "feed_seconds": feed_s,
                "response_seconds": response_s,
                "items": items,
            }
        )
        rows.append(
            [
                f"{size:,} indexes x 1 delta",
                f"{feed_s:.4f}",
                f"{response_s:.4f}",
                f"{response_s / size * 1e6:.2f}",
                f"{items:,}",
            ]
        )
    deltas = sizes[-1]
    one_index = [ResponseOutputTextDeltaEvent(delta="x")] * deltas
    feed_s, response_s, items = measure(one_index, args.repeat)
    rows.append(
        [f"1 index x {deltas:,} deltas", f"{feed_s:.4f}", f"{response_s:.4f}", "-", f"{items:,}"]
    )
    print()
    headers = ["stream", "feed() s", "response() s", "us/item", "items"]
    print_table(headers, rows)
    print(
        f"(feed() s = all events fed; us/item = response() s per item; one index: "
        f"{feed_s / deltas * 1e9:.0f} ns per delta in feed())"
    )

    checks = [
        (f"response() gave {r['items']:,} items for {r['indexes']:,} indexes", False)
        for r in results
        if r["items"] != r["indexes"]
    ]
    growth = None
    if len(results) > 1:
        first, last = results[0], results[-1]
        per_first = first["response_seconds"] / first["indexes"]
        per_last = last["response_seconds"] / last["indexes"]
        growth = per_last / per_first
        print(
            f"\nresponse() per item, {last['indexes']:,} vs {first['indexes']:,} indexes: "
            f"{growth:.2f}x (target <= {MAX_GROWTH:g}x; linear is ~1x to 3x)"
        )
        checks.append(
            (f"response() grows {growth:.2f}x per item > {MAX_GROWTH:g}x", growth <= MAX_GROWTH)
        )

    if args.json:
        out = {
            "benchmark": "accumulate",
            "python": platform.python_version(),
            "repeat": args.repeat,
            "sizes": results,
            "one_index": {"deltas": deltas, "feed_seconds": feed_s},
            "growth": growth,
            "targets_met": all(ok for _, ok in checks),
        }
        with open(args.json, "w", encoding="utf-8") as file:
            json.dump(out, file, indent=2)
        print(f"\nWrote {args.json}")
    return report_checks(checks, args.check)


if __name__ == "__main__":
    sys.exit(main())
