"""Sync vs async: the cost of the sync facade on many small sequential calls.

The fake backend (``python -m codex_open_client.testing``) runs in its own process, so its
CPU does not count against the clients. Each client makes ``--calls`` small sequential calls
(a short greeting of a few events), in two shapes:

- ``create``: a non-streamed ``client.responses.create(...)`` returning the final
  ``Response``. openai-python cannot send a non-streamed request to this backend (it requires
  ``stream: true``, and its ``responses.stream()`` helper refuses a stream whose first event
  is ``codex.rate_limits``), so its row iterates ``responses.create(stream=True)`` and keeps
  the ``response.completed`` event's response;
- ``stream``: ``with client.responses.stream(...) as s: for event in s: ...`` (openai:
  ``responses.create(stream=True)``, iterated to the end).

Contenders: ``Client``, ``AsyncClient`` (awaited on a loop in this thread), ``OpenAI`` and
``AsyncOpenAI``, timed over ``--repeat`` rounds after a warm-up, the median round kept. A round
runs in blocks of ``--block`` calls, the contenders taking turns block by block, so that a
change in the machine's load hits them alike. Wall and CPU time (this process, every thread)
per call are shown, with the sync/async ratios.

Target: ``Client``/``AsyncClient`` <= 1.3 in wall time for both shapes. ``--check`` exits 1
on a miss.

Usage: ``python tests/benchmarks/bench_sync.py [--calls 500] [--repeat 5] [--block 50]
[--warmup 50] [--json out.json] [--check] [--only NAME ...]``
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from _common import MODEL, print_table, report_checks

import codex_open_client as codex

TARGET = 1.3
INSTRUCTIONS = "You are a helpful assistant."
PROMPT = "Say hi."
SHAPES = ("create", "stream")

# One round: make `calls` calls; returns the number of events (or responses) seen.
Round = Callable[[int], int]


@dataclass
class Contender:
    """One client making calls of one shape."""

    client: str
    shape: str
    run: Round
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    seen: int = 0

    @property
    def name(self) -> str:
        return f"{self.client} {self.shape}"


class FakeBackend:
    """``python -m codex_open_client.testing --port 0`` in a child process."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[str] | None = None
        self.settings: dict[str, str] = {}

    def __enter__(self) -> FakeBackend:
        self._process = process = subprocess.Popen(
            [sys.executable, "-m", "codex_open_client.testing", "--port", "0"],
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONWARNINGS": ""},
        )
        assert process.stdout is not None
        for line in process.stdout:
            key, _, value = line.strip().partition(":")
            if key in ("base_url", "access_token", "account_id"):
                self.settings[key] = value.strip()
            if line.startswith("Press Ctrl-C"):
                break
        if len(self.settings) != 3:
            process.kill()
            process.wait()
            raise RuntimeError("the fake backend did not start")
        return self

    def __exit__(self, *exc_info: object) -> None:
        process, self._process = self._process, None
        if process is not None:
            process.send_signal(signal.SIGTERM)
            try:
                process.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate()


def ours(loop: asyncio.AbstractEventLoop, settings: dict[str, str]) -> tuple[list[Contender], Any]:
    """``Client`` and ``AsyncClient``, each making both shapes of call."""
    kwargs: dict[str, Any] = {
        "access_token": settings["access_token"],
        "account_id": settings["account_id"],
        "base_url": settings["base_url"],
        "max_retries": 0,
    }
    params: dict[str, Any] = {"model": MODEL, "instructions": INSTRUCTIONS, "input": PROMPT}
    sync = codex.Client(**kwargs)
    aclient = codex.AsyncClient(**kwargs)

    def sync_create(calls: int) -> int:
        create = sync.responses.create
        for _ in range(calls):
            if not create(**params).output_text:
                raise RuntimeError("no output text")
        return calls

    def sync_stream(calls: int) -> int:
        seen = 0
        for _ in range(calls):
            with sync.responses.stream(**params) as stream:
                for _event in stream:
                    seen += 1
        return seen

    async def async_create(calls: int) -> int:
        create = aclient.responses.create
        for _ in range(calls):
            if not (await create(**params)).output_text:
                raise RuntimeError("no output text")
        return calls

    async def async_stream(calls: int) -> int:
        seen = 0
        for _ in range(calls):
            async with aclient.responses.stream(**params) as stream:
                async for _event in stream:
                    seen += 1
        return seen

    def close() -> None:
        sync.close()
        loop.run_until_complete(aclient.aclose())

    return [
        Contender("Client", "create", sync_create),
        Contender("AsyncClient", "create", lambda n: loop.run_until_complete(async_create(n))),
        Contender("Client", "stream", sync_stream),
        Contender("AsyncClient", "stream", lambda n: loop.run_until_complete(async_stream(n))),
    ], close


