"""A fake Alpaca on loopback that the test scripts: REST answers per (method, path) and a
trade_updates websocket, for testing what the app does when the server misbehaves.

Use the `hostile` fixture (import it into the test module, or into conftest.py):

    from .hostile import hostile  # noqa: F401  (the fixture)

    def test_something(hostile, make_sim):
        fake = hostile(upstream=make_sim().url)  # unscripted paths go to a real simulator
        fake.answer("POST", "/v2/orders", trickle=(1, 2.0))  # one byte every 2 s
        fake.answer("GET", "/v2/account", status=500, body=b"<html>oops")
        fake.answer("GET", "/v2/clock", redirect="http://elsewhere/v2/clock")  # 307 by default
        fake.answer("GET", "/v2/positions", json=[{"symbol": "\\x1b[2J"}], headers={"X-A": "b"})
        fake.answer("GET", "/v2/assets/AAPL", trickle_headers=(1, 0.5))  # even the status line trickles
        ... point the app at fake.url (REST) / fake.stream_url (websocket) ...
        assert fake.requests[-1].path == "/v2/orders"

    Without `upstream`, an unscripted path answers 404 {"code": 40410000, ...}. A rule
    applies to every matching request; `times=n` makes it apply n times, then fall through.
    The query string is not part of the path.

The websocket at /stream authorizes any keys (or answers `auth_reply`), acknowledges
`listen` for trade_updates, then sends whatever the test pushes:

        fake.push({"stream": "trade_updates", "data": {...}})  # JSON, as a text frame
        fake.push(b"\\xff\\xfe", binary=True)                  # raw bytes as a binary frame
        fake.push("not json")                                 # any text
        fake.redirect_stream("http://127.0.0.1:9/stream", status=301)  # answer the upgrade with a redirect
        wait_for(lambda: fake.stream_received)                # what clients sent (text frames, parsed if JSON)

Every request (REST and websocket upgrade) is recorded in `fake.requests` with its method,
path, query, headers and body, so a second fake can prove that nothing reached it.
The servers run on a thread with their own event loop, like the simulator's
BackgroundSimulator; everything is stopped after the test.
"""

from __future__ import annotations

import asyncio
import json as jsonlib
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import aiohttp
import pytest
from aiohttp import web

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding", "host",
              "upgrade", "proxy-connection", "te", "trailer"}


@dataclass
class Rule:
    status: int = 200
    json: Any = None
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    redirect: str | None = None
    trickle: tuple[int, float] | None = None  # (bytes, seconds): the body, N bytes every S seconds
    trickle_headers: tuple[int, float] | None = None  # the whole response, status line included
    delay: float = 0.0  # seconds before anything is sent
    times: int | None = None  # None: every time

    def payload(self) -> bytes:
        if self.body is not None:
            return self.body
        if self.json is not None:
            return jsonlib.dumps(self.json).encode()
        return b""


@dataclass
class Seen:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes


