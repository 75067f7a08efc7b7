"""Throughput: how fast each client consumes one long response stream to its final response.

A local aiohttp server (own thread, own loop, 127.0.0.1, random port) answers every POST to
``/backend-api/codex/responses`` with one pre-rendered SSE body: a realistic one-message text
response of ``--deltas`` text deltas (``response.output_item.done`` carries the full message and
``response.completed`` carries ``output: []``, like the real backend), written in 64 KiB writes.

Contenders, all in this one process, each timed over ``--repeat`` rounds after one warm-up,
best round kept (rounds interleave the contenders so drift hits them alike):

- ``AsyncClient`` streamed (``async for event in stream`` then ``get_final_response()``) and
  non-streamed (``create()``),
- ``Client`` streamed (``for event in stream`` then ``get_final_response()``),
- openai-python ``AsyncOpenAI`` and ``OpenAI`` with ``responses.stream(...)`` (falling back to
  ``responses.create(stream=True)`` iteration if the helper raises on this stream),
- the floor: raw aiohttp ``iter_any()`` chunks, split on ``b"\\n\\n"``, ``json.loads`` of each
  data line, no models.

Targets: AsyncClient/AsyncOpenAI >= 10x events/s; AsyncClient/floor >= 0.5 (the SDK takes at
most twice the floor's time); Client/AsyncClient >= 0.7. ``--check`` exits 1 on a miss.

``--server-process`` runs the server in a child process instead of a thread (the clients then
have the interpreter to themselves). The header names the package's JSON path
(``codex_open_client._json``: orjson when installed, the stdlib with
``CODEX_OPEN_CLIENT_JSON=stdlib``); ``bench_json_paths.py`` runs this script once per path.

Usage: ``python tests/benchmarks/bench_throughput.py [--deltas 20000] [--repeat 5]
[--json out.json] [--check] [--only NAME ...] [--server-process]``
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import platform
import statistics
import sys
import time
import traceback
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from _common import (
    MODEL,
    ServerProcess,
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

WRITE_SIZE = 64 * 1024
INSTRUCTIONS = "You are a helpful assistant."
PROMPT = "Write a long story."

#: (numerator, denominator, minimum ratio of events/s).
TARGETS = (
    ("AsyncClient stream", "AsyncOpenAI", 10.0),
    ("AsyncClient stream", "aiohttp floor", 0.5),
    ("Client stream", "AsyncClient stream", 0.7),
)

# One run: returns (events seen by the caller, characters of final output text).
Run = Callable[[], tuple[int, int]]


@dataclass
class Contender:
    """One way of consuming the stream."""

    name: str
    run: Run
    close: Callable[[], None]
    fallback: Run | None = None
    note: str = ""
    #: Whether every event and the full final text must come through (a --check target).
    verify: bool = True
    times: list[float] = field(default_factory=list)
    events: int = 0
    text_chars: int = 0
    error: str | None = None

    def attempt(self) -> float | None:
        """Run once; the seconds taken, or None after recording an error."""
        start = time.perf_counter()
        try:
            self.events, self.text_chars = self.run()
        except Exception as exc:
            detail = f"{type(exc).__name__}: {exc}".splitlines()[0][:160]
            if self.fallback is None:
                self.error = detail
                traceback.print_exc(file=sys.stderr)
                return None
            print(f"{self.name}: {detail}; falling back", file=sys.stderr)
            self.note = f"stream() raised {detail}; used create(stream=True)"
            self.run, self.fallback = self.fallback, None
            return self.attempt()
        return time.perf_counter() - start


# ----------------------------------------------------------------------------- contenders


def codex_async(loop: asyncio.AbstractEventLoop, base_url: str) -> list[Contender]:
    """``AsyncClient``, streamed and not, sharing one client (and its connection pool)."""
    client = codex.AsyncClient(access_token="t", base_url=base_url, max_retries=0)

    async def streamed() -> tuple[int, int]:
        count = 0
        stream = await client.responses.create(
            model=MODEL, instructions=INSTRUCTIONS, input=PROMPT, stream=True
        )
        async with stream:
            async for _event in stream:
                count += 1
            final = await stream.get_final_response()
        return count, len(final.output_text)

    async def created() -> tuple[int, int]:
        final = await client.responses.create(model=MODEL, instructions=INSTRUCTIONS, input=PROMPT)
        return 0, len(final.output_text)

    closed = False

    def close() -> None:
        nonlocal closed
        if not closed:
            closed = True
            loop.run_until_complete(client.aclose())

    return [
        Contender("AsyncClient stream", on_loop(loop, streamed), close),
        Contender(
            "AsyncClient create()",
            on_loop(loop, created),
            close,
            note="not streamed: create() returns the final Response",
        ),
    ]


def codex_sync(base_url: str) -> Contender:
    """The sync ``Client`` (its own event loop thread), iterating with ``for``."""
    client = codex.Client(access_token="t", base_url=base_url, max_retries=0)

    def run() -> tuple[int, int]:
        count = 0
        with client.responses.stream(model=MODEL, instructions=INSTRUCTIONS, input=PROMPT) as s:
            for _event in s:
                count += 1
            final = s.get_final_response()
        return count, len(final.output_text)

    return Contender("Client stream", run, client.close)


def openai_async(loop: asyncio.AbstractEventLoop, base_url: str) -> Contender:
    """openai-python ``AsyncOpenAI``: the ``responses.stream()`` helper, else raw events."""
    import openai

    client = openai.AsyncOpenAI(api_key="t", base_url=base_url, max_retries=0)
    params: dict[str, Any] = {
        "model": MODEL,
        "instructions": INSTRUCTIONS,
        "input": PROMPT,
        "store": False,
    }

    async def helper() -> tuple[int, int]:
        count = 0
        async with client.responses.stream(**params) as stream:
            async for _event in stream:
                count += 1
            final = await stream.get_final_response()
        return count, len(final.output_text)

    async def raw() -> tuple[int, int]:
        count = 0
        text = 0
        stream = await client.responses.create(**params, stream=True)
        async with stream:
            async for event in stream:
                count += 1
                if event.type == "response.output_text.delta":
                    text += len(event.delta)
        return count, text

    def close() -> None:
        loop.run_until_complete(client.close())

    return Contender(
        "AsyncOpenAI",
        on_loop(loop, helper),
        close,
        fallback=on_loop(loop, raw),
        note=_OPENAI,
        verify=False,
    )


def openai_sync(base_url: str) -> Contender:
    """openai-python ``OpenAI``: the ``responses.stream()`` helper, else raw events."""
    import openai

    client = openai.OpenAI(api_key="t", base_url=base_url, max_retries=0)
    params: dict[str, Any] = {
        "model": MODEL,
        "instructions": INSTRUCTIONS,
        "input": PROMPT,
        "store": False,
    }

    def helper() -> tuple[int, int]:
        count = 0
        with client.responses.stream(**params) as stream:
            for _event in stream:
                count += 1
            final = stream.get_final_response()
        return count, len(final.output_text)

    def raw() -> tuple[int, int]:
        count = 0
        text = 0
        with client.responses.create(**params, stream=True) as stream:
            for event in stream:
                count += 1
                if event.type == "response.output_text.delta":
                    text += len(event.delta)
        return count, text

    return Contender(
        "OpenAI (sync)", helper, client.close, fallback=raw, note=_OPENAI, verify=False
    )


_OPENAI = "responses.stream(); final output_text is empty when completed.output == []"


def floor(loop: asyncio.AbstractEventLoop, url: str) -> Contender:
    """Raw aiohttp: chunks, split frames on blank lines, ``json.loads`` each data line."""
    holder: list[aiohttp.ClientSession] = []
    body = json.dumps({"model": MODEL, "instructions": INSTRUCTIONS, "input": PROMPT}).encode()
    headers = {"Content-Type": "application/json", "Accept": "text/event-stream"}

    async def run() -> tuple[int, int]:
        if not holder:
            holder.append(aiohttp.ClientSession())
        session = holder[0]
        count = 0
        text = 0
        loads = json.loads
        async with session.post(url, data=body, headers=headers) as response:
            response.raise_for_status()
            buffer = b""
            async for chunk in response.content.iter_any():
                datas, buffer = split_data(buffer + chunk)
                for data in datas:
                    payload = loads(data)
                    count += 1
                    if payload["type"] == "response.output_text.delta":
                        text += len(payload["delta"])
        return count, text

    def close() -> None:
        if holder:
            loop.run_until_complete(holder.pop().close())

    return Contender("aiohttp floor", on_loop(loop, run), close, note="no models: json.loads")


def sse_handler(deltas: int) -> Callable[[web.Request], Coroutine[Any, Any, web.StreamResponse]]:
    """The server's handler: one pre-rendered body of ``deltas`` text deltas, in 64 KiB writes.

    Module-level so that ``ServerProcess`` can build it in the server's process.
    """
    body = b"".join(render_frames(delta_texts(deltas)))
    writes = [body[i : i + WRITE_SIZE] for i in range(0, len(body), WRITE_SIZE)]

    async def handler(request: web.Request) -> web.StreamResponse:
        response = await start_sse(request)
        for chunk in writes:
            await response.write(chunk)
        await response.write_eof()
        return response

    return handler


def json_backend() -> str:
    """The package's JSON path (``codex_open_client._json.BACKEND``), or ``stdlib`` before it."""
    try:
        from codex_open_client import _json
    except ImportError:
        return "stdlib (no _json module)"
    return str(getattr(_json, "BACKEND", "?"))