def theirs(
    loop: asyncio.AbstractEventLoop, settings: dict[str, str]
) -> tuple[list[Contender], Any]:
    """openai-python's ``OpenAI`` and ``AsyncOpenAI`` pointed at the same fake."""
    import openai

    kwargs: dict[str, Any] = {
        "api_key": settings["access_token"],
        "base_url": settings["base_url"],
        "max_retries": 0,
    }
    params: dict[str, Any] = {
        "model": MODEL,
        "instructions": INSTRUCTIONS,
        "input": PROMPT,
        "store": False,
    }
    sync = openai.OpenAI(**kwargs)
    aclient = openai.AsyncOpenAI(**kwargs)

    def sync_create(calls: int) -> int:
        for _ in range(calls):
            final = None
            with sync.responses.create(**params, stream=True) as stream:
                for event in stream:
                    if event.type == "response.completed":
                        final = event.response
            if final is None:
                raise RuntimeError("no response.completed")
        return calls

    def sync_stream(calls: int) -> int:
        seen = 0
        for _ in range(calls):
            with sync.responses.create(**params, stream=True) as stream:
                for _event in stream:
                    seen += 1
        return seen

    async def async_create(calls: int) -> int:
        for _ in range(calls):
            final = None
            stream = await aclient.responses.create(**params, stream=True)
            async with stream:
                async for event in stream:
                    if event.type == "response.completed":
                        final = event.response
            if final is None:
                raise RuntimeError("no response.completed")
        return calls

    async def async_stream(calls: int) -> int:
        seen = 0
        for _ in range(calls):
            stream = await aclient.responses.create(**params, stream=True)
            async with stream:
                async for _event in stream:
                    seen += 1
        return seen

    def close() -> None:
        sync.close()
        loop.run_until_complete(aclient.close())

    return [
        Contender("OpenAI", "create", sync_create),
        Contender("AsyncOpenAI", "create", lambda n: loop.run_until_complete(async_create(n))),
        Contender("OpenAI", "stream", sync_stream),
        Contender("AsyncOpenAI", "stream", lambda n: loop.run_until_complete(async_stream(n))),
    ], close