class FakeAlpaca:
    def __init__(self, upstream: str | None = None) -> None:
        self.upstream = upstream.rstrip("/") if upstream else None
        self.rules: dict[tuple[str, str], Rule] = {}
        self.requests: list[Seen] = []
        self.stream_received: list[Any] = []
        self.stream_redirect: tuple[str, int] | None = None
        self.auth_reply: Any = {"stream": "authorization", "data": {"status": "authorized", "action": "authenticate"}}
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="hostile-alpaca", daemon=True)
        self._runner: web.AppRunner | None = None
        self._sockets: set[web.WebSocketResponse] = set()
        self._client: aiohttp.ClientSession | None = None
        self._stopping = False
        self._lock = threading.Lock()

    # ---- scripting, from the test's thread -----------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def stream_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/stream"

    def answer(self, method: str, path: str, **rule: Any) -> Rule:
        """Script the answer to `method path` (see Rule for the options)."""
        if "redirect" in rule and "status" not in rule:
            rule["status"] = 307
        made = Rule(**rule)
        with self._lock:
            self.rules[(method.upper(), path)] = made
        return made

    def forget(self, method: str, path: str) -> None:
        with self._lock:
            self.rules.pop((method.upper(), path), None)

    def redirect_stream(self, location: str, status: int = 307) -> None:
        self.stream_redirect = (location, status)

    def push(self, frame: Any, *, binary: bool = False) -> None:
        """Send a frame to every listening websocket client: dicts and lists as JSON text."""
        if isinstance(frame, (dict, list)):
            frame = jsonlib.dumps(frame)
        asyncio.run_coroutine_threadsafe(self._push(frame, binary), self._loop).result(timeout=5)

    @property
    def listeners(self) -> int:
        return len(self._sockets)

    def paths(self, method: str | None = None) -> list[str]:
        return [r.path for r in self.requests if method is None or r.method == method.upper()]

    # ---- life -----------------------------------------------------------------------------

    def start(self) -> FakeAlpaca:
        self._thread.start()

        async def boot() -> None:
            app = web.Application()
            app.router.add_route("*", "/stream", self._stream)
            app.router.add_route("*", "/{tail:.*}", self._rest)
            self._runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.5)
            await self._runner.setup()
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            await site.start()
            self.port = self._runner.addresses[0][1]

        asyncio.run_coroutine_threadsafe(boot(), self._loop).result(timeout=10)
        return self

    def stop(self) -> None:
        if self._loop.is_closed():
            return
        self._stopping = True

        async def down() -> None:
            for ws in list(self._sockets):
                await ws.close()
            if self._client is not None:
                await self._client.close()
            if self._runner is not None:
                await self._runner.cleanup()

        try:
            asyncio.run_coroutine_threadsafe(down(), self._loop).result(timeout=10)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
            self._loop.close()

    # ---- serving, on the loop ------------------------------------------------------------

    async def _record(self, request: web.Request) -> Seen:
        body = await request.read() if request.can_read_body else b""
        seen = Seen(request.method, request.path, request.query_string, dict(request.headers), body)
        self.requests.append(seen)
        return seen

    def _rule(self, method: str, path: str) -> Rule | None:
        with self._lock:
            rule = self.rules.get((method, path))
            if rule is None:
                return None
            if rule.times is not None:
                if rule.times <= 0:
                    return None
                rule.times -= 1
            return rule

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        seen = await self._record(request)
        rule = self._rule(request.method, request.path)
        if rule is None:
            if self.upstream:
                return await self._proxy(seen)
            return web.json_response({"code": 40410000, "message": "not found"}, status=404)
        if rule.delay:
            await asyncio.sleep(rule.delay)
        if rule.trickle_headers:
            return await self._trickle_raw(request, rule)
        headers = dict(rule.headers)
        if rule.redirect:
            headers["Location"] = rule.redirect
        if rule.json is not None and rule.body is None:
            headers.setdefault("Content-Type", "application/json")
        payload = rule.payload()
        if not rule.trickle:
            return web.Response(status=rule.status, body=payload, headers=headers)
        response = web.StreamResponse(status=rule.status, headers=headers)
        response.content_length = len(payload) if payload else 1 << 20  # a long body, promised
        await response.prepare(request)
        step, every = rule.trickle
        sent = 0
        while not self._stopping:
            chunk = payload[sent:sent + step] if payload else b" " * step
            if payload and not chunk:
                break
            await response.write(chunk)
            sent += step
            await asyncio.sleep(every)
        return response

    async def _trickle_raw(self, request: web.Request, rule: Rule) -> web.StreamResponse:
        """The whole response, status line first, a few bytes at a time, straight on the socket."""
        payload = rule.payload()
        head = f"HTTP/1.1 {rule.status} X\r\nContent-Length: {len(payload)}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in rule.headers.items()) + "\r\n"
        raw = head.encode() + payload
        transport = request.transport
        step, every = rule.trickle_headers
        for start in range(0, len(raw), step):
            if self._stopping or transport is None or transport.is_closing():
                break
            transport.write(raw[start:start + step])
            await asyncio.sleep(every)
        if transport is not None:
            transport.close()
        raise asyncio.CancelledError  # the answer went out by hand: aiohttp must not write another

    async def _proxy(self, seen: Seen) -> web.Response:
        if self._client is None:
            self._client = aiohttp.ClientSession(auto_decompress=False)
        headers = {k: v for k, v in seen.headers.items() if k.lower() not in HOP_BY_HOP}
        url = self.upstream + seen.path + (f"?{seen.query}" if seen.query else "")
        async with self._client.request(seen.method, url, headers=headers, data=seen.body or None,
                                        allow_redirects=False) as answer:
            body = await answer.read()
            out = {k: v for k, v in answer.headers.items() if k.lower() not in HOP_BY_HOP}
            return web.Response(status=answer.status, body=body, headers=out)

    async def _stream(self, request: web.Request) -> web.StreamResponse:
        await self._record(request)
        if self.stream_redirect is not None:
            location, status = self.stream_redirect
            return web.Response(status=status, headers={"Location": location})
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for msg in ws:
            if msg.type is not aiohttp.WSMsgType.TEXT:
                continue
            try:
                message = jsonlib.loads(msg.data)
            except ValueError:
                message = msg.data
            self.stream_received.append(message)
            action = message.get("action") if isinstance(message, dict) else None
            if action == "authenticate":
                await ws.send_str(jsonlib.dumps(self.auth_reply))
            elif action == "listen":
                await ws.send_str(jsonlib.dumps({"stream": "listening", "data": {"streams": ["trade_updates"]}}))
                self._sockets.add(ws)
        self._sockets.discard(ws)
        return ws

    async def _push(self, frame: Any, binary: bool) -> None:
        for ws in list(self._sockets):
            if binary:
                await ws.send_bytes(frame if isinstance(frame, bytes) else str(frame).encode())
            else:
                await ws.send_str(frame if isinstance(frame, str) else frame.decode("utf-8", "replace"))


@pytest.fixture
def hostile() -> Iterator[Callable[..., FakeAlpaca]]:
    """Start fake Alpacas: hostile(upstream=None) -> FakeAlpaca; all stopped after the test."""
    made: list[FakeAlpaca] = []

    def start(upstream: str | None = None) -> FakeAlpaca:
        fake = FakeAlpaca(upstream).start()
        made.append(fake)
        return fake

    yield start
    for fake in made:
        fake.stop()
