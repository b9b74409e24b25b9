"""The real-time market-data stream, as Alpaca serves it at stream.data.alpaca.markets/v2/{feed}.

On connect the server says `connected`; the client authenticates (within 10 s) with
{"action":"auth","key":…,"secret":…}, then subscribes to trades, quotes and bars by symbol
("*" for all). Quotes and trades are pushed as the exchange's prices move (its
quote_listeners hook: the price walk and set_price, so POST /sim/price pushes at once).

Frames are JSON text, or msgpack binary when the handshake says
`Content-Type: application/msgpack` (alpaca-py's StockDataStream does; its times are then
msgpack Timestamps, which alpaca-py converts with to_datetime()).

Errors are [{"T":"error","code":…,"msg":…}] with Alpaca's codes. One connection per key;
trades plus quotes may name at most `symbol_limit` symbols. /v2/test also serves FAKEPACA,
whose price wanders by itself once a second.
"""

from __future__ import annotations

import asyncio
import json
import random
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Callable

from aiohttp import WSMsgType, web

from .engine import Exchange
from .marketdata import EXCHANGE_CODES, TAPES
from .prices import MinuteTrades, Quote
from .wire import MAX_BODY_BYTES

AUTH_TIMEOUT = 10.0  # seconds a client has to authenticate
FEEDS = ("iex", "sip", "test")
DATA_STREAM_PATHS = tuple(f"/v2/{feed}" for feed in FEEDS)
CHANNELS = ("trades", "quotes", "bars", "updatedBars", "dailyBars", "statuses", "lulds")
FAKE_SYMBOL = "FAKEPACA"
FAKE_PERIOD = 1.0  # seconds between FAKEPACA's quotes on /v2/test
BAR_CHECK = 1.0  # seconds between looks at the clock for minute bars that have ended

INVALID_SYNTAX = (400, "invalid syntax")
NOT_AUTHENTICATED = (401, "not authenticated")
AUTH_FAILED = (402, "auth failed")
AUTH_TIMEOUT_ERROR = (404, "auth timeout")
SYMBOL_LIMIT = (405, "symbol limit exceeded")
CONNECTION_LIMIT = (406, "connection limit exceeded")


def rfc3339(moment: datetime) -> str:
    """UTC with nanoseconds, as the data stream writes times in JSON."""
    utc = moment.astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond:06d}000Z"


class Subscription:
    """One connection's symbols per channel, in the order they were added."""

    def __init__(self) -> None:
        self.channels: dict[str, list[str]] = {name: [] for name in CHANNELS}

    def wants(self, channel: str, symbol: str) -> bool:
        names = self.channels[channel]
        return symbol in names or "*" in names

    def changed(self, action: str, request: dict[str, list[str]]) -> dict[str, list[str]]:
        """The channels after `action` (subscribe/unsubscribe), without applying it."""
        result = {name: list(symbols) for name, symbols in self.channels.items()}
        for name, symbols in request.items():
            current = result[name]
            for symbol in symbols:
                if action == "subscribe" and symbol not in current:
                    current.append(symbol)
                elif action == "unsubscribe" and symbol in current:
                    current.remove(symbol)
        return result

    def message(self) -> dict[str, Any]:
        # Corrections and cancel errors follow the trades subscription, as at Alpaca.
        return {"T": "subscription", **{name: list(s) for name, s in self.channels.items()},
                "corrections": list(self.channels["trades"]), "cancelErrors": list(self.channels["trades"])}


def symbol_count(channels: dict[str, list[str]]) -> int:
    return len(set(channels["trades"]) | set(channels["quotes"]))


@dataclass
class MinuteBar(MinuteTrades):
    """One symbol's trades in one minute, while the minute lasts: counted as the price
    record counts them (prices.py), so the stream's bars equal /bars' minutes."""

    minute: datetime = field(kw_only=True)  # after the inherited fields, so named

    def message(self, symbol: str) -> dict[str, Any]:
        return {"T": "b", "S": symbol, "o": float(self.open), "h": float(self.high), "l": float(self.low),
                "c": float(self.close), "v": self.volume, "t": self.minute, "n": self.trades,
                "vw": round(float(self.value / self.volume), 4) if self.volume else float(self.close)}


def minute_of(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc).replace(second=0, microsecond=0)


