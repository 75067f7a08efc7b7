"""Concurrency: N streams at once through ONE client; do all N open, how fast, at what memory.

A local aiohttp server in its own process (127.0.0.1, random port, listen backlog 4096) answers
every POST to ``/backend-api/codex/responses`` with one pre-rendered SSE body: a realistic
one-message text response of ``--deltas`` text deltas (2,000: 2,008 events, about 400 KB),
written in 64 KiB writes. The first four events (``response.created`` ...) go out at once; the
rest is held back until the client has the first event of all N streams (it then posts a
release) or ``--hold`` seconds after the first request (a client that cannot open all N): so
"all N open at once" is tested, and timed, apart from the streaming that follows.

For each N (1, 10, 100, 500, 1,000; ``--quick``: up to 100) and each contender, a fresh child
process (so the peak RSS is that contender's alone) makes ONE client, consumes one warm-up
stream, then starts N concurrent streams and consumes every event of each:

- ``AsyncClient``: ``await client.responses.create(..., stream=True)``, ``async for`` every
  event, then ``get_final_response()`` (default options: no connection cap);
- ``AsyncOpenAI``: openai-python's ``responses.create(..., stream=True)``, iterated (httpx
  underneath, whose pool openai sets to 1,000 connections);
- ``floor``: raw aiohttp (``TCPConnector(limit=0)``), ``iter_any()`` chunks split on
  ``b"\\n\\n"``, ``json.loads`` of each data line, no models.

Reported per (N, contender): the most streams open at one moment (a stream is open from its
first event to its end) and whether that is all N; the time from starting the N streams to the
first event of the first and of the last of them; total events/s (all events / wall time, the
opening included); streams complete (every event and the full text); the child's RSS after the
warm-up and its peak RSS (``VmHWM``, else ``ru_maxrss``). Each stream stops at its first event
after ``--budget`` seconds (openai-python, at about 5,000 events/s, would need minutes for
1,000 x 2,008 events): the row then says how many were cut, and events/s is over the budget.

The cap check then runs ``AsyncClient(max_connections=100)`` at N=500: once with the default
timeout (streams beyond the cap wait for a pooled connection; all complete), once with
``timeout=--cap-timeout`` (a stream that waits longer than that for a connection must fail
with ``codex_open_client.APITimeoutError``, not hang).

Targets (``--check`` exits 1 on a miss): ``AsyncClient`` opens all N at once for every N and
every stream is complete; with ``max_connections=100`` at most about 100 are open at once and
all 500 complete; with the short timeout every failure is an ``APITimeoutError`` and the run
ends without a stream left hanging.

The open-file soft limit is raised to the hard limit first (the client's 1,000 sockets are in
its process, the server's 1,000 in another). Usage: ``python
tests/benchmarks/bench_concurrency.py [--quick] [--n 1 10 ...] [--deltas 2000] [--budget 20]
[--hold 10] [--only NAME ...] [--no-cap-check | --cap-only] [--cap-timeout 1] [--json out.json]
[--check]``
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import platform
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

# Only the standard library at the top: a contender's child imports its own client alone,
# so its RSS is that client's (aiohttp and _common are imported where they are needed).

FULL_N = (1, 10, 100, 500, 1000)
QUICK_N = (1, 10, 100)
CONTENDERS = ("AsyncClient", "AsyncOpenAI", "floor")
WRITE_SIZE = 64 * 1024
INSTRUCTIONS = "You are a helpful assistant."
PROMPT = "Write a story."
CAP = 100
CAP_N = 500
RESULT = "RESULT "
MIB = 1024 * 1024


#: In a request's body (the prompt), ``barrier:<run>:<hold>`` makes the server send the
#: stream's first frames at once, then hold the rest back until the client posts
#: ``release:<run>`` (once it has the first event of all its N streams: all N are open at
#: once) or ``hold`` seconds after the first of them arrived (a client that could not open
#: all N). Opening is thus timed apart from the streaming.
BARRIER = re.compile(rb"barrier:([A-Za-z0-9_.-]+):([0-9.]+)")
RELEASE = re.compile(rb"release:([A-Za-z0-9_.-]+)")
HEAD_FRAMES = 4  # created, in_progress, output_item.added, content_part.added


def make_handler(deltas: int) -> Callable[[Any], Awaitable[Any]]:
    """The server's handler (built in the server's process): the pre-rendered body."""
    from _common import delta_texts, render_frames
    from aiohttp import web

    frames = render_frames(delta_texts(deltas))
    head = b"".join(frames[:HEAD_FRAMES])
    rest = b"".join(frames[HEAD_FRAMES:])
    writes = [rest[i : i + WRITE_SIZE] for i in range(0, len(rest), WRITE_SIZE)]
    barriers: dict[bytes, asyncio.Event] = {}  # run -> released

    async def handler(request: web.Request) -> web.StreamResponse:
        body = await request.read()
        release = RELEASE.match(body)
        if release is not None:
            barriers.setdefault(release[1], asyncio.Event()).set()
            return web.Response(text="released")
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await response.prepare(request)
        try:
            await response.write(head)
            match = BARRIER.search(body)
            if match is not None:
                released = barriers.get(match[1])
                if released is None:
                    released = barriers[match[1]] = asyncio.Event()
                    asyncio.get_running_loop().call_later(float(match[2]), released.set)
                await released.wait()
            for chunk in writes:
                await response.write(chunk)
            await response.write_eof()
        except ConnectionResetError:
            pass  # a stream cut at the budget: the client went away
        return response

    return handler


# ----------------------------------------------------------------------------- the child


class Record:
    """What one stream did: events seen, when its first event came, when it ended, how."""

    __slots__ = (
        "count",
        "cut",
        "deadline",
        "end",
        "error",
        "first",
        "on_open",
        "opened_before_error",
        "prompt",
        "text",
    )

    def __init__(
        self,
        prompt: str = PROMPT,
        deadline: float = float("inf"),
        on_open: Callable[[], None] | None = None,
    ) -> None:
        #: Sent as the input: the server reads a barrier from it.
        self.prompt = prompt
        #: On the perf_counter clock: the stream stops at its first event after it.
        self.deadline = deadline
        self.on_open = on_open
        self.cut = False
        self.count = 0
        self.first: float | None = None
        self.end: float | None = None
        self.error: str | None = None
        self.opened_before_error = False
        self.text = 0

    def opened(self) -> None:
        """The stream's first event is here."""
        self.first = clock()
        if self.on_open is not None:
            self.on_open()


