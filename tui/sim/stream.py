"""The trade_updates websocket: authentication first, then listen, then the engine's events.

Alpaca's paper stream answers in binary frames, refuses a second connection per key, and
keeps a connection that sends a bad listen request (it says so instead). Every order
change the exchange emits goes to every connection listening to trade_updates, in order.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Callable

from aiohttp import WSMsgType, web

from .engine import Exchange
from .requests import MAX_JSON_DEPTH, json_depth
from .wire import MAX_BODY_BYTES, dumps

AUTH_TIMEOUT = 10.0  # seconds a stream client has to authenticate
STREAM_PATHS = ("/stream", "/stream/")


class TradeUpdates:
    """The stream's connections over one exchange; `authorized(key, secret)` is the app's check."""

    def __init__(self, exchange: Exchange, authorized: Callable[[str | None, str | None], bool],
                 connections_per_key: int) -> None:
        self.exchange = exchange
        self.authorized = authorized
        self.connections_per_key = connections_per_key  # as at Alpaca: 1
        self.streams: dict[str, int] = {}  # authenticated connections per key
        self.sockets: set[web.WebSocketResponse] = set()

    async def close_all(self, _app: web.Application) -> None:
        for ws in list(self.sockets):
            await ws.close(code=1001, message=b"server shutdown")

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        # A frame over MAX_BODY_BYTES closes the socket cleanly (1009, message too big).
        ws = web.WebSocketResponse(heartbeat=None, autoping=True, max_msg_size=MAX_BODY_BYTES)
        await ws.prepare(request)
        self.sockets.add(ws)
        key: str | None = None
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        listening = False

        def listener(message: dict[str, Any]) -> None:
            if listening:
                queue.put_nowait(message)

        sender = asyncio.create_task(self._pump(ws, queue))
        try:
            key = await self._authenticate(ws)
            if key is None:
                return ws
            self.exchange.listeners.append(listener)
            async for msg in ws:
                if msg.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                    break
                request_body = self._decode(msg.data)
                if request_body is not None and request_body.get("action") not in ("listen", None):
                    continue  # another action (a second authenticate): nothing to answer
                data = request_body.get("data") if request_body is not None else None
                streams = data.get("streams") if isinstance(data, dict) else None
                if not isinstance(streams, list):
                    # Not JSON, not an object, or a listen without a list of streams: say so and
                    # keep the connection, as Alpaca does.
                    await ws.send_bytes(dumps({"stream": "listening", "data": {"error": "invalid syntax"}}).encode())
                    continue
                listening = "trade_updates" in streams
                await ws.send_bytes(dumps({"stream": "listening",
                                           "data": {"streams": ["trade_updates"] if listening else []}}).encode())
        except ConnectionResetError:
            pass  # the client went away while we were answering it
        finally:
            sender.cancel()
            if listener in self.exchange.listeners:
                self.exchange.listeners.remove(listener)
            if key is not None:
                self.streams[key] -= 1
            self.sockets.discard(ws)
        return ws

    @staticmethod
    def _decode(data: str | bytes) -> dict[str, Any] | None:
        """A client's message as a JSON object; None when it is not one (or nests absurdly)."""
        try:
            body = json.loads(data)
        except (ValueError, RecursionError):  # bad JSON, bad UTF-8, or nesting the parser refuses
            return None
        if not isinstance(body, dict) or json_depth(body) > MAX_JSON_DEPTH:
            return None
        return body

    async def _authenticate(self, ws: web.WebSocketResponse) -> str | None:
        """The first message must authenticate; the reply is the first thing we send."""
        try:
            msg = await ws.receive(timeout=AUTH_TIMEOUT)
        except asyncio.TimeoutError:
            await ws.close(code=1008, message=b"authentication timeout")
            return None
        if msg.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
            return None  # closed before authenticating: there is no one to answer
        decoded = self._decode(msg.data)
        body = decoded or {}
        data = body.get("data")
        key: Any = None
        secret: Any = None
        if body.get("action") == "authenticate" and isinstance(data, dict):
            key, secret = data.get("key_id"), data.get("secret_key")
        elif body.get("action") == "auth":
            key, secret = body.get("key"), body.get("secret")
        action = body.get("action")
        well_formed = (action == "auth" or isinstance(data, dict)) and all(
            value is None or isinstance(value, str) for value in (key, secret))
        reply: dict[str, Any] = {"status": "authorized", "action": "authenticate"}
        if decoded is None or (action in ("authenticate", "auth") and not well_formed):
            # Not a JSON object, data that is no object, keys that are no strings: refused with
            # a reply, not by a handler that raises and drops the connection.
            reply = {"status": "unauthorized", "action": "authenticate", "message": "invalid syntax"}
        elif action not in ("authenticate", "auth"):
            reply = {"status": "unauthorized", "action": "authenticate"}  # anything but authentication first
        elif not self.authorized(key, secret):
            reply = {"status": "unauthorized", "action": "authenticate"}
        elif self.streams.get(key or "", 0) >= self.connections_per_key:
            reply = {"status": "unauthorized", "action": "authenticate", "message": "connection limit exceeded"}
        await ws.send_bytes(dumps({"stream": "authorization", "data": reply}).encode())
        if reply["status"] != "authorized":
            await ws.close(code=1008, message=reply.get("message", "unauthorized").encode())
            return None
        key = key or ""
        self.streams[key] = self.streams.get(key, 0) + 1
        return key

    @staticmethod
    async def _pump(ws: web.WebSocketResponse, queue: asyncio.Queue[dict[str, Any]]) -> None:
        """Send events in order; the real paper stream sends JSON in binary frames."""
        while True:
            message = await queue.get()
            if ws.closed:
                return
            try:
                await ws.send_bytes(dumps(message).encode())
            except (ConnectionError, RuntimeError):
                return
