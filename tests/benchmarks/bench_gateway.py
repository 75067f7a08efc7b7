"""The gateway: streaming throughput and added first-token latency, and 100 concurrent streams.

Three processes: a local SSE backend (``ServerProcess``: one pre-rendered response of
``--deltas`` text deltas, as ``bench_throughput.py`` serves it), the gateway (``create_app``
on an ``AsyncClient`` pointed at that backend, in its own process) and the clients (here).

Side by side, in one run, best of ``--repeat`` rounds after a warm-up:

- the SDK direct: ``AsyncClient`` streaming from the backend (events/s);
- openai-python's ``AsyncOpenAI`` through the gateway: ``/v1/responses`` streamed (events/s)
  and ``/v1/chat/completions`` streamed (chunks/s).

First-token latency: a 10-delta response, the time from sending to the first text delta,
median over ``--runs`` streams, direct and through the gateway; the difference is what the
gateway adds. Then ``--concurrency`` (100) streamed chat completions at once through the one
gateway worker: all must complete; the gateway's peak RSS is reported.

Targets (issue 11): gateway/direct >= 0.5x events/s; added first-token latency < 5 ms
(median). ``--check`` exits 1 on a miss.

Usage: ``python tests/benchmarks/bench_gateway.py [--deltas 5000] [--repeat 3] [--runs 30]
[--concurrency 100] [--json out.json] [--check]``
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import sys
import time
from collections.abc import Sequence
from typing import Any

import aiohttp
import openai
from _common import (
    MODEL,
    ServerProcess,
    peak_rss_bytes,
    print_table,
    raise_open_file_limit,
    report_checks,
)
from bench_throughput import sse_handler

import codex_open_client as codex

INSTRUCTIONS = "You are a benchmark."
PROMPT = "Stream a long answer."
TARGET_RATIO = 0.5
TARGET_ADDED_MS = 5.0


def _gateway_process(base_url: str, conn: Any) -> None:
    """The gateway's process: serve until the parent says stop, then report the peak RSS."""
    raise_open_file_limit()
    from aiohttp import web

    from codex_open_client.gateway import create_app

    async def serve() -> None:
        client = codex.AsyncClient(access_token="bench", base_url=base_url, max_retries=0)
        runner = web.AppRunner(create_app(client, close_client=True), access_log=None)
        await runner.setup()
        try:
            site = web.TCPSite(runner, "127.0.0.1", 0, backlog=4096)
            await site.start()
            conn.send(("port", int(runner.addresses[0][1])))
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            loop.add_reader(conn.fileno(), stop.set)
            await stop.wait()
            loop.remove_reader(conn.fileno())
        finally:
            await runner.cleanup()

    asyncio.run(serve())
    with contextlib.suppress(OSError):
        conn.send(("rss", peak_rss_bytes()))


class GatewayProcess:
    """The gateway in a child process, on a random port."""

    def __init__(self, base_url: str) -> None:
        import multiprocessing

        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(
            target=_gateway_process, args=(base_url, child), daemon=True
        )
        self._child = child
        self.port = 0
        self.peak_rss: int | None = None

    def __enter__(self) -> GatewayProcess:
        self._process.start()
        self._child.close()
        if not self._conn.poll(120):
            raise RuntimeError("the gateway process did not start")
        kind, value = self._conn.recv()
        assert kind == "port", value
        self.port = int(value)
        return self

    def __exit__(self, *exc_info: object) -> None:
        with contextlib.suppress(OSError):
            self._conn.send("stop")
        if self._conn.poll(30):
            with contextlib.suppress(EOFError):
                kind, value = self._conn.recv()
                if kind == "rss":
                    self.peak_rss = int(value)
        self._process.join(30)
        if self._process.is_alive():
            self._process.terminate()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"