Consume = Callable[[Record], Awaitable[None]]
clock = time.perf_counter


def codex_contender(spec: dict[str, Any]) -> tuple[Consume, Callable[[], Awaitable[None]]]:
    import codex_open_client as codex

    options: dict[str, Any] = {"access_token": "t", "base_url": spec["url"], "max_retries": 0}
    if spec.get("max_connections") is not None:
        options["max_connections"] = spec["max_connections"]
    if spec.get("timeout") is not None:
        options["timeout"] = spec["timeout"]
    client = codex.AsyncClient(**options)

    async def consume(rec: Record) -> None:
        stream = await client.responses.create(
            model=spec["model"], instructions=INSTRUCTIONS, input=rec.prompt, stream=True
        )
        deadline = rec.deadline
        async with stream:
            async for _event in stream:
                if rec.count == 0:
                    rec.opened()
                rec.count += 1
                if clock() > deadline:
                    rec.cut = True
                    return
            final = await stream.get_final_response()
        rec.text = len(final.output_text)

    return consume, client.aclose


def openai_contender(spec: dict[str, Any]) -> tuple[Consume, Callable[[], Awaitable[None]]]:
    import openai

    client = openai.AsyncOpenAI(api_key="t", base_url=spec["url"], max_retries=0)
    model = spec["model"]

    async def consume(rec: Record) -> None:
        stream = await client.responses.create(
            model=model, instructions=INSTRUCTIONS, input=rec.prompt, stream=True, store=False
        )
        deadline = rec.deadline
        text = 0
        async with stream:
            async for event in stream:
                if rec.count == 0:
                    rec.opened()
                rec.count += 1
                if clock() > deadline:
                    rec.cut = True
                    return
                if event.type == "response.output_text.delta":
                    text += len(event.delta)
        rec.text = text

    return consume, client.close


