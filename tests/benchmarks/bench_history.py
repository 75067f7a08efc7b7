"""History: CPU per conversation turn to build, encode and POST a request of k history items.

Turn k of a conversation resends the k items of its history (the backend stores nothing) plus
the new user message. The history is a realistic mix, in cycles of six: a user message, a
reasoning item (a summary and ~2 KB of ``encrypted_content``), a function call, its output,
a second reasoning item, an assistant message. It is given two ways:

- ``typed``: the models the SDK hands back (output items structured from the wire by its own
  converter, ``InputMessage`` and ``FunctionCallOutput`` for the caller's items), as
  ``conversation.ask()`` and ``run_tools()`` keep them;
- ``dicts``: the same items as plain wire dicts (user messages in the ``{"role", "content"}``
  shorthand), as an application that stores its history as JSON keeps them.

Contenders, per turn:

- ``sdk``: what ``responses.create()`` does before the answer streams in:
  ``build_responses_request`` (every check, the wire conversion, the body encoding), the
  client's scan of the body for ``detail="original"`` images, then ``Transport.send`` (the
  aiohttp POST), reading the (empty) answer to its end;
- ``floor``: ``json.dumps`` of the same body (a list with the new message appended to the
  prebuilt wire history) then an aiohttp POST of those bytes, answer read the same way.

The server is a plain ``aiohttp.web`` app in its own process (127.0.0.1, random port) that
reads and discards each body, so its CPU is not counted: ``time.process_time`` covers this
process only. Each measurement is ``--repeat`` interleaved rounds of turns (about
``--seconds`` of CPU per round and contender) after two warm-up turns; the median round is
kept. ``cold`` is the SDK's first turn over a history it has never sent (fresh objects).

Target: ``sdk / floor <= 1.2`` for every k of a typed history (what conversations and
``run_tools()`` keep: the items carry their wire form, so a turn converts and encodes only its
new items). ``--check`` exits 1 on a miss. A history of dicts has no target: the caller's dicts
may change between turns, so each turn checks, copies and encodes every one of them again;
its ratio is shown for comparison.

Usage: ``python tests/benchmarks/bench_history.py [--sizes 10 100 1000 5000] [--repeat 5]
[--seconds 0.3] [--json out.json] [--check]``
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import gc
import io
import json
import multiprocessing
import platform
import random
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from multiprocessing.connection import Connection
from typing import Any

import aiohttp
from _common import BASE_PATH, MODEL, print_table, report_checks
from aiohttp import web

import codex_open_client as codex
from codex_open_client import _json
from codex_open_client._client import _asks_for_original_detail
from codex_open_client._models import FunctionCallOutput, InputMessage, OutputItem
from codex_open_client._request import build_responses_request, headers_for, make_config
from codex_open_client._serde import converter
from codex_open_client._transport import Transport

TARGET = 1.2
INSTRUCTIONS = "You are a coding agent. Use the tools when they help."
AUTH = {"Authorization": "Bearer benchmark-token", "ChatGPT-Account-ID": "acct-bench"}
ENCRYPTED_SIZE = 2048
SIZES = (10, 100, 1_000, 5_000)

# ----------------------------------------------------------------------------- server


def _serve(conn: Connection) -> None:
    """The server process: answer every POST with an empty 200 after reading the body."""

    async def handle(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(body=b"", content_type="text/event-stream")

    async def run() -> None:
        app = web.Application(client_max_size=1 << 30)
        app.router.add_post(f"{BASE_PATH}/responses", handle)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        conn.send(int(runner.addresses[0][1]))
        # Until the parent closes its end of the pipe.
        await asyncio.get_running_loop().run_in_executor(None, _wait_for_eof, conn)
        await runner.cleanup()

    asyncio.run(run())


def _wait_for_eof(conn: Connection) -> None:
    try:
        conn.recv()
    except EOFError:
        pass


class ServerProcess:
    """``_serve`` in a spawned process; the context manager gives its base URL."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(child,), daemon=True)
        self._child = child
        self.base_url = ""

    def __enter__(self) -> ServerProcess:
        self._process.start()
        self._child.close()
        if not self._conn.poll(30):
            raise RuntimeError("the benchmark server did not start")
        port = self._conn.recv()
        self.base_url = f"http://127.0.0.1:{port}{BASE_PATH}"
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._conn.close()
        self._process.join(timeout=10)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join()


# ----------------------------------------------------------------------------- history