class Connection:
    """One client: how it wants its frames, what it subscribed to, its outgoing queue."""

    def __init__(self, ws: web.WebSocketResponse, feed: str, use_msgpack: bool) -> None:
        self.ws = ws
        self.feed = feed
        self.msgpack = use_msgpack
        self.subscription = Subscription()
        self.queue: asyncio.Queue[list[dict[str, Any]]] = asyncio.Queue()
        self.bars: dict[str, MinuteBar] = {}  # the minute under way, per symbol subscribed to bars

    def encode(self, messages: list[dict[str, Any]]) -> str | bytes:
        if self.msgpack:
            import msgpack  # an alpaca-py dependency; needed only by msgpack clients

            packed = [{k: msgpack.Timestamp.from_datetime(v) if isinstance(v, datetime) else v
                       for k, v in m.items()} for m in messages]
            return msgpack.packb(packed)
        return json.dumps([{k: rfc3339(v) if isinstance(v, datetime) else v for k, v in m.items()}
                           for m in messages], separators=(",", ":"))

    async def send(self, messages: list[dict[str, Any]]) -> None:
        frame = self.encode(messages)
        if isinstance(frame, bytes):
            await self.ws.send_bytes(frame)
        else:
            await self.ws.send_str(frame)

    def decode(self, data: str | bytes) -> Any:
        """A client's message (JSON, or msgpack from a msgpack client); None when unreadable."""
        try:
            if isinstance(data, bytes) and self.msgpack:
                import msgpack

                return msgpack.unpackb(data)
            return json.loads(data)
        except Exception:  # bad JSON or msgpack: invalid syntax
            return None