def floor_contender(spec: dict[str, Any]) -> tuple[Consume, Callable[[], Awaitable[None]]]:
    import aiohttp
    from _common import split_data

    url = spec["url"] + "/responses"
    headers = {"Content-Type": "application/json", "Accept": "text/event-stream"}
    holder: list[aiohttp.ClientSession] = []

    async def consume(rec: Record) -> None:
        if not holder:
            holder.append(aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)))
        loads = json.loads
        deadline = rec.deadline
        text = 0
        body = {"model": spec["model"], "instructions": INSTRUCTIONS, "input": rec.prompt}
        data = json.dumps(body).encode()
        async with holder[0].post(url, data=data, headers=headers) as response:
            response.raise_for_status()
            buffer = b""
            async for chunk in response.content.iter_any():
                datas, buffer = split_data(buffer + chunk)
                for data in datas:
                    payload = loads(data)
                    if rec.count == 0:
                        rec.opened()
                    rec.count += 1
                    if clock() > deadline:
                        rec.cut = True
                        return
                    if payload["type"] == "response.output_text.delta":
                        text += len(payload["delta"])
        rec.text = text

    async def close() -> None:
        if holder:
            await holder.pop().close()

    return consume, close


BUILDERS = {
    "AsyncClient": codex_contender,
    "AsyncOpenAI": openai_contender,
    "floor": floor_contender,
}


FIRST_ERROR: list[str] = []


async def guarded(consume: Consume, rec: Record) -> None:
    try:
        await consume(rec)
    except Exception as exc:
        rec.error = type(exc).__name__
        rec.opened_before_error = rec.first is not None
        if not FIRST_ERROR:  # one sample per child, on stderr
            FIRST_ERROR.append(rec.error)
            detail = str(exc).splitlines()[0][:200] if str(exc) else ""
            print(f"  (first error: {type(exc).__module__}.{rec.error}: {detail})", file=sys.stderr)
    finally:
        rec.end = clock()


def peak_open(records: Sequence[Record]) -> int:
    """The most streams open at one moment (open: from the first event to the end)."""
    marks: list[tuple[float, int]] = []
    for rec in records:
        if rec.first is not None and rec.end is not None:
            marks += [(rec.first, 1), (rec.end, -1)]
    marks.sort()  # at a tie an end (-1) sorts first: never counts a hand-over as overlap
    now = best = 0
    for _, step in marks:
        now += step
        best = max(best, now)
    return best


