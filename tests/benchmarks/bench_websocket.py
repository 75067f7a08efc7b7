"""WebSocket vs SSE on the fake backend: bytes uploaded, per-turn latency, throughput.

1. Request bytes per turn on a ``--turns``-turn conversation whose every answer carries a
   reasoning item with a ~2 KB ``encrypted_content`` blob: over SSE each turn re-uploads the
   whole history, over WebSocket (socket reused) only the new user message, chained with
   ``previous_response_id``. Target: >= 90% fewer bytes over turns 2..N in total.
2. Per-turn latency for short turns (median of ``--short`` turns after a warm-up): WebSocket
   with its socket reused vs SSE. Target: WebSocket faster.
3. Throughput: a ``--deltas``-delta stream read to the final ``Response``, best of
   ``--repeat`` rounds that each run SSE, WebSocket and WebSocket without permessage-deflate
   once (after a warm-up round), in wall time and in the client's CPU time. Target: WebSocket
   (deflate on, as the client offers and the backend accepts it) >= 0.9x SSE in wall time,
   with the stream served pre-rendered.

1 and 2 are served by an in-process ``FakeCodexServer`` (its own thread). 3 runs twice, each
time with the server in a process of its own, so that only the client's work shares its GIL:

- pre-rendered (the target): a small server in this script sends the same stream as
  ``bench_throughput.py`` does, rendered before it is timed: the SSE body in 64 KiB writes,
  and over WebSocket the same events as frames compressed beforehand, one deflate context per
  socket as negotiated. Nothing is encoded or compressed while a stream is timed, so the
  time is the client's.
- served by the standalone fake (``python -m codex_open_client.testing --script``), for
  reference: it encodes each event and, over WebSocket, deflates each frame as it sends it,
  which costs it about twice its SSE work; the wall time then mostly measures the fake
  (whose CPU is its own, on the other core), the client's CPU time still the client.

Usage: ``python tests/benchmarks/bench_websocket.py [--turns 50] [--short 100]
[--deltas 20000] [--repeat 5] [--json out.json] [--check]``
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from typing import Any

from _common import BASE_PATH, print_table, render_frames, report_checks
from aiohttp import WSMsgType, web

import codex_open_client as codex
import codex_open_client._websocket as ws_module
from codex_open_client.testing import FakeCodexServer, message, reasoning, reply

MODEL = "gpt-5.1-codex-mini"
BLOB = "x" * 2048


def client(
    server: FakeCodexServer | ChildServer | PrerenderedServer, transport: str
) -> codex.AsyncClient:
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


class PrerenderedServer:
    """A server in a child process that answers every request with the same pre-rendered
    stream: the SSE body in 64 KiB writes, or over WebSocket the same events as frames,
    compressed beforehand (permessage-deflate, one context per socket as negotiated). It
    does no per-event work while a stream is timed, so the time is the client's."""

    access_token = "bench-token"
    account_id = "bench-account"

    def __init__(self, deltas: int, count: int) -> None:
        self._arguments = ["--serve-deltas", str(deltas), "--serve-count", str(count)]
        self.url = ""

    def __enter__(self) -> PrerenderedServer:
        command = [sys.executable, os.path.abspath(__file__), *self._arguments]
        self._process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line.startswith("port "):
            self.__exit__()
            raise RuntimeError("the pre-rendered server did not start")
        self.url = f"http://127.0.0.1:{int(line.split()[1])}{BASE_PATH}"
        return self

    def __exit__(self, *exc: object) -> None:
        self._process.terminate()
        self._process.wait(10)
        if self._process.stdout is not None:
            self._process.stdout.close()


def _ws_frame(payload: bytes, compressor: Any) -> bytes:
    first = 0x81  # FIN, text
    if compressor is not None:
        payload = compressor.compress(payload) + compressor.flush(zlib.Z_SYNC_FLUSH)
        payload = payload[:-4]  # the 00 00 ff ff tail is implied (RFC 7692)
        first |= 0x40  # RSV1: compressed
    size = len(payload)
    if size < 126:
        header = struct.pack("!BB", first, size)
    elif size < 65536:
        header = struct.pack("!BBH", first, 126, size)
    else:
        header = struct.pack("!BBQ", first, 127, size)
    return header + payload


