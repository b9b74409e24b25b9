"""The real-time market-data websocket client (stream.data.alpaca.markets/v2/{feed}): live
quotes, trades and minute bars for the symbols the app shows.

The same machinery as trade_updates (wsclient.WebSocketClient: its own thread and loop,
reconnect with backoff, stop at once); this module is the protocol. On connect the server
says `connected`; we authenticate with {"action":"auth",…}; then subscribe trades, quotes
and bars for the first `symbol_limit` symbols the app wants, sending only the difference
when that changes, and everything again after a reconnect. JSON frames only (no msgpack).

Errors: 402 (keys refused), 406 (connection limit: another program holds the key's one
data stream) and 409 (the plan lacks the feed) are UNAUTHORIZED and retried after
backoff_max; 401 and 404 are a dropped connection, retried with backoff. 405 (symbol limit
exceeded) means the plan allows fewer symbols than we thought: the limit is lowered and the
subscription made again within it, each refusal lowering it further, so it never loops.

Frames are parsed here, on the stream's thread, into tui.broker.market's ticks through
tui.numbers (NaN, 1e999 or junk become None; a trade without a price, a quote with neither a
bid nor an ask and a bar without open, high, low, close or time are dropped) and only for
plausible symbols the app watches. Junk is ignored, never fatal. No Textual here.
"""

from __future__ import annotations

import asyncio
import json
import threading
from decimal import Decimal
from typing import Any, Callable, Sequence

import aiohttp

from ..numbers import moment, number
from ..text import is_symbol
from .market import Bar, QuoteTick, Tick, TradeTick
from .wsclient import Dropped, Refused, StreamState, WebSocketClient

__all__ = ["MarketDataStream", "StreamState", "parse_tick", "symbol_of"]

CHANNELS = ("trades", "quotes", "bars")  # what each watched symbol is subscribed to
MAX_WANTED = 10_000  # symbols kept from watch(); Alpaca's largest plan streams far fewer
SYMBOL_LIMIT_EXCEEDED = 405
# Refusals: the same keys will be refused again in a second (wait backoff_max).
REFUSED = {
    402: "keys refused (402)",
    406: "connection limit exceeded (406): another program holds the data stream",
    409: "insufficient subscription (409): the plan does not include this feed",
}
# Drops: a new connection should do.
DROPPED = {401: "not authenticated (401)", 404: "authentication timed out (404)"}


def symbol_of(value: Any) -> str | None:
    """A symbol from outside, upper case, or None unless it is plausible symbol text."""
    if not isinstance(value, str) or not value.isascii():
        return None
    text = value.strip().upper()
    return text if is_symbol(text) else None


def _amount(value: Any) -> Decimal | None:
    """A price or size: a bounded number >= 0, else None."""
    result = number(value)
    return result if result is not None and result >= 0 else None


def _trade(item: dict[str, Any], symbol: str) -> TradeTick | None:
    price = _amount(item.get("p"))
    if price is None:
        return None
    return TradeTick(symbol, price, _amount(item.get("s")), moment(item.get("t")))


def _quote(item: dict[str, Any], symbol: str) -> QuoteTick | None:
    bid, ask = _amount(item.get("bp")), _amount(item.get("ap"))
    if bid is None and ask is None:
        return None
    return QuoteTick(symbol, bid, ask, _amount(item.get("bs")), _amount(item.get("as")), moment(item.get("t")))


def _bar(item: dict[str, Any], symbol: str) -> Bar | None:
    open_, high, low, close = (_amount(item.get(key)) for key in ("o", "h", "l", "c"))
    time = moment(item.get("t"))
    if time is None or open_ is None or high is None or low is None or close is None:
        return None
    return Bar(symbol, time, open_, high, low, close, _amount(item.get("v")) or Decimal(0))


_PARSERS: dict[str, Callable[[dict[str, Any], str], Tick | None]] = {"t": _trade, "q": _quote, "b": _bar}


def parse_tick(item: Any) -> Tick | None:
    """One stream message as a tick, or None when it is not a readable trade, quote or bar."""
    if not isinstance(item, dict):
        return None
    kind = item.get("T")
    parser = _PARSERS.get(kind) if isinstance(kind, str) else None
    symbol = symbol_of(item.get("S"))
    if parser is None or symbol is None:
        return None
    return parser(item, symbol)


