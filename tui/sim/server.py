"""The simulator's HTTP and websocket front: Alpaca's Trading API v2, the latest-quote
market-data endpoints, the trade_updates stream and the real-time market-data stream
(/v2/iex, /v2/sip, /v2/test), all on one aiohttp port.

This module is the application: authentication, the rate limit and injected faults around
every request, and the engine's heartbeat. The REST handlers are in routes.py, the
trade_updates stream in stream.py, the market-data stream in datastream.py.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from dataclasses import dataclass, field
from aiohttp import web

from .clock import Clock
from .datastream import DATA_STREAM_PATHS, MarketDataStream
from .engine import EngineOptions, Exchange
from .errors import RATE_LIMITED, UNAUTHORIZED, ApiError
from .faults import FaultOptions, Faults
from .ratelimit import RateLimiter, Verdict
from .routes import Routes
from .stream import STREAM_PATHS, TradeUpdates
from .wire import MAX_BODY_BYTES, Handler, error_response, json_response

log = logging.getLogger(__name__)

TICK_SECONDS = 0.05  # how often the matching engine looks at the market
HTTP_MESSAGES = {404: "endpoint not found", 405: "method not allowed", 413: "request body too large"}


@dataclass
class ServerOptions:
    engine: EngineOptions = field(default_factory=EngineOptions)
    api_key: str | None = None
    secret_key: str | None = None
    rate_limit: int = 200  # requests per minute per key; 0 disables
    stream_connections: int = 1  # trade_updates connections per key, as at Alpaca
    data_symbol_limit: int = 30  # trades + quotes symbols per market-data stream connection
    faults: FaultOptions = field(default_factory=FaultOptions)  # latency, failures, stream drops (faults.py)


class Simulator:
    """Owns the exchange, the aiohttp application and the engine's heartbeat."""

    def __init__(self, options: ServerOptions | None = None, clock: Clock | None = None) -> None:
        self.options = options or ServerOptions()
        self.exchange = Exchange(self.options.engine, clock)
        self.limiter = RateLimiter(self.options.rate_limit) if self.options.rate_limit > 0 else None
        self.routes = Routes(self.exchange)
        self.stream = TradeUpdates(self.exchange, self.authorized, self.options.stream_connections)
        self.datastream = MarketDataStream(self.exchange, self.authorized, self.options.data_symbol_limit)
        self.faults = Faults(self.options.faults, self.options.engine.seed, self.stream.sockets)
        self.app = self._build_app()
        self._ticker: asyncio.Task | None = None

    # The stream's open connections, and its authenticated ones per key.
    @property
    def sockets(self) -> set[web.WebSocketResponse]:
        return self.stream.sockets

    @property
    def streams(self) -> dict[str, int]:
        return self.stream.streams

    def _build_app(self) -> web.Application:
        # Latency wraps everything; injected failures sit inside auth and the rate limit.
        middlewares = [self.faults.delay, self._middleware, self.faults.fail]
        app = web.Application(middlewares=middlewares, client_max_size=MAX_BODY_BYTES)
        table: list[tuple[str, str, Handler]] = [
            *self.routes.table(),
            ("GET", "/sim/faults", self.faults.get_faults),
            ("POST", "/sim/faults", self.faults.post_faults),
        ]
        for method, path, handler in table:
            app.router.add_route(method, path, handler)
            app.router.add_route(method, path + "/", handler)  # clients that add a slash
        for path in STREAM_PATHS:
            app.router.add_get(path, self.stream.handle)
        for path in DATA_STREAM_PATHS:  # the market-data stream, one path per feed
            app.router.add_get(path, self.datastream.handle)
            app.router.add_get(path + "/", self.datastream.handle)
        app.on_startup.append(self._start_ticker)
        app.on_startup.append(self.faults.start)
        app.on_shutdown.append(self.faults.stop)
        app.on_shutdown.append(self.stream.close_all)
        app.on_shutdown.append(self.datastream.close_all)
        app.on_cleanup.append(self._stop_ticker)
        return app

    async def _start_ticker(self, _app: web.Application) -> None:
        self._ticker = asyncio.create_task(self._tick_forever())

    async def _stop_ticker(self, _app: web.Application) -> None:
        if self._ticker:
            self._ticker.cancel()
            await asyncio.wait([self._ticker])  # finished, so nothing is left pending on the loop

    async def _tick_forever(self) -> None:
        while True:
            try:
                self.exchange.tick()
            except Exception:  # one bad tick must not stop the market
                log.exception("engine tick failed")
            await asyncio.sleep(TICK_SECONDS)

    def credentials(self, request: web.Request) -> tuple[str | None, str | None]:
        key, secret = request.headers.get("APCA-API-KEY-ID"), request.headers.get("APCA-API-SECRET-KEY")
        auth = request.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            try:
                key, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
            except Exception:
                return None, None
        elif auth.startswith("Bearer "):
            key, secret = self.options.api_key, auth[7:].strip()
        return key, secret

    def authorized(self, key: str | None, secret: str | None) -> bool:
        if self.options.api_key is None and self.options.secret_key is None:
            return True  # no keys configured: anyone may trade the simulated account
        return key == self.options.api_key and secret == self.options.secret_key

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path in STREAM_PATHS or request.path.rstrip("/") in DATA_STREAM_PATHS:
            return await handler(request)  # the streams authenticate in-band, after the upgrade
        key, secret = self.credentials(request)
        verdict: Verdict | None = None
        try:
            if not self.authorized(key, secret):
                raise UNAUTHORIZED
            if self.limiter is not None:
                bucket = ("data:" if request.path.startswith("/v2/stocks") else "trading:") + (key or "")
                verdict = self.limiter.hit(bucket)
                if not verdict.allowed:
                    raise RATE_LIMITED
            response = await handler(request)
        except ApiError as err:
            response = error_response(err)
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            # aiohttp's own errors (no route, wrong method, body too large) in Alpaca's JSON shape too.
            message = HTTP_MESSAGES.get(exc.status, (exc.reason or "error").lower())
            response = json_response({"code": exc.status * 100000 + 10000, "message": message}, exc.status)
            if "Allow" in exc.headers:
                response.headers["Allow"] = exc.headers["Allow"]
        except Exception:
            log.exception("unhandled error serving %s %s", request.method, request.path)
            response = json_response({"code": 50010000, "message": "internal server error"}, 500)
        if verdict is not None:
            response.headers["X-RateLimit-Limit"] = str(verdict.limit)
            response.headers["X-RateLimit-Remaining"] = str(verdict.remaining)
            response.headers["X-RateLimit-Reset"] = str(verdict.reset)
        return response
