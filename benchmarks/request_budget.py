"""Request budget: REST requests per minute the app makes while idle, with the
trade_updates stream and without it (polling). Targets: <= 30 and <= 60 per minute, well
inside Alpaca's 200.

Counted from outside the app: it talks to the simulator through a loopback proxy that
counts every REST request it forwards. Without the stream the proxy refuses the
websocket, so the app falls back to polling as it would when the stream is down. The
market-data stream's websocket (/v2/iex, on the same host as the REST API here) is passed
through in both runs and counted apart: it is not a REST request."""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from collections import Counter

import aiohttp
from aiohttp import WSMsgType, web

from benchmarks.common import Result, SimulatorProcess, app_against
from tui.sim.datastream import DATA_STREAM_PATHS

STREAM_PATHS = ("/stream", "/stream/")
HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
                        "trailers", "transfer-encoding", "upgrade", "host", "content-length"})
WARM_UP = 5.0  # seconds after the panes show: start-up requests are not idle traffic


def _forwardable(headers) -> dict[str, str]:
    """Headers minus hop-by-hop ones and Host/Content-Length, which the next hop sets itself."""
    return {k: v for k, v in headers.items() if k.lower() not in HOP_BY_HOP}


class CountingProxy:
    """An HTTP + websocket proxy to `upstream` on a free loopback port, on its own thread
    and event loop, that notes each REST request it forwards as (time, "METHOD path").

    With allow_stream=False it answers the trade_updates websocket upgrade with 404 (and
    counts the attempts apart), as a server whose stream is down would. The market-data
    stream's websocket is always passed, and its connections counted apart."""

    def __init__(self, upstream: str, allow_stream: bool) -> None:
        self.upstream = upstream.rstrip("/")
        self.allow_stream = allow_stream
        self.requests: list[tuple[float, str]] = []
        self.stream_attempts = 0
        self.data_stream_connects = 0
        self.url = ""
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._session: aiohttp.ClientSession | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._serve()), name="counting-proxy",
                                        daemon=True)

    def start(self) -> CountingProxy:
        self._thread.start()
        if not self._ready.wait(10) or not self.url:
            raise RuntimeError("the counting proxy did not start")
        return self

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    def __enter__(self) -> CountingProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def counts(self, start: float, end: float) -> Counter[str]:
        """Requests forwarded in [start, end) (time.monotonic), by "METHOD path"."""
        with self._lock:
            return Counter(what for at, what in self.requests if start <= at < end)

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        # Bodies pass through as they are: the app decompresses, as it would from the server.
        async with aiohttp.ClientSession(auto_decompress=False,
                                         timeout=aiohttp.ClientTimeout(total=None)) as session:
            self._session = session
            server = web.Application()
            server.router.add_route("*", "/{tail:.*}", self._handle)
            runner = web.AppRunner(server, handle_signals=False, access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            try:
                await site.start()
                port = runner.addresses[0][1]
                self.url = f"http://127.0.0.1:{port}"
            finally:
                self._ready.set()
            try:
                await self._stop.wait()
            finally:
                await runner.cleanup()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.path in STREAM_PATHS and request.headers.get("Upgrade", "").lower() == "websocket":
            if not self.allow_stream:
                with self._lock:
                    self.stream_attempts += 1
                return web.Response(status=404, text="stream refused by the benchmark's proxy")
            return await self._websocket(request)
        if request.path in DATA_STREAM_PATHS and request.headers.get("Upgrade", "").lower() == "websocket":
            with self._lock:
                self.data_stream_connects += 1
            return await self._websocket(request)
        with self._lock:
            self.requests.append((time.monotonic(), f"{request.method} {request.path}"))
        body = await request.read()
        async with self._session.request(request.method, self.upstream + request.path_qs,
                                         headers=_forwardable(request.headers), data=body or None,
                                         allow_redirects=False) as upstream:
            payload = await upstream.read()
            return web.Response(status=upstream.status, reason=upstream.reason, body=payload,
                                headers=_forwardable(upstream.headers))

    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        """Both ways, frame by frame; whichever side closes, the other is closed with its code."""
        url = "ws" + self.upstream.removeprefix("http") + request.path_qs
        try:
            upstream = await self._session.ws_connect(url, headers=_forwardable(
                {k: v for k, v in request.headers.items() if not k.lower().startswith("sec-websocket")}))
        except aiohttp.WSServerHandshakeError as err:
            return web.Response(status=err.status, text=err.message)
        client = web.WebSocketResponse()
        await client.prepare(request)

        async def pump(source, sink) -> None:
            while True:
                msg = await source.receive()
                if msg.type is WSMsgType.TEXT:
                    await sink.send_str(msg.data)
                elif msg.type is WSMsgType.BINARY:
                    await sink.send_bytes(msg.data)
                elif msg.type is WSMsgType.CLOSE:  # the code and reason, as the app would see them
                    await sink.close(code=msg.data, message=(msg.extra or "").encode())
                    return
                elif msg.type in (WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR):
                    await sink.close(code=source.close_code or 1011)
                    return

        tasks = [asyncio.create_task(pump(client, upstream)), asyncio.create_task(pump(upstream, client))]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await upstream.close()
            await client.close()
        return client


def measure(upstream: str, stream: bool, window: float) -> Result:
    """The app at 80x24 against the proxy: past start-up and warm-up, count `window` seconds."""
    with CountingProxy(upstream, allow_stream=stream) as proxy, app_against(proxy.url, 80, 24) as terminal:
        if terminal.shows("Positions (", "Orders (", timeout=15) is None:
            raise RuntimeError(f"the app did not show its panes:\n{terminal.text()}")
        terminal.idle(WARM_UP)
        start = time.monotonic()
        terminal.idle(window)
        end = time.monotonic()
        by_path = proxy.counts(start, end)
        connection = "stream" if stream else "polling"
        # The status bar's connection word (tui/ui/widgets/statusbar.py).
        status = next((line.strip() for line in terminal.screen.display if "req/min" in line), "")
        shown = f"{'●' if stream else '◌'} {connection}" in status
        note = f"status bar says {connection!r}" if shown else f"status bar does NOT say {connection!r}: {status!r}"
        if not stream:
            note += f"; {proxy.stream_attempts} websocket attempts refused meanwhile"
    per_minute = sum(by_path.values()) * 60 / (end - start)
    name = f"requests/min idle, {connection}"
    return Result(name, round(per_minute, 1), "req/min", target=30 if stream else 60, note=note,
                  extra={"by_path": dict(by_path.most_common()), "window_s": round(end - start, 1)})


def run(quick: bool = False) -> list[Result]:
    window = 20.0 if quick else 60.0
    with SimulatorProcess("--portfolio", "sample") as sim:
        return [measure(sim.url, stream, window) for stream in (True, False)]


if __name__ == "__main__":
    for result in run(quick="--quick" in sys.argv):
        print(result)
