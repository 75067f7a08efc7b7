"""Latency: how long an event takes from the server's write to the caller's loop body.

A local aiohttp server (own thread, own loop, 127.0.0.1, random port) paces a short response
``--interval`` seconds apart: ``response.created``, a text delta, more deltas, then
``response.completed``. Right before writing each event it records ``time.perf_counter()``
under the event's ``sequence_number``; the caller records the same clock when the event comes
out of its ``async for`` / ``for`` loop (server and client share the process, so the clocks
agree). A client that buffered the whole body would deliver the first event only after the
whole stream, i.e. about ``(events - 1) * interval`` late.

Measured: ``AsyncClient`` and the sync ``Client`` (plus raw aiohttp as a reference), the
median over ``--runs`` streams after one warm-up. Target: first-event latency < 50 ms.
``--check`` exits 1 on a miss.

Usage: ``python tests/benchmarks/bench_latency.py [--runs 5] [--interval 0.5] [--deltas 3]
[--json out.json] [--check]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

import aiohttp
from _common import (
    MODEL,
    ServerThread,
    delta_texts,
    print_table,
    render_frames,
    report_checks,
    split_data,
    start_sse,
)
from aiohttp import web

import codex_open_client as codex

TARGET_MS = 50.0
INSTRUCTIONS = "You are a helpful assistant."
PROMPT = "Say hi."


def paced_frames(deltas: int) -> list[tuple[int, bytes]]:
    """(sequence number, frame) of: created, the deltas, completed."""
    frames = render_frames(delta_texts(deltas))
    wanted = [frames[0], *frames[4 : 4 + deltas], frames[-1]]
    out = []
    for data in wanted:
        line = next(line for line in data.split(b"\n") if line.startswith(b"data: "))
        out.append((int(json.loads(line[6:])["sequence_number"]), data))
    return out


class Probe:
    """Collects, per stream, the latency of each event (by sequence number)."""

    def __init__(self) -> None:
        self.sent: dict[int, float] = {}

    def latencies(self, arrived: list[tuple[int, float]]) -> list[float]:
        return [when - self.sent[seq] for seq, when in arrived]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed streams per client")
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between events")
    parser.add_argument("--deltas", type=int, default=3, help="text deltas per stream")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    args = parser.parse_args(argv)

    frames = paced_frames(args.deltas)
    probe = Probe()

    async def handler(request: web.Request) -> web.StreamResponse:
        response = await start_sse(request)
        probe.sent = sent = {}
        for index, (seq, data) in enumerate(frames):
            if index:
                await asyncio.sleep(args.interval)
            sent[seq] = time.perf_counter()
            await response.write(data)
        await response.write_eof()
        return response

    stream_seconds = (len(frames) - 1) * args.interval
    print(
        f"Python {platform.python_version()} on {platform.platform()}, "
        f"aiohttp {aiohttp.__version__}, codex-open-client {codex.__version__}"
    )
    print(
        f"Stream: {len(frames)} events {args.interval:g} s apart ({stream_seconds:g} s); "
        f"median of {args.runs} streams after 1 warm-up"
    )

    results: dict[str, list[list[float]]] = {}
    loop = asyncio.new_event_loop()
    try:
        with ServerThread(handler) as server:
            base_url = server.base_url
            async_client = codex.AsyncClient(access_token="t", base_url=base_url, max_retries=0)
            sync_client = codex.Client(access_token="t", base_url=base_url, max_retries=0)
            session_holder: list[aiohttp.ClientSession] = []

            async def run_async() -> list[tuple[int, float]]:
                arrived = []
                stream = await async_client.responses.create(
                    model=MODEL, instructions=INSTRUCTIONS, input=PROMPT, stream=True
                )
                async with stream:
                    async for event in stream:
                        arrived.append((_seq(event), time.perf_counter()))
                return arrived

            def run_sync() -> list[tuple[int, float]]:
                arrived = []
                with sync_client.responses.stream(
                    model=MODEL, instructions=INSTRUCTIONS, input=PROMPT
                ) as stream:
                    for event in stream:
                        arrived.append((_seq(event), time.perf_counter()))
                return arrived

            async def run_floor() -> list[tuple[int, float]]:
                if not session_holder:
                    session_holder.append(aiohttp.ClientSession())
                arrived = []
                body = json.dumps({"model": MODEL, "input": PROMPT}).encode()
                async with session_holder[0].post(f"{base_url}/responses", data=body) as resp:
                    buffer = b""
                    async for chunk in resp.content.iter_any():
                        datas, buffer = split_data(buffer + chunk)
                        for data in datas:
                            payload = json.loads(data)
                            arrived.append((payload["sequence_number"], time.perf_counter()))
                return arrived

            runners: dict[str, Callable[[], list[tuple[int, float]]]] = {
                "AsyncClient": lambda: loop.run_until_complete(run_async()),
                "Client": run_sync,
                "aiohttp floor (reference)": lambda: loop.run_until_complete(run_floor()),
            }
            try:
                for name, run in runners.items():
                    run()  # warm-up: connection, lazy imports
                    results[name] = [probe.latencies(run()) for _ in range(args.runs)]
            finally:
                loop.run_until_complete(async_client.aclose())
                sync_client.close()
                if session_holder:
                    loop.run_until_complete(session_holder.pop().close())
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()

    rows = []
    checks: list[tuple[str, bool]] = []
    summary: dict[str, Any] = {}
    for name, runs in results.items():
        first = [run[0] * 1000 for run in runs]
        every = [value * 1000 for run in runs for value in run]
        median_first = statistics.median(first)
        targeted = "floor" not in name
        ok = median_first < TARGET_MS
        if targeted:
            checks.append((f"{name} first event {median_first:.1f} ms >= {TARGET_MS:g} ms", ok))
        verdict = ("ok" if ok else "MISSED") if targeted else "(reference)"
        rows.append(
            [
                name,
                f"{median_first:.2f}",
                f"{max(first):.2f}",
                f"{statistics.median(every):.2f}",
                f"{max(every):.2f}",
                f"< {TARGET_MS:g}" if targeted else "-",
                verdict,
            ]
        )
        summary[name] = {
            "first_event_ms": first,
            "median_first_event_ms": median_first,
            "median_any_event_ms": statistics.median(every),
            "max_any_event_ms": max(every),
        }
    print()
    headers = [
        "client",
        "first ms (median)",
        "first ms (max)",
        "any event ms (median)",
        "any event ms (max)",
        "target",
        "verdict",
    ]
    print_table(headers, rows, "lrrrrrl")
    print(
        f"(a client that buffers the body would see the first event ~{stream_seconds * 1000:,.0f}"
        " ms late: the whole stream)"
    )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as file:
            json.dump(
                {
                    "benchmark": "latency",
                    "python": platform.python_version(),
                    "interval_seconds": args.interval,
                    "events_per_stream": len(frames),
                    "runs": args.runs,
                    "target_ms": TARGET_MS,
                    "clients": summary,
                    "targets_met": all(ok for _, ok in checks),
                },
                file,
                indent=2,
            )
        print(f"\nWrote {args.json}")
    return report_checks(checks, args.check)


def _seq(event: object) -> int:
    seq = getattr(event, "sequence_number", None)
    if not isinstance(seq, int):
        raise RuntimeError(f"event without a sequence_number: {event!r}")
    return seq


if __name__ == "__main__":
    sys.exit(main())
