"""Shared pieces of the benchmark scripts: a local SSE server thread, stream rendering, tables.

Not a benchmark itself. The scripts import it as a sibling module (``python
tests/benchmarks/bench_x.py`` puts this directory first on ``sys.path``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import threading
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiohttp import web

#: Where the SDK (and openai, given the same base URL) posts: ``{BASE_PATH}/responses``.
BASE_PATH = "/backend-api/codex"
MODEL = "gpt-5.1-codex-mini"
RESPONSE_ID = "resp_1"
ITEM_ID = "msg_1"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# Short, varied pieces, like the tokens a model streams.
_WORDS = ("The", " quick", " brown", " fox", " jumps", " over", " the", " lazy", " dog", ".\n")


def frame(payload: dict[str, Any]) -> bytes:
    """One SSE frame, as the backend writes it: ``event: <type>`` then ``data: <json>``."""
    data = json.dumps(payload, separators=(",", ":"))
    return f"event: {payload['type']}\ndata: {data}\n\n".encode()


def _response(status: str, output_tokens: int | None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "id": RESPONSE_ID,
        "object": "response",
        "created_at": 1700000000,
        "status": status,
        "model": MODEL,
        # The real backend sends an empty output even in response.completed.
        "output": [],
    }
    if output_tokens is not None:
        response["usage"] = {
            "input_tokens": 10,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": output_tokens,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": 10 + output_tokens,
        }
    return response


def delta_texts(count: int) -> list[str]:
    """``count`` text deltas."""
    return [_WORDS[i % len(_WORDS)] for i in range(count)]


def render_frames(deltas: Sequence[str]) -> list[bytes]:
    """Every frame of a realistic one-message text response made of ``deltas``.

    ``response.created``, ``response.in_progress``, ``response.output_item.added``,
    ``response.content_part.added``, the deltas, ``response.output_text.done``,
    ``response.content_part.done``, ``response.output_item.done`` (the full message) and
    ``response.completed`` (with ``output: []``, like the real backend).
    """
    text = "".join(deltas)
    seq = iter(range(1 << 62))
    part_done = {"type": "output_text", "text": text, "annotations": []}
    message = {
        "id": ITEM_ID,
        "type": "message",
        "status": "completed",
        "role": "assistant",
        "content": [part_done],
    }
    where = {"item_id": ITEM_ID, "output_index": 0, "content_index": 0}
    frames = [
        frame(
            {
                "type": "response.created",
                "sequence_number": next(seq),
                "response": _response("in_progress", None),
            }
        ),
        frame(
            {
                "type": "response.in_progress",
                "sequence_number": next(seq),
                "response": _response("in_progress", None),
            }
        ),
        frame(
            {
                "type": "response.output_item.added",
                "sequence_number": next(seq),
                "output_index": 0,
                "item": {**message, "status": "in_progress", "content": []},
            }
        ),
        frame(
            {
                "type": "response.content_part.added",
                "sequence_number": next(seq),
                **where,
                "part": {"type": "output_text", "text": "", "annotations": []},
            }
        ),
    ]
    frames += [
        frame(
            {
                "type": "response.output_text.delta",
                "sequence_number": next(seq),
                **where,
                "delta": delta,
                "logprobs": [],
            }
        )
        for delta in deltas
    ]
    frames += [
        frame(
            {
                "type": "response.output_text.done",
                "sequence_number": next(seq),
                **where,
                "text": text,
                "logprobs": [],
            }
        ),
        frame(
            {
                "type": "response.content_part.done",
                "sequence_number": next(seq),
                **where,
                "part": part_done,
            }
        ),
        frame(
            {
                "type": "response.output_item.done",
                "sequence_number": next(seq),
                "output_index": 0,
                "item": message,
            }
        ),
        frame(
            {
                "type": "response.completed",
                "sequence_number": next(seq),
                "response": _response("completed", len(deltas)),
            }
        ),
    ]
    return frames


def split_data(buffer: bytes) -> tuple[list[bytes], bytes]:
    """The floor's SSE reader: the ``data:`` payloads of the complete frames in ``buffer``,
    and the incomplete rest to prepend to the next chunk. One call per network chunk."""
    frames = buffer.split(b"\n\n")
    rest = frames.pop()
    return [
        line[6:] for frame in frames for line in frame.split(b"\n") if line.startswith(b"data: ")
    ], rest


async def start_sse(request: web.Request) -> web.StreamResponse:
    """Read the request body and send the headers of an ``text/event-stream`` answer."""
    await request.read()
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
    )
    await response.prepare(request)
    return response


class ServerThread:
    """An ``aiohttp.web`` server on 127.0.0.1 (random port) running its own loop in a thread.

    Use as a context manager: the server is up inside the block and stopped cleanly after it.
    """

    def __init__(self, handler: Handler) -> None:
        self._handler = handler
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="bench-server", daemon=True)
        self.port = 0

    @property
    def base_url(self) -> str:
        """The base URL to give the clients."""
        return f"http://127.0.0.1:{self.port}{BASE_PATH}"

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._start())
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        self._loop.run_forever()

    async def _start(self) -> None:
        app = web.Application()
        for path in (f"{BASE_PATH}/responses", "/v1/responses"):
            app.router.add_post(path, self._handler)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        address = self._runner.addresses[0]
        self.port = int(address[1])

    def __enter__(self) -> ServerThread:
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            self._thread.join()
            self._loop.close()
            raise RuntimeError(f"the benchmark server did not start: {self._error!r}")
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._runner is not None:
            future = asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop)
            future.result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)
        self._loop.run_until_complete(self._loop.shutdown_asyncgens())
        self._loop.close()


def print_table(headers: Sequence[str], rows: Sequence[Sequence[str]], align: str = "") -> None:
    """Print a plain-text table; ``align`` has one ``l`` or ``r`` per column (default: the
    first column left, the others right)."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]
    align = align or "l" + "r" * (len(widths) - 1)

    def line(cells: Sequence[str]) -> str:
        out = [
            str(cell).rjust(width) if how == "r" else str(cell).ljust(width)
            for cell, width, how in zip(cells, widths, align, strict=True)
        ]
        return "  ".join(out).rstrip()

    print(line(headers))
    print("  ".join("-" * width for width in widths))
    for row in rows:
        print(line(row))