async def direct_stream(client: codex.AsyncClient) -> tuple[int, float | None]:
    """Events of one direct stream, and seconds to the first text delta."""
    started = time.perf_counter()
    first = None
    count = 0
    async with client.responses.stream(model=MODEL, instructions=INSTRUCTIONS, input=PROMPT) as s:
        async for event in s:
            count += 1
            if first is None and event.type == "response.output_text.delta":
                first = time.perf_counter() - started
    return count, first


async def gateway_responses(client: openai.AsyncOpenAI) -> tuple[int, float | None]:
    """Events of one Responses stream through the gateway, and seconds to the first delta."""
    started = time.perf_counter()
    first = None
    count = 0
    stream = await client.responses.create(
        model=MODEL, instructions=INSTRUCTIONS, input=PROMPT, stream=True
    )
    async for event in stream:
        count += 1
        if first is None and event.type == "response.output_text.delta":
            first = time.perf_counter() - started
    return count, first


async def gateway_chat(client: openai.AsyncOpenAI) -> tuple[int, float | None]:
    """Chunks of one chat completion stream through the gateway, and seconds to the first text."""
    started = time.perf_counter()
    first = None
    count = 0
    stream = await client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "system", "content": INSTRUCTIONS}, {"role": "user", "content": PROMPT}],
        stream=True,
    )
    async for chunk in stream:
        count += 1
        if first is None and chunk.choices and chunk.choices[0].delta.content:
            first = time.perf_counter() - started
    return count, first


async def raw_gateway(session: Any, url: str) -> tuple[int, float | None]:
    """The floor through the gateway: aiohttp chunks, split on blank lines, no models."""
    started = time.perf_counter()
    first = None
    count = 0
    rest = b""
    body = {"model": MODEL, "instructions": INSTRUCTIONS, "input": PROMPT, "stream": True}
    async with session.post(url, json=body) as answer:
        async for chunk in answer.content.iter_any():
            frames = (rest + chunk).split(b"\n\n")
            rest = frames.pop()
            for frame in frames:
                count += 1
                if first is None and b'"response.output_text.delta"' in frame:
                    first = time.perf_counter() - started
    return count, first


async def interleaved(
    runs: dict[str, Any], rounds: int
) -> dict[str, list[tuple[int, float, float]]]:
    """``rounds`` rounds, each contender once per round in turn (drift hits them alike),
    after one warm-up each: ``(events, seconds, seconds to the first delta)`` per round."""
    for run in runs.values():
        await run()
    results: dict[str, list[tuple[int, float, float]]] = {name: [] for name in runs}
    for _ in range(rounds):
        for name, run in runs.items():
            started = time.perf_counter()
            count, first = await run()
            assert first is not None, name
            results[name].append((count, time.perf_counter() - started, first))
    return results


def paired_median(a: list[float], b: list[float]) -> float:
    """The median of ``a[i] - b[i]``."""
    return statistics.median(x - y for x, y in zip(a, b, strict=True))


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deltas", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--json", dest="json_path")
    parser.add_argument("--check", action="store_true")
    return parser.parse_args(argv)


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for phase, deltas, rounds in (("rate", args.deltas, args.repeat), ("first", 10, args.runs)):
        with ServerProcess(sse_handler, deltas) as backend:
            gateway = GatewayProcess(backend.base_url)
            with gateway:
                openai_direct_url = backend.base_url.replace("/backend-api/codex", "/v1")
                async with (
                    codex.AsyncClient(
                        access_token="bench", base_url=backend.base_url, max_retries=0
                    ) as direct,
                    openai.AsyncOpenAI(base_url=gateway.url, api_key="x", max_retries=0) as oai,
                    openai.AsyncOpenAI(
                        base_url=openai_direct_url, api_key="x", max_retries=0
                    ) as plain,
                    aiohttp.ClientSession() as session,
                ):
                    url = gateway.url + "/responses"
                    results[phase] = await interleaved(
                        {
                            "direct": lambda: direct_stream(direct),
                            "raw": lambda url=url: raw_gateway(session, url),
                            "openai_direct": lambda: gateway_responses(plain),
                            "responses": lambda: gateway_responses(oai),
                            "chat": lambda: gateway_chat(oai),
                        },
                        rounds,
                    )
                    if phase == "first":
                        started = time.perf_counter()
                        outcomes = await asyncio.gather(
                            *(gateway_chat(oai) for _ in range(args.concurrency)),
                            return_exceptions=True,
                        )
                        results["concurrent_seconds"] = time.perf_counter() - started
                        results["concurrent_ok"] = sum(
                            1 for outcome in outcomes if not isinstance(outcome, BaseException)
                        )
            if phase == "first":
                results["gateway_peak_rss"] = gateway.peak_rss
    return results