class MarketDataStream:
    """The data stream's connections over one exchange; `authorized(key, secret)` is the app's check."""

    def __init__(self, exchange: Exchange, authorized: Callable[[str | None, str | None], bool],
                 symbol_limit: int = 30, connections_per_key: int = 1) -> None:
        self.exchange = exchange
        self.authorized = authorized
        self.symbol_limit = symbol_limit
        self.connections_per_key = connections_per_key
        self.streams: dict[str, int] = {}  # authenticated connections per key
        self.sockets: set[web.WebSocketResponse] = set()
        self._fake_rng = random.Random("fakepaca")

    async def close_all(self, _app: web.Application) -> None:
        for ws in list(self.sockets):
            await ws.close(code=1001, message=b"server shutdown")

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        feed = request.path.rstrip("/").rsplit("/", 1)[-1]
        ws = web.WebSocketResponse(heartbeat=None, autoping=True, max_msg_size=MAX_BODY_BYTES)
        await ws.prepare(request)
        use_msgpack = request.headers.get("Content-Type", "").split(";")[0].strip() == "application/msgpack"
        conn = Connection(ws, feed, use_msgpack)
        self.sockets.add(ws)
        key: str | None = None
        sender = asyncio.create_task(self._pump(conn))
        fake: asyncio.Task | None = None
        bar_clock: asyncio.Task | None = None

        def on_quotes(quotes: list[Quote]) -> None:
            messages = []
            for quote in quotes:
                messages.extend(self._market_messages(conn, quote))
            if messages:
                conn.queue.put_nowait(messages)

        try:
            await conn.send([{"T": "success", "msg": "connected"}])
            key = await self._authenticate(conn)
            if key is None:
                return ws
            self.exchange.quote_listeners.append(on_quotes)
            bar_clock = asyncio.create_task(self._bar_clock(conn))
            if feed == "test":
                fake = asyncio.create_task(self._fakepaca(conn))
            async for msg in ws:
                if msg.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                    break
                await self._request(conn, conn.decode(msg.data))
        except ConnectionResetError:
            pass  # the client went away while we were answering it
        finally:
            sender.cancel()
            for task in (fake, bar_clock):
                if task is not None:
                    task.cancel()
            if on_quotes in self.exchange.quote_listeners:
                self.exchange.quote_listeners.remove(on_quotes)
            if key is not None:
                self.streams[key] -= 1
            self.sockets.discard(ws)
        return ws

    async def _authenticate(self, conn: Connection) -> str | None:
        """Read until a successful auth; refuse other requests with 401 meanwhile."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + AUTH_TIMEOUT
        while True:
            try:
                msg = await conn.ws.receive(timeout=max(deadline - loop.time(), 0.001))
            except asyncio.TimeoutError:
                await self._fail(conn, AUTH_TIMEOUT_ERROR)
                return None
            if msg.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                return None  # closed before authenticating
            body = conn.decode(msg.data)
            if not isinstance(body, dict) or not isinstance(body.get("action"), str):
                await conn.send([error(INVALID_SYNTAX)])
                continue
            if body["action"] != "auth":
                await conn.send([error(NOT_AUTHENTICATED)])
                continue
            key, secret = body.get("key"), body.get("secret")
            if not all(value is None or isinstance(value, str) for value in (key, secret)):
                await conn.send([error(INVALID_SYNTAX)])
                continue
            if not self.authorized(key, secret):
                await self._fail(conn, AUTH_FAILED)
                return None
            key = key or ""
            if self.streams.get(key, 0) >= self.connections_per_key:
                await self._fail(conn, CONNECTION_LIMIT)
                return None
            self.streams[key] = self.streams.get(key, 0) + 1
            await conn.send([{"T": "success", "msg": "authenticated"}])
            return key

    @staticmethod
    async def _fail(conn: Connection, err: tuple[int, str]) -> None:
        await conn.send([error(err)])
        await conn.ws.close(code=1008, message=err[1].encode())

    async def _request(self, conn: Connection, body: Any) -> None:
        if not isinstance(body, dict) or body.get("action") not in ("subscribe", "unsubscribe", "auth"):
            await conn.send([error(INVALID_SYNTAX)])
            return
        action = body["action"]
        if action == "auth":
            return  # already authenticated: nothing to answer
        request: dict[str, list[str]] = {}
        for name in CHANNELS:
            symbols = body.get(name)
            if symbols is None:
                continue
            if not isinstance(symbols, list) or not all(isinstance(s, str) and s for s in symbols):
                await conn.send([error(INVALID_SYNTAX)])
                return
            request[name] = [s if s == "*" else s.upper() for s in symbols]
        channels = conn.subscription.changed(action, request)
        if action == "subscribe" and symbol_count(channels) > self.symbol_limit:
            await conn.send([error(SYMBOL_LIMIT)])
            return
        conn.subscription.channels = channels
        await conn.send([conn.subscription.message()])

    def _market_messages(self, conn: Connection, quote: Quote) -> list[dict[str, Any]]:
        symbol = quote.symbol
        asset = self.exchange.assets.get(symbol)
        venue = asset.exchange if asset is not None else "IEX"
        exchange = EXCHANGE_CODES.get(venue, "V")
        tape = TAPES.get(venue, "B")
        messages: list[dict[str, Any]] = []
        sub = conn.subscription
        if sub.wants("bars", symbol):
            messages.extend(self._bar_update(conn, quote))
        if sub.wants("trades", symbol):
            messages.append({"T": "t", "S": symbol, "i": self.exchange.prices.next_trade_id(),
                             "x": exchange, "p": float(quote.last), "s": quote.last_size, "c": ["@"],
                             "t": quote.time, "z": tape})
        if sub.wants("quotes", symbol):
            messages.append({"T": "q", "S": symbol, "ax": exchange, "ap": float(quote.ask),
                             "as": quote.ask_size // 100, "bx": exchange, "bp": float(quote.bid),
                             "bs": quote.bid_size // 100, "c": ["R"], "t": quote.time, "z": tape})
        return messages

    @staticmethod
    def _bar_update(conn: Connection, quote: Quote) -> list[dict[str, Any]]:
        """Count a trade at the quote's last price in its minute's bar; a bar that ended goes out."""
        minute = minute_of(quote.time)
        bar = conn.bars.get(quote.symbol)
        out: list[dict[str, Any]] = []
        if bar is not None and bar.minute < minute:
            out.append(bar.message(quote.symbol))
            bar = None
        if bar is None:
            price = quote.last
            conn.bars[quote.symbol] = MinuteBar(price, price, price, price, quote.last_size, 1,
                                                price * quote.last_size, minute=minute)
        else:
            bar.add(quote.last, quote.last_size)
        return out

    async def _bar_clock(self, conn: Connection) -> None:
        """Send each minute bar once its minute is over (by the exchange's clock), as at Alpaca,
        only for minutes that had trades."""
        while True:
            await asyncio.sleep(BAR_CHECK)
            now = minute_of(self.exchange.clock.now())
            ended = [symbol for symbol, bar in conn.bars.items() if bar.minute < now]
            messages = [conn.bars.pop(symbol).message(symbol) for symbol in ended
                        if conn.subscription.wants("bars", symbol)]
            for symbol in ended:
                conn.bars.pop(symbol, None)
            if messages:
                conn.queue.put_nowait(messages)

    async def _fakepaca(self, conn: Connection) -> None:
        """/v2/test's FAKEPACA: any price, a quote and a trade a second for its subscribers."""
        price = Decimal("100.00")
        rng = self._fake_rng
        while True:
            await asyncio.sleep(FAKE_PERIOD)
            price = max(Decimal("1.00"), price + Decimal(rng.randint(-50, 50)) / 100)
            quote = Quote(symbol=FAKE_SYMBOL, bid=price - Decimal("0.01"), ask=price + Decimal("0.01"),
                          bid_size=100 * rng.randint(1, 9), ask_size=100 * rng.randint(1, 9), last=price,
                          last_size=100 * rng.randint(1, 5), time=self.exchange.clock.now())
            messages = self._market_messages(conn, quote)
            if messages:
                conn.queue.put_nowait(messages)

    @staticmethod
    async def _pump(conn: Connection) -> None:
        """Send pushed market data in order."""
        while True:
            messages = await conn.queue.get()
            if conn.ws.closed:
                return
            try:
                await conn.send(messages)
            except (ConnectionError, RuntimeError):
                return


def error(err: tuple[int, str]) -> dict[str, Any]:
    return {"T": "error", "code": err[0], "msg": err[1]}