def serve_prerendered(deltas: int, count: int) -> None:
    """The child process of :class:`PrerenderedServer`: print ``port N``, serve until killed."""
    frames = render_frames([f"w{i} " for i in range(deltas)])
    sse_body = b"".join(frames)
    payloads = [frame.split(b"\ndata: ", 1)[1].rstrip(b"\n") for frame in frames]

    async def sse(request: web.Request) -> web.StreamResponse:
        await request.read()
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        for start in range(0, len(sse_body), 65536):
            await response.write(sse_body[start : start + 65536])
        await response.write_eof()
        return response

    async def websocket(request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(compress=True)
        await ws.prepare(request)
        params = [p.strip() for p in ws.headers.get("Sec-WebSocket-Extensions", "").split(";")]
        deflate = params[0] == "permessage-deflate"
        takeover = "server_no_context_takeover" not in params
        compressor = zlib.compressobj(1, zlib.DEFLATED, -15) if deflate else None

        def render() -> bytes:
            nonlocal compressor
            if deflate and not takeover:
                compressor = zlib.compressobj(1, zlib.DEFLATED, -15)
            return b"".join(_ws_frame(payload, compressor) for payload in payloads)

        # Rendered before the first request (one per request the socket will serve), so
        # no deflate happens while a stream is timed; more only if a socket serves more.
        streams = [render() for _ in range(count)]
        transport = request.transport
        assert transport is not None
        async for received in ws:
            if received.type is WSMsgType.TEXT:
                transport.write(streams.pop(0) if streams else render())
        return ws

    async def main() -> None:
        app = web.Application()
        app.router.add_post(f"{BASE_PATH}/responses", sse)
        app.router.add_get(f"{BASE_PATH}/responses", websocket)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        print("port", runner.addresses[0][1], flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())


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
    server: PrerenderedServer | ChildServer, text: str, repeat: int
) -> dict[str, tuple[float, float]]:
    """Best wall and client CPU seconds of each contender to read a many-delta stream
    (``text``) to its final ``Response``, in ``repeat`` rounds that run every contender once
    (after a warm-up round, which also opens the sockets), each round in another order and
    each run after a full garbage collection, so that neither falls on the same contender
    every round. The CPU is this process's only: the server runs in its own."""
    contenders = {"sse": ("sse", 15), "ws": ("websocket", 15), "ws_plain": ("websocket", 0)}
    best = {name: (float("inf"), float("inf")) for name in contenders}
    clients = {name: client(server, transport) for name, (transport, _) in contenders.items()}
    names = list(contenders)
    try:
        for round_ in range(repeat + 1):
            for name in names[round_ % 3 :] + names[: round_ % 3]:
                ws_module._COMPRESS = contenders[name][1]  # read when a socket is opened
                gc.collect()
                started, cpu_started = time.perf_counter(), time.process_time()
                response = await clients[name].responses.create(
                    model=MODEL, instructions="x", input="go"
                )
                wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
                assert response.output_text == text
                if round_:
                    best[name] = (min(best[name][0], wall), min(best[name][1], cpu))
    finally:
        ws_module._COMPRESS = 15
        for api in clients.values():
            await api.aclose()
    return best


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    async with FakeCodexServer() as server:
        sse_bytes = await upload_bytes(server, "sse", args.turns)
        ws_bytes = await upload_bytes(server, "websocket", args.turns)
        sse_latency = await turn_latency(server, "sse", args.short)
        ws_latency = await turn_latency(server, "websocket", args.short)
    text = "".join(f"w{i} " for i in range(args.deltas))
    with PrerenderedServer(args.deltas, args.repeat + 2) as prerendered:
        best = await throughput(prerendered, text, args.repeat)
    fake_text, replies = delta_replies(args.deltas, 3 * (args.repeat + 1))
    assert fake_text == text
    with ChildServer(replies) as child:
        fake = await throughput(child, text, args.repeat)
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
        **figures("", best),
        **figures("fake_", fake),
    }


def figures(prefix: str, best: dict[str, tuple[float, float]]) -> dict[str, float]:
    """The throughput numbers of one server, ``prefix``-ed, with the ratios to SSE."""
    (sse_time, sse_cpu), (ws_time, ws_cpu) = best["sse"], best["ws"]
    plain_time, plain_cpu = best["ws_plain"]
    return {
        f"{prefix}throughput_sse_s": sse_time,
        f"{prefix}throughput_ws_s": ws_time,
        f"{prefix}throughput_ratio": sse_time / ws_time,
        f"{prefix}throughput_ws_no_deflate_s": plain_time,
        f"{prefix}throughput_ratio_no_deflate": sse_time / plain_time,
        f"{prefix}client_cpu_sse_s": sse_cpu,
        f"{prefix}client_cpu_ws_s": ws_cpu,
        f"{prefix}client_cpu_ratio": sse_cpu / ws_cpu,
        f"{prefix}client_cpu_ws_no_deflate_s": plain_cpu,
        f"{prefix}client_cpu_ratio_no_deflate": sse_cpu / plain_cpu,
    }


def throughput_rows(prefix: str, title: str, result: dict[str, Any]) -> list[list[str]]:
    def get(name: str) -> Any:
        return result[prefix + name]

    return [
        [
            title,
            f"{get('throughput_sse_s'):.3f}",
            f"{get('throughput_ws_s'):.3f}",
            f"{get('throughput_ratio'):.2f}x of SSE",
        ],
        [
            "  same, WebSocket without deflate",
            "",
            f"{get('throughput_ws_no_deflate_s'):.3f}",
            f"{get('throughput_ratio_no_deflate'):.2f}x of SSE",
        ],
        [
            "  client CPU only, best s",
            f"{get('client_cpu_sse_s'):.3f}",
            f"{get('client_cpu_ws_s'):.3f}",
            f"{get('client_cpu_ratio'):.2f}x of SSE",
        ],
        [
            "  same, WebSocket without deflate",
            "",
            f"{get('client_cpu_ws_no_deflate_s'):.3f}",
            f"{get('client_cpu_ratio_no_deflate'):.2f}x of SSE",
        ],
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--turns", type=int, default=50)
    parser.add_argument("--short", type=int, default=100)
    parser.add_argument("--deltas", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", metavar="PATH")
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--serve-deltas", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--serve-count", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_deltas is not None:  # the child process of PrerenderedServer
        serve_prerendered(args.serve_deltas, args.serve_count)
        return 0
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
            *throughput_rows("", f"{result['deltas']:,} deltas, pre-rendered, best s", result),
            *throughput_rows("fake_", "  same, served by the fake, best s", result),
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