def measure(contenders: list[Contender], calls: int, warmup: int, repeat: int, block: int) -> None:
    """A warm-up each, then ``repeat`` rounds of ``calls`` calls per contender.

    A round runs in blocks of ``block`` calls, the contenders taking turns block by block, so
    that a change in the machine's load (other processes) hits them all alike.
    """
    for contender in contenders:
        contender.run(warmup)
    sizes = [block] * (calls // block) + ([calls % block] if calls % block else [])
    for _ in range(repeat):
        gc.collect()
        wall = dict.fromkeys(range(len(contenders)), 0.0)
        cpu = dict.fromkeys(range(len(contenders)), 0.0)
        seen = dict.fromkeys(range(len(contenders)), 0)
        for size in sizes:
            for index, contender in enumerate(contenders):
                started, cpu_started = time.perf_counter(), time.process_time()
                seen[index] += contender.run(size)
                wall[index] += time.perf_counter() - started
                cpu[index] += time.process_time() - cpu_started
        for index, contender in enumerate(contenders):
            contender.wall.append(wall[index])
            contender.cpu.append(cpu[index])
            contender.seen = seen[index]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=500, help="sequential calls per round")
    parser.add_argument("--warmup", type=int, default=50, help="untimed calls first")
    parser.add_argument("--repeat", type=int, default=5, help="timed rounds (median kept)")
    parser.add_argument(
        "--block", type=int, default=50, help="calls in a row before the next contender's turn"
    )
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    parser.add_argument(
        "--only",
        nargs="+",
        metavar="NAME",
        help="run only contenders whose name contains one of these (case-insensitive)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    print(
        f"Python {platform.python_version()} on {platform.platform()}, "
        f"aiohttp {aiohttp.__version__}, codex-open-client {codex.__version__}, "
        f"{os.cpu_count()} CPUs"
    )
    print(
        f"{args.calls} sequential small calls per round, median of {args.repeat} rounds after "
        f"{args.warmup} warm-up calls; the fake backend in its own process"
    )
    loop = asyncio.new_event_loop()
    contenders: list[Contender] = []
    closers: list[Any] = []
    try:
        with FakeBackend() as backend:
            made, close = ours(loop, backend.settings)
            contenders += made
            closers.append(close)
            try:
                made, close = theirs(loop, backend.settings)
                contenders += made
                closers.append(close)
            except ImportError:
                print("openai is not installed: skipping it (pip install openai)", file=sys.stderr)
            if args.only:
                wanted = [w.lower() for w in args.only]
                contenders = [c for c in contenders if any(w in c.name.lower() for w in wanted)]
            try:
                measure(contenders, args.calls, args.warmup, args.repeat, args.block)
            finally:
                for close in closers:
                    close()
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
    return report(contenders, args)


def report(contenders: list[Contender], args: argparse.Namespace) -> int:
    per_call: dict[str, tuple[float, float]] = {}
    rows = []
    for contender in contenders:
        wall = statistics.median(contender.wall) / args.calls * 1000
        cpu = statistics.median(contender.cpu) / args.calls * 1000
        per_call[contender.name] = (wall, cpu)
        rows.append(
            [
                contender.name,
                f"{wall:.3f}",
                f"{cpu:.3f}",
                f"{min(contender.wall) / args.calls * 1000:.3f}",
                f"{contender.seen / args.calls:g}",
            ]
        )
    print()
    print_table(["client", "ms/call", "CPU ms/call", "best ms/call", "events/call"], rows)

    checks: list[tuple[str, bool]] = []
    ratios: dict[str, float] = {}
    ratio_rows = []
    for shape in SHAPES:
        for sync_name, async_name in (("Client", "AsyncClient"), ("OpenAI", "AsyncOpenAI")):
            sync_key, async_key = f"{sync_name} {shape}", f"{async_name} {shape}"
            if sync_key not in per_call or async_key not in per_call:
                continue
            ratio = per_call[sync_key][0] / per_call[async_key][0]
            cpu_ratio = per_call[sync_key][1] / per_call[async_key][1]
            ratios[f"{sync_key} / {async_key}"] = ratio
            targeted = sync_name == "Client"
            ok = ratio <= TARGET
            if targeted:
                checks.append((f"{sync_key}/{async_key} {ratio:.2f} > {TARGET:g}", ok))
            verdict = ("ok" if ok else "MISSED") if targeted else "(reference)"
            ratio_rows.append(
                [
                    f"{sync_key} / {async_key}",
                    f"{ratio:.2f}",
                    f"{cpu_ratio:.2f}",
                    f"<= {TARGET:g}" if targeted else "-",
                    verdict,
                ]
            )
    if ratio_rows:
        print()
        print_table(["sync / async", "wall", "CPU", "target", "verdict"], ratio_rows, "lrrrl")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as file:
            json.dump(
                {
                    "benchmark": "sync",
                    "python": platform.python_version(),
                    "calls": args.calls,
                    "repeat": args.repeat,
                    "ms_per_call": {name: wall for name, (wall, _) in per_call.items()},
                    "cpu_ms_per_call": {name: cpu for name, (_, cpu) in per_call.items()},
                    "ratios": ratios,
                    "target": TARGET,
                    "targets_met": all(ok for _, ok in checks),
                },
                file,
                indent=2,
            )
        print(f"\nWrote {args.json}")
    return report_checks(checks, args.check)


if __name__ == "__main__":
    sys.exit(main())
