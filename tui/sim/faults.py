"""Fault injection for the simulator, for tests and demos of a client's resilience.

Three faults, all off by default (`alpaca-tui sim --latency-ms / --fail-rate [--fail-statuses] /
--drop-stream-every`), changeable while running through `POST /sim/faults`:

- latency: every REST answer of Alpaca's API (paths /v2/..., /v3/..., /v1beta...) is
  delayed by N ms, half before the request is handled and half after (a round trip). It
  is an asyncio sleep, so other requests and the stream are served meanwhile.
- failures: a share of those requests is answered 500, 503 or 504, like a sick server or
  gateway. 500 and 503 are answered without the request taking effect; a 504 is answered
  after it did (the handler runs, its answer is thrown away), so a write happened although
  the client saw an error. 500 and 503 carry JSON (503 without a `code`); 504 carries an
  HTML page, as gateways send, so clients must parse error bodies defensively.
- stream drops: every S seconds every open trade_updates websocket is closed with 1011.

The simulator's own endpoints (/sim/...) and the websocket handshake are never delayed or
failed, and a failed request counts against the rate limit like any other (the failure
middleware sits inside the rate limiter). Choices come from their own random.Random,
seeded from the simulator's seed, so a seed replays the same faults for the same requests
without changing the prices and fills that seed gives.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import random
import re
from dataclasses import dataclass, replace
from typing import Any, Awaitable, Callable, Collection

from aiohttp import web

from .errors import ApiError
from .requests import decode_json

log = logging.getLogger(__name__)

FAIL_STATUSES = (500, 503, 504)
DROP_CODE = 1011
DROP_MESSAGE = b"stream dropped (simulated fault)"
MAX_LATENCY_MS = 600_000.0  # ten minutes: anything longer is a typo
API_PATH = re.compile(r"^/v\d")  # /v2/..., /v3/..., /v1beta1/...: Alpaca's REST API, not /sim or /stream

GATEWAY_TIMEOUT_PAGE = (
    "<html>\r\n<head><title>504 Gateway Time-out</title></head>\r\n<body>\r\n"
    "<center><h1>504 Gateway Time-out</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class FaultOptions:
    latency_ms: float = 0.0  # added to every REST answer
    fail_rate: float = 0.0  # share of REST requests answered with one of fail_statuses
    drop_stream_every: float | None = None  # seconds between stream drops; None: never
    fail_statuses: tuple[int, ...] = FAIL_STATUSES  # which failures to pick from (tests narrow it)

    def __post_init__(self) -> None:
        check_latency(self.latency_ms)
        check_fail_rate(self.fail_rate)
        if self.drop_stream_every is not None:
            check_drop_every(self.drop_stream_every)
        check_statuses(self.fail_statuses)

    def to_json(self) -> dict[str, Any]:
        return {
            "latency_ms": _number(self.latency_ms),
            "fail_rate": _number(self.fail_rate),
            "drop_stream_every": None if self.drop_stream_every is None else _number(self.drop_stream_every),
            "fail_statuses": list(self.fail_statuses),
        }


# ---- validation, shared by FaultOptions, the CLI and POST /sim/faults ----------------------

def check_latency(value: float) -> float:
    if not math.isfinite(value) or value < 0 or value > MAX_LATENCY_MS:
        raise ValueError(f"latency_ms must be a number of milliseconds from 0 to {MAX_LATENCY_MS:.0f}")
    return value


def check_fail_rate(value: float) -> float:
    if not math.isfinite(value) or not 0 <= value <= 1:
        raise ValueError("fail_rate must be a number from 0 to 1")
    return value


def check_drop_every(value: float) -> float:
    if not math.isfinite(value) or value <= 0:
        raise ValueError("drop_stream_every must be a number of seconds > 0")
    return value


def check_statuses(statuses: Collection[int]) -> tuple[int, ...]:
    if not statuses or any(s not in FAIL_STATUSES for s in statuses):
        raise ValueError("fail_statuses must be a non-empty list drawn from 500, 503 and 504")
    return tuple(sorted(set(statuses)))


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


def is_api_path(path: str) -> bool:
    return bool(API_PATH.match(path))


def bad_request(message: str) -> ApiError:
    return ApiError(400, 40010000, message)


def _as_number(body: dict[str, Any], name: str) -> float | None:
    value = body[name]
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise bad_request(f"{name} must be a number or null")
    try:
        return float(value)
    except OverflowError:  # an integer past 1e308, which the range checks would refuse anyway
        raise bad_request(f"{name} is out of range") from None


def parse_settings(body: Any, current: FaultOptions) -> FaultOptions:
    """The settings after a POST /sim/faults body: only the fields given change; null or 0 turns one off."""
    if not isinstance(body, dict):
        raise bad_request("body must be a JSON object")
    unknown = sorted(set(body) - {"latency_ms", "fail_rate", "drop_stream_every", "fail_statuses"})
    if unknown:
        raise bad_request(f"unknown field {unknown[0]!r}; expected latency_ms, fail_rate, drop_stream_every, "
                          "fail_statuses")
    changes: dict[str, Any] = {}
    try:
        if "latency_ms" in body:
            changes["latency_ms"] = check_latency(_as_number(body, "latency_ms") or 0.0)
        if "fail_rate" in body:
            changes["fail_rate"] = check_fail_rate(_as_number(body, "fail_rate") or 0.0)
        if "drop_stream_every" in body:
            every = _as_number(body, "drop_stream_every")
            changes["drop_stream_every"] = check_drop_every(every) if every else None
        if "fail_statuses" in body:
            statuses = body["fail_statuses"]
            if statuses is None:
                changes["fail_statuses"] = FAIL_STATUSES
            elif not isinstance(statuses, list) or any(isinstance(s, bool) or not isinstance(s, int)
                                                       for s in statuses):
                raise bad_request("fail_statuses must be a list of status codes or null")
            else:
                changes["fail_statuses"] = check_statuses(statuses)
    except ValueError as err:
        raise bad_request(str(err)) from None
    return replace(current, **changes)


# ---- the injector --------------------------------------------------------------------------

class Faults:
    """The middlewares, the stream-drop timer and the /sim/faults endpoints of one simulator."""

    def __init__(self, options: FaultOptions, seed: int, sockets: Collection[web.WebSocketResponse]) -> None:
        self.settings = options
        self.rng = random.Random(f"{seed}:faults")  # apart from the engine's RNGs ("{seed}:ids", ...)
        self.sockets = sockets  # the simulator's open trade_updates connections (a live view)
        self.injected: dict[int, int] = {status: 0 for status in FAIL_STATUSES}
        self.stream_drops = 0
        self._dropper: asyncio.Task | None = None
        self._closing: set[asyncio.Task] = set()
        self._running = False

    # ---- settings ----

    def configure(self, settings: FaultOptions) -> None:
        """Apply new settings; a changed drop period restarts its timer (from the event loop)."""
        old, self.settings = self.settings, settings
        if self._running and (old.drop_stream_every != settings.drop_stream_every or self._dropper is None):
            self._restart_dropper()

    def state(self) -> dict[str, Any]:
        return {**self.settings.to_json(),
                "injected": {str(status): count for status, count in self.injected.items()},
                "stream_drops": self.stream_drops}

    async def get_faults(self, request: web.Request) -> web.Response:
        return _json(self.state())

    async def post_faults(self, request: web.Request) -> web.Response:
        body = decode_json(await request.read())  # the same UTF-8, size and depth limits as the API
        self.configure(parse_settings(body, self.settings))
        return _json(self.state())

    # ---- REST: latency (outermost) and failures (inside auth and the rate limit) ----

    @web.middleware
    async def delay(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        latency = self.settings.latency_ms / 1000
        if latency <= 0 or not is_api_path(request.path):
            return await handler(request)
        await asyncio.sleep(latency / 2)
        response = await handler(request)
        await asyncio.sleep(latency / 2)
        return response

    @web.middleware
    async def fail(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        settings = self.settings
        if settings.fail_rate <= 0 or not is_api_path(request.path) or self.rng.random() >= settings.fail_rate:
            return await handler(request)
        status = self.rng.choice(settings.fail_statuses)
        self.injected[status] += 1
        if status == 504:
            try:
                await handler(request)  # it takes effect; the answer is lost on the way back
            except Exception:  # noqa: BLE001 - an error answer is lost the same way
                pass
            return web.Response(status=504, text=GATEWAY_TIMEOUT_PAGE, content_type="text/html")
        if status == 503:
            return _json({"message": "service unavailable"}, 503)
        return _json({"code": 50010000, "message": "internal server error"}, 500)

    # ---- the stream-drop timer ----

    async def start(self, _app: web.Application | None = None) -> None:
        self._running = True
        self._restart_dropper()

    async def stop(self, _app: web.Application | None = None) -> None:
        self._running = False
        tasks = [t for t in (self._dropper, *self._closing) if t is not None]
        self._dropper = None
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)

    def _restart_dropper(self) -> None:
        if self._dropper is not None:
            self._dropper.cancel()
            self._dropper = None
        if self.settings.drop_stream_every:
            self._dropper = asyncio.get_running_loop().create_task(self._drop_forever(self.settings.drop_stream_every))

    async def _drop_forever(self, every: float) -> None:
        while True:
            await asyncio.sleep(every)
            self.drop_streams()

    def drop_streams(self) -> int:
        """Close every open stream connection now; the closing handshakes run on their own."""
        sockets = [ws for ws in self.sockets if not ws.closed]
        if sockets:
            self.stream_drops += 1
            log.info("dropping %d stream connection(s) (simulated fault)", len(sockets))
        for ws in sockets:
            task = asyncio.get_running_loop().create_task(self._close(ws))
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)
        return len(sockets)

    @staticmethod
    async def _close(ws: web.WebSocketResponse) -> None:
        try:
            await ws.close(code=DROP_CODE, message=DROP_MESSAGE)
        except (ConnectionError, RuntimeError):
            pass  # the client went first


def _json(body: Any, status: int = 200) -> web.Response:
    return web.Response(text=json.dumps(body, separators=(",", ":")), status=status, content_type="application/json")
