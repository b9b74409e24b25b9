"""The trade_updates websocket client the terminal UI uses (docs/api-facts.md §7).

Why not alpaca-py's TradingStream: it only logs a refused authentication and reconnects
(docs/api-facts.md §6), cannot be stopped cleanly from another thread, and exposes no
connection state. The UI must show that state in its status bar, including "connection
limit exceeded" (another program holds the account's one stream), and must stop the
stream at once on quit. This is a small aiohttp client that does exactly that.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Callable

import aiohttp

from .wsclient import Dropped, Refused, StreamState, WebSocketClient

__all__ = ["StreamState", "TradeUpdatesStream"]


class TradeUpdatesStream(WebSocketClient):
    """trade_updates on a daemon thread with its own event loop (wsclient.WebSocketClient).

    Callbacks run on the stream's thread and should be quick (hand the work to the UI's
    thread); an exception they raise is logged and otherwise ignored. `state` is
    DISCONNECTED until start() reports CONNECTING.
    """

    name = "trade_updates"
    thread_name = "trade-updates"

    def __init__(self, url: str, key_id: str, secret_key: str,
                 on_update: Callable[[dict], None],
                 on_state: Callable[[StreamState, str], None],
                 *, connect_timeout: float = 5.0, heartbeat: float = 20.0,
                 backoff_min: float = 1.0, backoff_max: float = 30.0) -> None:
        super().__init__(url, key_id, secret_key, on_state, connect_timeout=connect_timeout,
                         heartbeat=heartbeat, backoff_min=backoff_min, backoff_max=backoff_max)
        self._on_update = on_update

    async def _connection(self, session: aiohttp.ClientSession) -> None:
        """One connection: authenticate, listen, deliver updates until it fails (by raising)."""
        ws = await self._open(session)
        try:
            await ws.send_str(json.dumps({"action": "authenticate",
                                          "data": {"key_id": self._key_id, "secret_key": self._secret}}))
            # Exactly one reply, and nothing sent before it (docs/api-facts.md §7).
            self._check_authorization(await self._next(ws, self._connect_timeout, "no reply to authentication"))
            await ws.send_str(json.dumps({"action": "listen", "data": {"streams": ["trade_updates"]}}))
            loop = asyncio.get_running_loop()
            deadline = loop.time() + self._connect_timeout
            while not self._handle(await self._next(ws, max(deadline - loop.time(), 0.001),
                                                    "no reply to listen")):
                pass
            self._listening()
            while True:
                # No read timeout: the heartbeat notices a dead connection.
                self._handle(await self._next(ws, None, ""))
        finally:
            await ws.close()

    def _check_authorization(self, reply: Any) -> None:
        data = reply.get("data") if isinstance(reply, dict) else None
        if not isinstance(data, dict) or reply.get("stream") != "authorization":
            raise Dropped("unexpected reply to authentication")
        status = data.get("status")
        if status == "authorized":
            return
        if status == "unauthorized":
            # The server's reason when it gives one: "access key verification failed",
            # "connection limit exceeded" (another program has the account's stream).
            raise Refused(self._server_text(data.get("message"), "keys refused"))
        raise Dropped("unexpected reply to authentication")

    def _handle(self, message: Any) -> bool:
        """Deliver trade updates; True if this was the acknowledgement of trade_updates."""
        acknowledged = False
        for item in message if isinstance(message, list) else [message]:
            if not isinstance(item, dict):
                continue  # junk is ignored, never fatal
            stream, data = item.get("stream"), item.get("data")
            if stream == "trade_updates" and isinstance(data, dict):
                self._deliver("on_update", self._on_update, data)
            elif stream == "listening" and isinstance(data, dict):
                streams = data.get("streams")
                if not isinstance(streams, list) or "trade_updates" not in streams:
                    raise Dropped("server did not subscribe trade_updates")
                acknowledged = True
        return acknowledged