LABELS = {
    "direct": "AsyncClient direct",
    "raw": "floor (raw aiohttp) -> gateway /v1/responses",
    "openai_direct": "AsyncOpenAI direct (to the backend)",
    "responses": "AsyncOpenAI -> gateway /v1/responses",
    "chat": "AsyncOpenAI -> gateway /v1/chat/completions",
}


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    raise_open_file_limit()
    results = asyncio.run(measure(args))
    rates = {
        name: [count / seconds for count, seconds, _ in rounds]
        for name, rounds in results["rate"].items()
    }
    firsts = {
        name: [first * 1000 for _, _, first in rounds] for name, rounds in results["first"].items()
    }
    version = sys.version.split()[0]
    print(
        f"bench_gateway: {args.deltas:,} deltas, {args.repeat} interleaved rounds "
        f"(best shown); Python {version}"
    )
    best_direct = max(rates["direct"])
    rows = []
    for name, label in LABELS.items():
        events = results["rate"][name][0][0]
        best = max(rates[name])
        rows.append([label, f"{events:,}", f"{best:,.0f}", f"{best / best_direct:.2f}x"])
    print_table(["contender", "events", "events/s", "vs direct"], rows, "lrrr")
    gateway_ratio = statistics.median(
        r / d for r, d in zip(rates["raw"], rates["direct"], strict=True)
    )
    openai_ratio = statistics.median(
        r / d for r, d in zip(rates["responses"], rates["openai_direct"], strict=True)
    )
    print(
        f"\nMedian of paired rounds: the gateway streams at {gateway_ratio:.2f}x the SDK direct "
        f"(read by the floor); openai-python through it at {openai_ratio:.2f}x openai-python "
        "direct."
    )
    added = paired_median(firsts["raw"], firsts["direct"])
    added_openai = paired_median(firsts["responses"], firsts["openai_direct"])
    print()
    rows = [[label, f"{statistics.median(firsts[name]):.2f}"] for name, label in LABELS.items()]
    rows.append(["added by the gateway (floor vs AsyncClient, paired)", f"{added:.2f}"])
    rows.append(["added by the gateway (AsyncOpenAI, paired)", f"{added_openai:.2f}"])
    print_table(["first text delta (10-delta stream)", f"median ms of {args.runs}"], rows, "lr")
    rss = results["gateway_peak_rss"]
    rss_text = f"{rss / 2**20:.1f} MiB" if rss else "unknown"
    print(
        f"\n{args.concurrency} concurrent streamed chat completions through one worker: "
        f"{results['concurrent_ok']} completed in {results['concurrent_seconds']:.2f} s; "
        f"gateway peak RSS {rss_text}"
    )
    checks = [
        (f"gateway/direct {gateway_ratio:.2f}x < {TARGET_RATIO}x", gateway_ratio >= TARGET_RATIO),
        (
            f"added first-token latency {added:.2f} ms >= {TARGET_ADDED_MS} ms",
            added < TARGET_ADDED_MS,
        ),
        (
            f"{results['concurrent_ok']} of {args.concurrency} concurrent streams completed",
            results["concurrent_ok"] == args.concurrency,
        ),
    ]
    if args.json_path:
        with open(args.json_path, "w", encoding="utf-8") as file:
            json.dump({"args": vars(args), **results}, file, indent=2)
    return report_checks(checks, args.check)


if __name__ == "__main__":
    sys.exit(main())
