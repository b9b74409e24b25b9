"""What the HTTP and websocket fronts share: compact JSON, Alpaca's error bodies, the body limit."""

from __future__ import annotations

import json
from typing import Any, Awaitable, Callable

from aiohttp import web

from .errors import ApiError

MAX_BODY_BYTES = 64 * 1024  # the largest Alpaca body (a bracket order) is well under 1 KiB

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def dumps(body: Any) -> str:
    return json.dumps(body, separators=(",", ":"))


def json_response(body: Any, status: int = 200) -> web.Response:
    return web.Response(text=dumps(body), status=status, content_type="application/json")


def error_response(err: ApiError) -> web.Response:
    return json_response(err.body(), err.status)