async def post_release(url: str, run: str) -> None:
    """Tell the server to let the held streams of ``run`` go (plain asyncio: no client)."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    body = f"release:{run}".encode()
    head = (
        f"POST {parts.path}/responses HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Content-Type: text/plain\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(head.encode() + body)
        await writer.drain()
        await reader.read()
    finally:
        writer.close()
        await writer.wait_closed()


async def child_run(spec: dict[str, Any]) -> dict[str, Any]:
    from _common import peak_rss_bytes, rss_bytes

    consume, aclose = BUILDERS[spec["contender"]](spec)
    n = spec["n"]
    opened = 0
    all_open: list[float] = []
    releases: list[asyncio.Task[None]] = []

    def on_open() -> None:
        nonlocal opened
        opened += 1
        if opened == n:
            all_open.append(clock())
            releases.append(asyncio.create_task(post_release(spec["url"], spec["run"])))

    try:
        warm = Record("warm-up")
        await guarded(consume, warm)
        if warm.error is not None:
            return {"error": f"warm-up failed: {warm.error}"}
        gc.collect()
        base_rss = rss_bytes()
        prompt = f"barrier:{spec['run']}:{spec['hold']:g}"
        start = clock()
        records = [Record(prompt, start + spec["budget"], on_open) for _ in range(n)]
        tasks = [asyncio.create_task(guarded(consume, rec)) for rec in records]
        # The streams stop themselves at the deadline; this only guards against a hang.
        _, pending = await asyncio.wait(tasks, timeout=spec["budget"] + 60)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, *releases, return_exceptions=True)
    finally:
        await aclose()
    firsts = [rec.first for rec in records if rec.first is not None]
    stop = max(rec.end for rec in records if rec.end is not None)
    cut = sum(rec.cut for rec in records) + len(pending)
    errors = Counter(
        f"{rec.error} ({'after' if rec.opened_before_error else 'before'} the first event)"
        for rec in records
        if rec.error is not None
    )
    events = sum(rec.count for rec in records)
    return {
        "contender": spec["contender"],
        "n": n,
        "max_connections": spec.get("max_connections"),
        "timeout": spec.get("timeout"),
        "opened": len(firsts),
        "peak_open": peak_open(records),
        "first_open_s": min(firsts) - start if firsts else None,
        "all_open_s": all_open[0] - start if all_open else None,
        "last_open_s": max(firsts) - start if firsts else None,
        "wall_s": stop - start,
        "cut": cut,
        "hung": len(pending),
        "events": events,
        "events_per_s": events / (stop - start),
        "complete": sum(
            rec.error is None
            and rec.count == spec["stream_events"]
            and rec.text == spec["text_chars"]
            for rec in records
        ),
        "errors": dict(errors),
        "base_rss": base_rss,
        "peak_rss": peak_rss_bytes(),
    }


def child_main(spec_json: str) -> int:
    from _common import raise_open_file_limit

    raise_open_file_limit()
    spec = json.loads(spec_json)
    result = asyncio.run(child_run(spec))
    print(RESULT + json.dumps(result), flush=True)
    return 0


# ----------------------------------------------------------------------------- the parent


def run_child(spec: dict[str, Any]) -> dict[str, Any]:
    """Run one (contender, N) in a fresh interpreter; its result dict."""
    warnings = [f"-W{option}" for option in sys.warnoptions]  # e.g. -W error::ResourceWarning
    command = [sys.executable, *warnings, os.path.abspath(__file__), "--child", json.dumps(spec)]
    try:
        done = subprocess.run(
            command, stdout=subprocess.PIPE, text=True, timeout=spec["budget"] + 120, check=False
        )
    except subprocess.TimeoutExpired:
        return {"error": "the child process hung (killed)"}
    for line in reversed(done.stdout.splitlines()):
        if line.startswith(RESULT):
            result: dict[str, Any] = json.loads(line[len(RESULT) :])
            return result
    return {"error": f"the child process exited {done.returncode} without a result"}


def load_average() -> str:
    if not hasattr(os, "getloadavg"):
        return "-"
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def mib(value: int | None) -> str:
    return "-" if value is None else f"{value / MIB:,.0f}"


def seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def describe(result: dict[str, Any]) -> str:
    notes = []
    if result.get("hung"):
        notes.append(f"{result['hung']} hung (cancelled)")
    if result.get("cut"):
        notes.append(f"{result['cut']:,} cut at {result['wall_s']:.0f}s")
    notes += [f"{count} x {name}" for name, count in result.get("errors", {}).items()]
    return "; ".join(notes)


def main_table(results: list[dict[str, Any]]) -> None:
    from _common import print_table

    rows = []
    for r in results:
        if "error" in r:
            rows.append([str(r.get("n", "?")), r.get("contender", "?"), *["-"] * 8, r["error"]])
            continue
        n = r["n"]
        rows.append(
            [
                f"{n:,}",
                r["contender"],
                f"{r['peak_open']:,}/{n:,}",
                "yes" if r["peak_open"] == n else "NO",
                seconds(r["first_open_s"]),
                seconds(r["all_open_s"]),
                f"{r['events_per_s']:,.0f}",
                f"{r['complete']:,}",
                mib(r["base_rss"]),
                mib(r["peak_rss"]),
                describe(r),
            ]
        )
    headers = [
        "N",
        "contender",
        "open at once",
        "all",
        "1st open s",
        "all open s",
        "events/s",
        "complete",
        "RSS MiB",
        "peak MiB",
        "note",
    ]
    print_table(headers, rows, "rlrlrrrrrrl")


def cap_table(results: list[dict[str, Any]]) -> None:
    from _common import print_table

    rows = []
    for r in results:
        if "error" in r:
            rows.append([r.get("label", "?"), *["-"] * 6, r["error"]])
            continue
        rows.append(
            [
                r["label"],
                f"{r['peak_open']:,}/{r['n']:,}",
                seconds(r["all_open_s"]),
                f"{r['complete']:,}",
                f"{sum(r['errors'].values()):,}",
                f"{r['wall_s']:.2f}",
                f"{r['events_per_s']:,.0f}",
                describe(r) or "-",
            ]
        )
    headers = ["AsyncClient, N=500", "open at once", "all open s", "complete", "failed"]
    headers += ["wall s", "events/s", "what happened"]
    print_table(headers, rows, "lrrrrrrl")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", metavar="SPEC", help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help="N up to 100 only")
    parser.add_argument("--n", type=int, nargs="+", help="the N values (default 1 10 100 500 1000)")
    parser.add_argument("--deltas", type=int, default=2000, help="text deltas per stream")
    parser.add_argument(
        "--budget", type=float, default=20.0, help="seconds before a run is cut (default 20)"
    )
    parser.add_argument(
        "--hold",
        type=float,
        default=10.0,
        help="the most seconds the server holds streams back waiting for all N (default 10)",
    )
    parser.add_argument(
        "--only", nargs="+", metavar="NAME", help="contenders whose name contains one of these"
    )
    cap = parser.add_mutually_exclusive_group()
    cap.add_argument("--no-cap-check", action="store_true", help="skip the max_connections check")
    cap.add_argument("--cap-only", action="store_true", help="run only the max_connections check")
    parser.add_argument(
        "--cap-timeout",
        type=float,
        default=1.0,
        help="the short timeout of the cap check (default 1 s)",
    )
    parser.add_argument(
        "--cap-hold",
        type=float,
        default=3.0,
        help="how long the server holds the first streams of the cap check (default 3 s)",
    )
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child is not None:
        return child_main(args.child)

    import aiohttp
    from _common import (
        MODEL,
        ServerProcess,
        delta_texts,
        raise_open_file_limit,
        render_frames,
        report_checks,
    )

    import codex_open_client as codex

    soft, hard = raise_open_file_limit()
    n_values = args.n or (QUICK_N if args.quick else FULL_N)
    names = list(CONTENDERS)
    if args.only:
        wanted = [w.lower() for w in args.only]
        names = [name for name in names if any(w in name.lower() for w in wanted)]
    try:
        import openai
    except ImportError:
        print("openai is not installed: skipping it (pip install openai)", file=sys.stderr)
        names = [name for name in names if name != "AsyncOpenAI"]
        openai_version = "-"
    else:
        openai_version = openai.__version__
    frames = render_frames(delta_texts(args.deltas))
    stream_bytes = sum(len(f) for f in frames)
    text_chars = len("".join(delta_texts(args.deltas)))
    needed = 2 * max([*n_values, CAP_N]) + 64
    started = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    print(
        f"{started}; Python {platform.python_version()} on {platform.platform()}, "
        f"{os.cpu_count()} CPUs, load average {load_average()}; aiohttp {aiohttp.__version__}, "
        f"codex-open-client {codex.__version__}, openai {openai_version}"
    )
    print(
        f"Stream: {len(frames):,} events ({args.deltas:,} text deltas), {stream_bytes:,} bytes "
        f"in 64 KiB writes; server in its own process; open files: soft {soft:,}, hard {hard:,}"
        + (f" (fewer than the ~{needed:,} needed!)" if soft < needed else "")
    )
    spec_base = {
        "model": MODEL,
        "stream_events": len(frames),
        "text_chars": text_chars,
        "budget": args.budget,
        "hold": args.hold,
    }
    results: list[dict[str, Any]] = []
    cap_results: list[dict[str, Any]] = []
    wall = time.perf_counter()
    with ServerProcess(make_handler, args.deltas) as server:
        spec_base["url"] = server.base_url
        if not args.cap_only:
            for n in n_values:
                for name in names:
                    print(f"  N={n:,} {name} ...", file=sys.stderr, flush=True)
                    spec = {**spec_base, "contender": name, "n": n, "run": f"{name}-{n}"}
                    result = run_child(spec)
                    results.append({"contender": name, "n": n, **result})
        if not args.no_cap_check:
            for run, label, timeout, hold in (
                ("cap", f"max_connections={CAP}", None, args.cap_hold),
                (
                    "cap-timeout",
                    f"max_connections={CAP}, timeout={args.cap_timeout:g}",
                    args.cap_timeout,
                    args.cap_timeout / 2,
                ),
            ):
                print(f"  cap check: {label} ...", file=sys.stderr, flush=True)
                spec = {**spec_base, "contender": "AsyncClient", "n": CAP_N, "run": run}
                spec |= {"max_connections": CAP, "timeout": timeout, "hold": hold}
                cap_results.append({"label": label, **run_child(spec)})
    wall = time.perf_counter() - wall

    checks: list[tuple[str, bool]] = []
    if results:
        print()
        main_table(results)
        print(
            "(open at once = the most streams open at one moment, open meaning between a "
            "stream's first event and its end; all = all N; 1st/all open s = from starting the "
            "N streams to the first event of the first/last of them; events/s = all events / "
            f"wall time; complete = streams with all {len(frames):,} events and the full text "
            "(openai: the deltas' text); RSS = the child after its warm-up stream, peak = its "
            "VmHWM)"
        )
        for r in results:
            if r.get("contender") != "AsyncClient":
                continue
            n = r["n"]
            ok = "error" not in r and r["peak_open"] == n
            checks.append((f"AsyncClient did not open all {n:,} streams at once", ok))
            ok = "error" not in r and r["complete"] == n
            checks.append((f"AsyncClient lost events or text at N={n:,}", ok))
    if cap_results:
        print()
        cap_table(cap_results)
        print(
            f"(the first row waits for pooled connections with the default timeout; the second "
            f"fails a stream that waits more than {args.cap_timeout:g} s for one; open at once "
            "can exceed the cap by a few: aiohttp frees a connection when the body's last "
            "byte arrives, before the caller has consumed the last buffered events)"
        )
        capped, short = cap_results
        ok = "error" not in capped and capped["complete"] == CAP_N
        ok = ok and capped["peak_open"] < CAP_N and capped["peak_open"] <= CAP + 10
        checks.append((f"max_connections={CAP}: not capped or not all complete", ok))
        timeouts = (
            0
            if "error" in short
            else short["errors"].get("APITimeoutError (before the first event)", 0)
        )
        others = 1 if "error" in short else sum(short["errors"].values()) - timeouts
        ok = timeouts > 0 and others == 0 and not short.get("cut")
        checks.append((f"timeout={args.cap_timeout:g}: not only APITimeoutError, or hung", ok))
    print(
        f"\nFinished {time.strftime('%Y-%m-%d %H:%M:%S %Z')}, {wall:.0f} s in all, "
        f"load average {load_average()}."
    )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as file:
            json.dump(
                {
                    "benchmark": "concurrency",
                    "started": started,
                    "python": platform.python_version(),
                    "deltas": args.deltas,
                    "stream_events": len(frames),
                    "results": results,
                    "cap_check": cap_results,
                    "targets_met": all(ok for _, ok in checks),
                },
                file,
                indent=2,
            )
        print(f"Wrote {args.json}")
    return report_checks(checks, args.check)


if __name__ == "__main__":
    sys.exit(main())
