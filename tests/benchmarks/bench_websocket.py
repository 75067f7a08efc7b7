"""WebSocket vs SSE on the fake backend: bytes uploaded, per-turn latency, throughput.

1. Request bytes per turn on a ``--turns``-turn conversation whose every answer carries a
   reasoning item with a ~2 KB ``encrypted_content`` blob: over SSE each turn re-uploads the
   whole history, over WebSocket (socket reused) only the new user message, chained with
   ``previous_response_id``. Target: >= 90% fewer bytes over turns 2..N in total.
2. Per-turn latency for short turns (median of ``--short`` turns after a warm-up): WebSocket
   with its socket reused vs SSE. Target: WebSocket faster.
3. Throughput: a ``--deltas``-delta stream read to the final ``Response`` (best of
   ``--repeat``). Target: WebSocket >= 0.9x SSE. Shown in wall time (which includes the
   server's own per-frame work: deflate, one write per frame) and in the client's CPU time.

1 and 2 are served by an in-process ``FakeCodexServer`` (its own thread). 3 is served by the
standalone fake (``python -m codex_open_client.testing --script``) in its own process, so that
only the client is measured: in-process, the server's per-frame permessage-deflate (and its
JSON encoding) would share the client's GIL and count against the WebSocket client.

Usage: ``python tests/benchmarks/bench_websocket.py [--turns 50] [--short 100]
[--deltas 20000] [--repeat 3] [--json out.json] [--check]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

from _common import print_table, report_checks

import codex_open_client as codex
import codex_open_client._websocket as ws_module
from codex_open_client.testing import FakeCodexServer, message, reasoning, reply

MODEL = "gpt-5.1-codex-mini"
BLOB = "x" * 2048


def client(server: FakeCodexServer | ChildServer, transport: str) -> codex.AsyncClient:
    return codex.AsyncClient(
        access_token=server.access_token,
        account_id=server.account_id,
        base_url=server.url,
        max_retries=0,
        transport=transport,  # type: ignore[arg-type]
    )


class ChildServer:
    """The standalone fake backend in a child process, answering ``replies`` in order."""

    access_token = "bench-token"
    account_id = "bench-account"

    def __init__(self, replies: list[Any]) -> None:
        self._replies = replies
        self.url = ""

    def __enter__(self) -> ChildServer:
        handle, self._script = tempfile.mkstemp(suffix=".json")
        with os.fdopen(handle, "w") as out:
            json.dump(self._replies, out)
        command = [sys.executable, "-m", "codex_open_client.testing", "--port", "0"]
        command += ["--access-token", self.access_token, "--account-id", self.account_id]
        command += ["--script", self._script]
        self._process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        assert self._process.stdout is not None
        for line in self._process.stdout:
            if line.strip().startswith("base_url:"):
                self.url = line.split(":", 1)[1].strip()
                break
        if not self.url:
            self.__exit__()
            raise RuntimeError("the fake backend did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        self._process.terminate()
        self._process.wait(10)
        if self._process.stdout is not None:
            self._process.stdout.close()
        os.unlink(self._script)


def delta_replies(deltas: int, count: int) -> tuple[str, list[Any]]:
    """``count`` scripted replies of one message streamed as ``deltas`` deltas."""
    pieces = [f"w{i} " for i in range(deltas)]
    part = {"part": "message", "args": ["".join(pieces)], "kwargs": {"deltas": pieces}}
    return "".join(pieces), [{"reply": "reply", "args": [part]}] * count


async def upload_bytes(server: FakeCodexServer, transport: str, turns: int) -> list[int]:
    """Bytes of each request (HTTP body, or WebSocket frame) of a ``turns``-turn chat."""
    server.clear()
    async with client(server, transport) as api:
        conversation = api.conversation(model=MODEL, instructions="Be brief.")
        for k in range(turns):
            server.queue(
                reply(reasoning([f"**Think** {k}"], encrypted_content=BLOB), message(f"A{k}"))
            )
            await conversation.ask(f"Question number {k}?")
    return [len(r.body) for r in server.requests if r.path.endswith("/responses")]


async def turn_latency(server: FakeCodexServer, transport: str, turns: int) -> float:
    """Median seconds of one short turn (a reused socket over WebSocket)."""
    server.clear()
    async with client(server, transport) as api:
        conversation = api.conversation(model=MODEL, instructions="Be brief.")
        await conversation.ask("warm up")
        times = []
        for k in range(turns):
            started = time.perf_counter()
            await conversation.ask(f"q{k}")
            times.append(time.perf_counter() - started)
    return statistics.median(times)


async def throughput(
    server: ChildServer, transport: str, text: str, repeat: int
) -> tuple[float, float]:
    """Best wall and client CPU seconds to read a scripted many-delta stream (``text``) to its
    final ``Response`` (the CPU of this process only: the server runs in its own)."""
    best = cpu = float("inf")
    async with client(server, transport) as api:
        for _ in range(repeat):
            started, cpu_started = time.perf_counter(), time.process_time()
            response = await api.responses.create(model=MODEL, instructions="x", input="go")
            best = min(best, time.perf_counter() - started)
            cpu = min(cpu, time.process_time() - cpu_started)
            assert response.output_text == text
    return best, cpu


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    async with FakeCodexServer() as server:
        sse_bytes = await upload_bytes(server, "sse", args.turns)
        ws_bytes = await upload_bytes(server, "websocket", args.turns)
        sse_latency = await turn_latency(server, "sse", args.short)
        ws_latency = await turn_latency(server, "websocket", args.short)
    text, replies = delta_replies(args.deltas, 3 * args.repeat)
    with ChildServer(replies) as child:
        sse_time, sse_cpu = await throughput(child, "sse", text, args.repeat)
        ws_time, ws_cpu = await throughput(child, "websocket", text, args.repeat)
        # For reference: the same without permessage-deflate (the client offers it, and the
        # fake, like the backend, accepts it: each frame is then compressed and inflated).
        ws_module._COMPRESS = 0
        try:
            plain_time, plain_cpu = await throughput(child, "websocket", text, args.repeat)
        finally:
            ws_module._COMPRESS = 15
    later_sse, later_ws = sum(sse_bytes[1:]), sum(ws_bytes[1:])
    return {
        "turns": args.turns,
        "bytes_sse_turns_2_n": later_sse,
        "bytes_ws_turns_2_n": later_ws,
        "bytes_saved": 1 - later_ws / later_sse,
        "bytes_last_turn_sse": sse_bytes[-1],
        "bytes_last_turn_ws": ws_bytes[-1],
        "latency_sse_ms": sse_latency * 1000,
        "latency_ws_ms": ws_latency * 1000,
        "deltas": args.deltas,
        "throughput_sse_s": sse_time,
        "throughput_ws_s": ws_time,
        "throughput_ratio": sse_time / ws_time,
        "throughput_ws_no_deflate_s": plain_time,
        "throughput_ratio_no_deflate": sse_time / plain_time,
        "client_cpu_sse_s": sse_cpu,
        "client_cpu_ws_s": ws_cpu,
        "client_cpu_ratio": sse_cpu / ws_cpu,
        "client_cpu_ws_no_deflate_s": plain_cpu,
        "client_cpu_ratio_no_deflate": sse_cpu / plain_cpu,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--turns", type=int, default=50)
    parser.add_argument("--short", type=int, default=100)
    parser.add_argument("--deltas", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", metavar="PATH")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    result = asyncio.run(main_async(args))
    print_table(
        ["measure", "SSE", "WebSocket", "ratio"],
        [
            [
                f"bytes uploaded, turns 2-{result['turns']}",
                f"{result['bytes_sse_turns_2_n']:,}",
                f"{result['bytes_ws_turns_2_n']:,}",
                f"{result['bytes_saved']:.1%} fewer",
            ],
            [
                f"bytes of turn {result['turns']}",
                f"{result['bytes_last_turn_sse']:,}",
                f"{result['bytes_last_turn_ws']:,}",
                "",
            ],
            [
                "short turn, median ms",
                f"{result['latency_sse_ms']:.2f}",
                f"{result['latency_ws_ms']:.2f}",
                f"{result['latency_sse_ms'] / result['latency_ws_ms']:.2f}x faster",
            ],
            [
                f"{result['deltas']:,} deltas, best s",
                f"{result['throughput_sse_s']:.3f}",
                f"{result['throughput_ws_s']:.3f}",
                f"{result['throughput_ratio']:.2f}x of SSE",
            ],
            [
                "  same, WebSocket without deflate",
                "",
                f"{result['throughput_ws_no_deflate_s']:.3f}",
                f"{result['throughput_ratio_no_deflate']:.2f}x of SSE",
            ],
            [
                "  client CPU only, best s",
                f"{result['client_cpu_sse_s']:.3f}",
                f"{result['client_cpu_ws_s']:.3f}",
                f"{result['client_cpu_ratio']:.2f}x of SSE",
            ],
            [
                "  same, WebSocket without deflate",
                "",
                f"{result['client_cpu_ws_no_deflate_s']:.3f}",
                f"{result['client_cpu_ratio_no_deflate']:.2f}x of SSE",
            ],
        ],
        "lrrr",
    )
    if args.json:
        with open(args.json, "w") as out:
            json.dump(result, out, indent=2)
    return report_checks(
        [
            (">= 90% fewer bytes over turns 2-N", result["bytes_saved"] >= 0.9),
            ("WebSocket short turns faster", result["latency_ws_ms"] < result["latency_sse_ms"]),
            ("WebSocket throughput >= 0.9x SSE", result["throughput_ratio"] >= 0.9),
        ],
        args.check,
    )


if __name__ == "__main__":
    sys.exit(main())