def wire_history(count: int, seed: int = 0) -> list[dict[str, Any]]:
    """``count`` items as the backend sends them (outputs) and the caller writes them."""
    rng = random.Random(seed)
    items: list[dict[str, Any]] = []
    cycle = 0
    while len(items) < count:
        n = cycle
        call_id = f"call_{n:06d}"
        items += [
            {"role": "user", "content": f"Step {n}: look up the value of key-{n}. " * 6},
            _reasoning(rng, f"rs_{n:06d}a"),
            {
                "type": "function_call",
                "id": f"fc_{n:06d}",
                "call_id": call_id,
                "name": "lookup",
                "arguments": json.dumps({"key": f"key-{n}", "verbose": False}),
                "status": "completed",
            },
            {"type": "function_call_output", "call_id": call_id, "output": f"value {n} " * 40},
            _reasoning(rng, f"rs_{n:06d}b"),
            {
                "type": "message",
                "id": f"msg_{n:06d}",
                "role": "assistant",
                "status": "completed",
                "content": [
                    {
                        "type": "output_text",
                        "text": f"Key-{n} holds value {n}. " * 16,
                        "annotations": [],
                    }
                ],
            },
        ]
        cycle += 1
    return items[:count]


def _reasoning(rng: random.Random, item_id: str) -> dict[str, Any]:
    raw = rng.randbytes(ENCRYPTED_SIZE * 3 // 4)
    return {
        "type": "reasoning",
        "id": item_id,
        "summary": [{"type": "summary_text", "text": "**Looking it up** The tool has the value."}],
        "encrypted_content": base64.b64encode(raw).decode(),
    }


#: The union as cattrs' target (its ``structure`` types that argument ``type[T]``).
_OUTPUT_ITEM: Any = OutputItem


def typed_history(wire: list[dict[str, Any]]) -> list[Any]:
    """The same items as the SDK's models: outputs structured by its converter."""
    items: list[Any] = []
    for item in wire:
        if "type" not in item:
            items.append(InputMessage(role=item["role"], content=item["content"]))
        elif item["type"] == "function_call_output":
            items.append(FunctionCallOutput(call_id=item["call_id"], output=item["output"]))
        else:
            items.append(converter.structure(item, _OUTPUT_ITEM))
    return items


# ----------------------------------------------------------------------------- contenders

Turn = Callable[[int], Awaitable[None]]


class Bench:
    """The SDK's pieces and the floor's session, against one server."""

    def __init__(self, base_url: str, session: aiohttp.ClientSession) -> None:
        self.config = make_config(
            access_token=None,
            account_id=None,
            base_url=base_url,
            chatgpt_base_url=None,
            timeout=60,
            max_retries=0,
            default_headers=None,
            originator=None,
            session_id="bench-session",
        )
        self.transport = Transport()
        self.session = session
        self.url = f"{base_url}/responses"
        self.headers = {**AUTH, **headers_for(self.config)}

    @classmethod
    async def open(cls, base_url: str) -> Bench:
        return cls(base_url, aiohttp.ClientSession())

    def sdk(self, history: list[Any]) -> Turn:
        async def turn(n: int) -> None:
            new = InputMessage(role="user", content=f"And now step {n}?")
            request = build_responses_request(
                self.config, model=MODEL, instructions=INSTRUCTIONS, input=[*history, new]
            )
            _asks_for_original_detail(request)  # as responses.create() does
            response = await self.transport.send(request, AUTH)
            while await response.read_chunk():
                pass
            response.close()

        return turn

    def floor(self, head: dict[str, Any], wire: list[Any], tail: dict[str, Any]) -> Turn:
        async def turn(n: int) -> None:
            new = {
                "type": "message",
                "role": "user",
                "content": [{"type": "input_text", "text": f"And now step {n}?"}],
            }
            body = {**head, "input": [*wire, new], **tail}
            data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
            # As the SDK sends a body over 1 MiB (aiohttp warns for such bytes bodies).
            sent = io.BytesIO(data) if len(data) > 1 << 20 else data
            async with self.session.post(self.url, data=sent, headers=self.headers) as response:
                await response.read()

        return turn

    def sdk_body(self, history: list[Any]) -> dict[str, Any]:
        """The body the SDK sends for ``history`` (decoded from its own encoding)."""
        request = build_responses_request(
            self.config, model=MODEL, instructions=INSTRUCTIONS, input=list(history)
        )
        body = getattr(request, "body", None)
        if body is None:  # before the builder encoded the body itself
            body = json.dumps(request.json, ensure_ascii=False, separators=(",", ":")).encode()
        decoded: dict[str, Any] = json.loads(body)
        return decoded

    async def aclose(self) -> None:
        await self.transport.aclose()
        await self.session.close()


def cpu_per_turn(loop: asyncio.AbstractEventLoop, turn: Turn, turns: int, start: int) -> float:
    gc.collect()

    async def run() -> None:
        for n in range(start, start + turns):
            await turn(n)

    began = time.process_time()
    loop.run_until_complete(run())
    return (time.process_time() - began) / turns


def measure(
    loop: asyncio.AbstractEventLoop, contenders: dict[str, Turn], repeat: int, seconds: float
) -> dict[str, float]:
    """The median CPU seconds per turn of each contender over interleaved rounds."""
    for turn in contenders.values():
        cpu_per_turn(loop, turn, 2, 0)
    estimate = max(cpu_per_turn(loop, turn, 1, 2) for turn in contenders.values())
    turns = max(3, min(2_000, int(seconds / max(estimate, 1e-6))))
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    order = list(contenders)
    for round_ in range(repeat):
        for name in order if round_ % 2 == 0 else reversed(order):
            samples[name].append(cpu_per_turn(loop, contenders[name], turns, 10 + round_ * turns))
    return {name: statistics.median(values) for name, values in samples.items()}


# ----------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help="history sizes k")
    parser.add_argument("--repeat", type=int, default=5, help="timed rounds per measurement")
    parser.add_argument(
        "--seconds", type=float, default=0.3, help="CPU seconds per round and contender"
    )
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    print(
        f"Python {platform.python_version()} on {platform.platform()}, "
        f"aiohttp {aiohttp.__version__}, codex-open-client {codex.__version__}, "
        f"JSON backend {_json.BACKEND}"
    )
    print(
        f"CPU per turn (time.process_time, this process), median of {args.repeat} rounds of "
        f"~{args.seconds:g} s per contender; server in its own process"
    )
    rows: list[list[str]] = []
    results: list[dict[str, Any]] = []
    checks: list[tuple[str, bool]] = []
    loop = asyncio.new_event_loop()
    try:
        with ServerProcess() as server:
            bench = loop.run_until_complete(Bench.open(server.base_url))
            try:
                # Open the connections before anything is timed.
                for turn in (bench.sdk([]), bench.floor({"model": MODEL}, [], {})):
                    loop.run_until_complete(turn(0))
                for k in args.sizes:
                    wire = wire_history(k)
                    for variant in ("typed", "dicts"):
                        history = typed_history(wire) if variant == "typed" else wire
                        body = bench.sdk_body(history)
                        # The floor posts the very body the SDK builds for this history.
                        head = {key: body[key] for key in ("model", "instructions")}
                        tail = {key: v for key, v in body.items() if key not in head}
                        floor_wire = tail.pop("input")
                        cold = statistics.median(
                            cpu_per_turn(loop, bench.sdk(fresh), 1, 0)
                            for fresh in (
                                typed_history(wire) if variant == "typed" else wire
                                for _ in range(3)
                            )
                        )
                        cpu = measure(
                            loop,
                            {
                                "sdk": bench.sdk(history),
                                "floor": bench.floor(head, floor_wire, tail),
                            },
                            args.repeat,
                            args.seconds,
                        )
                        ratio = cpu["sdk"] / cpu["floor"]
                        ok = ratio <= TARGET
                        if variant == "typed":
                            checks.append((f"k={k} typed: sdk/floor {ratio:.2f} > {TARGET}", ok))
                        size = len(json.dumps(body, ensure_ascii=False, separators=(",", ":")))
                        rows.append(
                            [
                                f"{k:,}",
                                variant,
                                f"{size / 1e6:.2f}",
                                f"{cold * 1e3:.3f}",
                                f"{cpu['sdk'] * 1e3:.3f}",
                                f"{cpu['floor'] * 1e3:.3f}",
                                f"{ratio:.2f}",
                                ("ok" if ok else "MISSED") if variant == "typed" else "-",
                            ]
                        )
                        results.append(
                            {
                                "k": k,
                                "variant": variant,
                                "body_bytes": size,
                                "sdk_cold_seconds": cold,
                                "sdk_seconds": cpu["sdk"],
                                "floor_seconds": cpu["floor"],
                                "ratio": ratio,
                            }
                        )
                        print(f"  k={k:,} {variant}: {ratio:.2f}x", file=sys.stderr)
            finally:
                loop.run_until_complete(bench.aclose())
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()

    print()
    headers = ["k", "history", "body MB", "cold ms", "sdk ms", "floor ms", "sdk/floor", "verdict"]
    print_table(headers, rows, "rlrrrrrl")
    print(
        f"(ms of CPU per turn; cold = the SDK's first turn over never-sent items; "
        f"target sdk/floor <= {TARGET} for typed histories)"
    )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as file:
            json.dump(
                {
                    "benchmark": "history",
                    "python": platform.python_version(),
                    "json_backend": _json.BACKEND,
                    "repeat": args.repeat,
                    "results": results,
                    "targets_met": all(ok for _, ok in checks),
                },
                file,
                indent=2,
            )
        print(f"\nWrote {args.json}")
    return report_checks(checks, args.check)


if __name__ == "__main__":
    sys.exit(main())
