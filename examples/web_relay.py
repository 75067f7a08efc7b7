"""A small aiohttp web service that relays the model's answer to a browser as it is written.

``python examples/web_relay.py`` serves http://127.0.0.1:8080/ until Ctrl-C: the page asks a
question and shows the answer arriving token by token, sent as server-sent events (SSE).
With ``CODEX_OPEN_CLIENT_FAKE=1`` it starts on a free port, asks itself once, and exits.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import aiohttp
from _support import FAKE, client_kwargs
from aiohttp import web

import codex_open_client

CLIENT = web.AppKey("client", codex_open_client.AsyncClient)

PAGE = """<!doctype html><title>Ask</title>
<form><input name="q" value="What are server-sent events?" size="50"><button>Ask</button></form>
<pre id="out"></pre>
<script>
document.querySelector("form").onsubmit = (e) => {
  e.preventDefault();
  const out = document.getElementById("out"), q = new FormData(e.target).get("q");
  out.textContent = "";
  const source = new EventSource("/ask?q=" + encodeURIComponent(q));
  source.onmessage = (m) => { out.textContent += JSON.parse(m.data); };
  source.addEventListener("done", () => source.close());
  source.addEventListener("failed", (m) => { out.textContent += "\\n" + JSON.parse(m.data); });
  source.onerror = () => source.close();
};
</script>"""


async def index(request: web.Request) -> web.Response:
    return web.Response(text=PAGE, content_type="text/html")


async def ask(request: web.Request) -> web.StreamResponse:
    question = request.query.get("q", "Hello!")
    sse = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
    )
    await sse.prepare(request)
    # One shared client for every request. If the browser goes away, write() raises and the
    # `async with` closes the model's stream too, so nobody pays for an unread answer.
    try:
        async with request.app[CLIENT].responses.stream(
            model="gpt-5.1-codex-mini", instructions="Be brief.", input=question
        ) as stream:
            async for text in stream.text_deltas():
                # JSON-encode each delta: a delta may contain newlines, which end an SSE field.
                await sse.write(f"data: {json.dumps(text)}\n\n".encode())
    except codex_open_client.CodexError as exc:  # the headers are sent: report it in-band
        await sse.write(f"event: failed\ndata: {json.dumps(str(exc))}\n\n".encode())
    else:
        await sse.write(b"event: done\ndata: {}\n\n")
    return sse


async def codex_client(app: web.Application) -> AsyncIterator[None]:
    # Created on the app's event loop, closed when the app shuts down.
    async with codex_open_client.AsyncClient(**client_kwargs("web_relay")) as client:
        app[CLIENT] = client
        yield


def make_app() -> web.Application:
    app = web.Application()
    app.cleanup_ctx.append(codex_client)
    app.add_routes([web.get("/", index), web.get("/ask", ask)])
    return app


async def try_once() -> None:
    """Serve on a free port, read one answer with aiohttp's client, print it, shut down."""
    runner = web.AppRunner(make_app())
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        url = f"http://{host}:{port}/ask"
        async with (
            aiohttp.ClientSession() as session,
            session.get(url, params={"q": "What are server-sent events?"}) as response,
        ):
            print(f"GET {url} -> {response.status} {response.content_type}")
            event, answer = "message", []  # the current event's type, the text so far
            async for raw in response.content:  # one line at a time, as it arrives
                line = raw.decode().rstrip("\r\n")
                if line.startswith("event: "):
                    event = line.removeprefix("event: ")
                elif line.startswith("data: ") and event == "message":
                    print(line)
                    answer.append(json.loads(line.removeprefix("data: ")))
                elif not line:  # a blank line ends an event
                    event = "message"
            print("answer:", "".join(answer))
    finally:
        await runner.cleanup()


if FAKE:
    asyncio.run(try_once())
else:
    web.run_app(make_app(), host="127.0.0.1", port=8080)