def report_checks(checks: Sequence[tuple[str, bool]], enforce: bool) -> int:
    """Print the target verdicts; the exit status: 1 if ``enforce`` and a target was missed."""
    missed = [name for name, ok in checks if not ok]
    if not checks:
        print("\nNo target was measured.")
        return 0
    if not missed:
        print("\nAll targets met.")
        return 0
    print(f"\nMissed {len(missed)} target(s): " + "; ".join(missed), file=sys.stderr)
    if enforce:
        return 1
    print("(not enforced: pass --check to fail on a missed target)")
    return 0


# ----------------------------------------------------------------------------- processes


def raise_open_file_limit() -> tuple[int, int]:
    """Raise this process's soft limit of open files to its hard limit (children inherit it).

    Returns the (soft, hard) limits now in force. Where the hard limit is unlimited and the
    system refuses that (macOS), the soft limit is raised as far as the system takes.
    """
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    for wanted in (hard, 1 << 20, 10240):
        if wanted != resource.RLIM_INFINITY and wanted <= soft:
            break
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        except (ValueError, OSError):
            continue
        break
    return resource.getrlimit(resource.RLIMIT_NOFILE)


def _status_kib(field: str) -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as file:
            for line in file:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def peak_rss_bytes() -> int:
    """This process's peak resident set size: ``VmHWM`` (Linux), else ``ru_maxrss``."""
    kib = _status_kib("VmHWM")
    if kib is not None:
        return kib * 1024
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # bytes on macOS, KiB elsewhere


def rss_bytes() -> int | None:
    """This process's resident set size now (``VmRSS``), or None where /proc is missing."""
    kib = _status_kib("VmRSS")
    return None if kib is None else kib * 1024


#: Makes the handler in the server's process; must be a module-level function (it is pickled).
HandlerFactory = Callable[..., Handler]


def _serve_in_process(
    make_handler: HandlerFactory, args: tuple[Any, ...], backlog: int, conn: Any
) -> None:
    """The server process: serve until the parent says stop (or goes away)."""
    raise_open_file_limit()

    async def serve() -> None:
        handler = make_handler(*args)
        app = web.Application()
        for path in (f"{BASE_PATH}/responses", "/v1/responses"):
            app.router.add_post(path, handler)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        try:
            site = web.TCPSite(runner, "127.0.0.1", 0, backlog=backlog)
            await site.start()
            conn.send(("port", int(runner.addresses[0][1])))
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            loop.add_reader(conn.fileno(), stop.set)  # a message, or EOF if the parent died
            await stop.wait()
            loop.remove_reader(conn.fileno())
        finally:
            await runner.cleanup()

    try:
        asyncio.run(serve())
    except BaseException as exc:
        with contextlib.suppress(OSError):
            conn.send(("error", repr(exc)))
        raise


class ServerProcess:
    """Like ``ServerThread``, but the server runs in a child process (own interpreter and GIL),
    so the clients measured here do not share a core's worth of Python with it.

    ``make_handler(*args)`` is called in the child to build the handler; it must be a
    module-level function of an importable module (or of the script run as ``__main__``).
    The listen backlog is ``backlog`` (aiohttp's default is 128, which drops the SYNs of a
    burst of a thousand connects: they are retried a second later). Use as a context manager.
    """

    def __init__(self, make_handler: HandlerFactory, *args: Any, backlog: int = 4096) -> None:
        import multiprocessing

        self._context = multiprocessing.get_context("spawn")
        self._conn, child_conn = self._context.Pipe()
        self._process = self._context.Process(
            target=_serve_in_process,
            args=(make_handler, args, backlog, child_conn),
            name="bench-server",
            daemon=True,
        )
        self._child_conn = child_conn
        self.port = 0

    @property
    def base_url(self) -> str:
        """The base URL to give the clients."""
        return f"http://127.0.0.1:{self.port}{BASE_PATH}"

    @property
    def pid(self) -> int | None:
        """The server process's id."""
        return self._process.pid

    def __enter__(self) -> ServerProcess:
        self._process.start()
        self._child_conn.close()
        message: tuple[str, Any] | None = None
        if self._conn.poll(120):
            with contextlib.suppress(EOFError):
                message = self._conn.recv()
        if message is None or message[0] != "port":
            self._stop()
            raise RuntimeError(f"the benchmark server process did not start: {message!r}")
        self.port = int(message[1])
        return self

    def _stop(self) -> None:
        with contextlib.suppress(OSError):
            self._conn.send("stop")
        self._process.join(timeout=30)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(timeout=10)
        self._conn.close()

    def __exit__(self, *exc_info: object) -> None:
        self._stop()