def _symbols(value: Any) -> list[str]:
    """The plausible symbols of a list from the server, in order, without repeats."""
    if not isinstance(value, list):
        return []
    found = dict.fromkeys(s for s in map(symbol_of, value[:MAX_WANTED]) if s is not None)
    return list(found)


class MarketDataStream(WebSocketClient):
    """Live trades, quotes and bars for the watched symbols, on a daemon thread.

    `watch()` may be called from any thread at any time; `on_ticks` gets the ticks of each
    frame as one list, `on_state` the connection's state, both on the stream's thread.
    """

    name = "market data"
    thread_name = "market-data"

    def __init__(self, url: str, key_id: str, secret_key: str,
                 on_ticks: Callable[[list[Tick]], None],
                 on_state: Callable[[StreamState, str], None],
                 *, symbol_limit: int = 30, connect_timeout: float = 5.0, heartbeat: float = 20.0,
                 backoff_min: float = 1.0, backoff_max: float = 30.0,
                 on_subscribed: Callable[[tuple[str, ...]], None] | None = None) -> None:
        """on_subscribed: given the symbols streamed each time the server acknowledges a change."""
        super().__init__(url, key_id, secret_key, on_state, connect_timeout=connect_timeout,
                         heartbeat=heartbeat, backoff_min=backoff_min, backoff_max=backoff_max)
        self._on_ticks = on_ticks
        self._on_subscribed = on_subscribed
        self._limit = max(0, int(symbol_limit))
        self._wanted: tuple[str, ...] = ()
        self._wanted_set: frozenset[str] = frozenset()
        self._watch_lock = threading.Lock()
        self._streamed: tuple[str, ...] = ()
        # On the stream's loop, per connection:
        self._server: dict[str, list[str]] = {name: [] for name in CHANNELS}  # as last acknowledged
        self._resync: asyncio.Event | None = None  # set when the subscription should be looked at again
        self._reply: asyncio.Future[int] | None = None  # the answer to the request in flight (0: acknowledged)

    # ---- from any thread ----

    def watch(self, symbols: Sequence[str]) -> None:
        """The symbols wanted, most important first; the first `symbol_limit` are streamed."""
        if isinstance(symbols, str):
            symbols = [symbols]
        cleaned = tuple(dict.fromkeys(s for s in map(symbol_of, list(symbols)[:MAX_WANTED]) if s is not None))
        with self._watch_lock:
            if cleaned == self._wanted:
                return
            self._wanted, self._wanted_set = cleaned, frozenset(cleaned)
        self._call_soon(self._want_resync)

    @property
    def streamed(self) -> tuple[str, ...]:
        """The symbols the server has acknowledged on the current connection."""
        return self._streamed

    @property
    def symbol_limit(self) -> int:
        """How many symbols are streamed at most (lowered when the server says 405)."""
        return self._limit

    # ---- the connection ----

    def _want_resync(self) -> None:
        if self._resync is not None:
            self._resync.set()

    async def _connection(self, session: aiohttp.ClientSession) -> None:
        """One connection: authenticate, subscribe what is watched, deliver ticks until it fails."""
        ws = await self._open(session)
        tasks: list[asyncio.Task[None]] = []
        try:
            await self._authenticate(ws)
            self._set_server({name: [] for name in CHANNELS})
            self._resync = asyncio.Event()
            self._resync.set()  # subscribe the current set, also after a reconnect
            self._listening()
            tasks = [asyncio.create_task(self._read(ws)), asyncio.create_task(self._subscribe(ws))]
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()  # raises why the connection ended
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self._resync = None
            self._reply = None
            self._set_server({name: [] for name in CHANNELS})
            await ws.close()

    async def _authenticate(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._connect_timeout

        async def until(expected: str, late: str) -> None:
            while not self._success(await self._next(ws, max(deadline - loop.time(), 0.001), late), expected):
                pass

        await until("connected", "no welcome from the server")
        await ws.send_str(json.dumps({"action": "auth", "key": self._key_id, "secret": self._secret}))
        await until("authenticated", "no reply to authentication")

    def _success(self, message: Any, expected: str) -> bool:
        """True if the frame says success `expected`; an error in it ends the connection."""
        found = False
        for item in message if isinstance(message, list) else [message]:
            if not isinstance(item, dict):
                continue
            if item.get("T") == "error":
                code = self._error(item)
                raise Dropped(f"refused during the handshake ({code})")
            if item.get("T") == "success" and item.get("msg") == expected:
                found = True
        return found

    def _error(self, item: dict[str, Any]) -> int:
        """Raise for the errors that end the connection; otherwise return the code (0 if none)."""
        code = item.get("code")
        code = code if isinstance(code, int) and not isinstance(code, bool) and 0 <= code < 100_000 else 0
        if code in REFUSED:
            raise Refused(REFUSED[code])
        if code in DROPPED:
            raise Dropped(DROPPED[code])
        self._log.info("market data stream error %s: %s", code, self._server_text(item.get("msg"), "(no message)"))
        return code

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        while True:
            # No read timeout: the heartbeat notices a dead connection.
            self._handle(await self._next(ws, None, ""))

    def _handle(self, message: Any) -> None:
        """Deliver a frame's ticks as one list; note acknowledgements and errors."""
        ticks: list[Tick] = []
        wanted = self._wanted_set
        for item in message if isinstance(message, list) else [message]:
            if not isinstance(item, dict):
                continue  # junk is ignored, never fatal
            kind = item.get("T")
            if kind == "subscription":
                before = self._streamed
                self._set_server({name: _symbols(item.get(name)) for name in CHANNELS})
                self._answer(0)
                if self._streamed != before and self._on_subscribed is not None:
                    self._deliver("on_subscribed", self._on_subscribed, self._streamed)
            elif kind == "error":
                self._answer(self._error(item))
            else:
                tick = parse_tick(item)
                if tick is not None and tick.symbol in wanted:
                    ticks.append(tick)
        if ticks:
            self._deliver("on_ticks", self._on_ticks, ticks)

    def _answer(self, code: int) -> None:
        if self._reply is not None and not self._reply.done():
            self._reply.set_result(code)

    def _set_server(self, channels: dict[str, list[str]]) -> None:
        self._server = channels
        self._streamed = tuple(dict.fromkeys(s for name in CHANNELS for s in channels[name]))

    async def _subscribe(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        """Whenever asked (connect, watch(), a lowered limit): unsubscribe what is no longer
        wanted, then subscribe what is missing; one request at a time, each answered.
        A request the server refuses is not repeated until something changes."""
        assert self._resync is not None
        while True:
            await self._resync.wait()
            self._resync.clear()
            target = self._wanted[:self._limit]
            keep = set(target)
            gone = {name: [s for s in self._server[name] if s not in keep] for name in CHANNELS}
            await self._request(ws, "unsubscribe", gone)
            missing = {name: [s for s in target if s not in self._server[name]] for name in CHANNELS}
            acked = self._counted(self._server)
            tried = len(acked | self._counted(missing))
            if await self._request(ws, "subscribe", missing) == SYMBOL_LIMIT_EXCEEDED:
                self._lower_limit(len(self._counted(self._server)), tried)

    @staticmethod
    def _counted(channels: dict[str, list[str]]) -> set[str]:
        """The symbols that count against the limit: trades and quotes (bars do not)."""
        return set(channels["trades"]) | set(channels["quotes"])

    async def _request(self, ws: aiohttp.ClientWebSocketResponse, action: str,
                       channels: dict[str, list[str]]) -> int | None:
        """Send one (un)subscribe and wait for its answer: 0 acknowledged, else the error code;
        None when there was nothing to send."""
        request = {name: symbols for name, symbols in channels.items() if symbols}
        if not request:
            return None
        self._reply = asyncio.get_running_loop().create_future()  # before sending: the answer may come first
        try:
            await ws.send_str(json.dumps({"action": action, **request}))
            return await asyncio.wait_for(self._reply, self._connect_timeout)
        except TimeoutError:
            raise Dropped(f"no reply to {action}") from None
        finally:
            self._reply = None

    def _lower_limit(self, acknowledged: int, tried: int) -> None:
        """405: the plan streams fewer than `tried` symbols. Keep what the server has taken,
        or half of what it refused if that is more; always fewer than before, so repeated
        refusals end (at 0 if the server takes none)."""
        limit = min(max(acknowledged, tried // 2), self._limit - 1, tried - 1)
        self._limit = max(limit, 0)
        self._listening(f"symbol limit exceeded (405): streaming at most {self._limit} symbols")
        if self._resync is not None:
            self._resync.set()