def on_loop(
    loop: asyncio.AbstractEventLoop, func: Callable[[], Coroutine[Any, Any, tuple[int, int]]]
) -> Run:
    """A sync callable that runs ``func()`` to completion on ``loop`` (in this thread)."""
    return lambda: loop.run_until_complete(func())


# ----------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deltas", type=int, default=20_000, help="text deltas in the stream")
    parser.add_argument("--repeat", type=int, default=5, help="timed rounds after one warm-up")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    parser.add_argument(
        "--only",
        nargs="+",
        metavar="NAME",
        help="run only contenders whose name contains one of these (case-insensitive)",
    )
    parser.add_argument(
        "--server-process",
        action="store_true",
        help="run the server in a child process instead of a thread of this one",
    )
    parser.add_argument(
        "--profile",
        metavar="NAME",
        help="after the timing, run the first contender whose name contains NAME once more "
        "under cProfile and print its top functions (this thread only)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    frames = render_frames(delta_texts(args.deltas))
    stream_events = len(frames)
    body = b"".join(frames)
    text_chars = len("".join(delta_texts(args.deltas)))
    writes = -(-len(body) // WRITE_SIZE)

    print(
        f"Python {platform.python_version()} on {platform.platform()}, "
        f"aiohttp {aiohttp.__version__}, codex-open-client {codex.__version__}, "
        f"JSON path {json_backend()}"
    )
    print(
        f"Stream: {stream_events:,} events ({args.deltas:,} text deltas), "
        f"{len(body):,} bytes in {writes} writes of <= {WRITE_SIZE // 1024} KiB; "
        f"best of {args.repeat} rounds after 1 warm-up; server in "
        + ("its own process" if args.server_process else "a thread of this process")
    )

    loop = asyncio.new_event_loop()
    contenders: list[Contender] = []
    server_cm: ServerProcess | ServerThread
    if args.server_process:
        server_cm = ServerProcess(sse_handler, args.deltas)
    else:
        server_cm = ServerThread(sse_handler(args.deltas))
    try:
        with server_cm as server:
            base_url = server.base_url
            contenders += codex_async(loop, base_url)
            contenders.append(codex_sync(base_url))
            try:
                contenders.append(openai_async(loop, base_url))
                contenders.append(openai_sync(base_url))
            except ImportError:
                print("openai is not installed: skipping it (pip install openai)", file=sys.stderr)
            contenders.append(floor(loop, f"{base_url}/responses"))
            selected = contenders
            if args.only:
                wanted = [w.lower() for w in args.only]
                selected = [c for c in contenders if any(w in c.name.lower() for w in wanted)]
            try:
                measure(selected, args.repeat)
                if args.profile:
                    profile(contenders, args.profile)
            finally:
                for contender in contenders:
                    contender.close()
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()

    return report(selected, stream_events, text_chars, args)


def measure(contenders: list[Contender], repeat: int) -> None:
    """One warm-up each, then ``repeat`` interleaved timed rounds."""
    for contender in contenders:
        contender.attempt()
    for _ in range(repeat):
        for contender in contenders:
            if contender.error is not None:
                continue
            gc.collect()
            seconds = contender.attempt()
            if seconds is not None:
                contender.times.append(seconds)


def profile(contenders: list[Contender], name: str) -> None:
    """Run one contender under cProfile and print the top functions by own time."""
    import cProfile
    import pstats

    matches = [c for c in contenders if name.lower() in c.name.lower()]
    if not matches:
        print(f"--profile: no contender matches {name!r}", file=sys.stderr)
        return
    contender = matches[0]
    profiler = cProfile.Profile()
    profiler.runcall(contender.run)
    print(f"\ncProfile of one {contender.name!r} run (main thread), top 25 by own time:")
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.strip_dirs().sort_stats(pstats.SortKey.TIME).print_stats(25)


def report(
    contenders: list[Contender], stream_events: int, text_chars: int, args: argparse.Namespace
) -> int:
    rates: dict[str, float] = {}
    rows = []
    for c in contenders:
        if c.error is not None or not c.times:
            rows.append([c.name, "-", "-", "-", "-", "-", f"ERROR {c.error}"])
            continue
        best = min(c.times)
        rates[c.name] = stream_events / best
        rows.append(
            [
                c.name,
                f"{best:.3f}",
                f"{statistics.median(c.times):.3f}",
                f"{rates[c.name]:,.0f}",
                f"{c.events:,}" if c.events else "-",
                f"{c.text_chars:,}" if c.text_chars == text_chars else f"{c.text_chars:,} (!)",
                c.note,
            ]
        )
    print()
    headers = ["contender", "best s", "median s", "events/s", "seen", "text", "note"]
    print_table(headers, rows, "lrrrrrl")
    print(
        f"(events/s = {stream_events:,} stream events / best s; seen = events the loop got; "
        f"text = chars of the final output text, expected {text_chars:,}, (!) = differs)"
    )

    print()
    checks: list[tuple[str, bool]] = []
    for c in contenders:
        if c.verify and c.error is None and c.times:
            complete = c.text_chars == text_chars and c.events in (0, stream_events)
            checks.append((f"{c.name} lost events or text", complete))
    ratio_rows = []
    ratios: dict[str, float | None] = {}
    for top, bottom, minimum in TARGETS:
        name = f"{top} / {bottom}"
        if top in rates and bottom in rates:
            value = rates[top] / rates[bottom]
            ok = value >= minimum
            checks.append((f"{name} = {value:.2f} < {minimum:g}", ok))
            ratio_rows.append([name, f"{value:.2f}", f">= {minimum:g}", "ok" if ok else "MISSED"])
            ratios[name] = value
        else:
            ratio_rows.append([name, "-", f">= {minimum:g}", "not measured"])
            ratios[name] = None
            if not args.only:  # a contender failed or is missing: the target is not met
                checks.append((f"{name} not measured", False))
    print_table(["ratio of events/s", "value", "target", "verdict"], ratio_rows, "lrrl")

    if args.json:
        result = {
            "benchmark": "throughput",
            "python": platform.python_version(),
            "json_backend": json_backend(),
            "server": "process" if args.server_process else "thread",
            "deltas": args.deltas,
            "stream_events": stream_events,
            "repeat": args.repeat,
            "contenders": {
                c.name: {
                    "seconds": c.times,
                    "best_seconds": min(c.times) if c.times else None,
                    "events_per_second": rates.get(c.name),
                    "events_seen": c.events,
                    "text_chars": c.text_chars,
                    "error": c.error,
                    "note": c.note,
                }
                for c in contenders
            },
            "ratios": ratios,
            "targets_met": all(ok for _, ok in checks),
        }
        with open(args.json, "w", encoding="utf-8") as file:
            json.dump(result, file, indent=2)
        print(f"\nWrote {args.json}")
    return report_checks(checks, args.check)


if __name__ == "__main__":
    sys.exit(main())
