"""Every use of alpaca-py's private API, in one place.

alpaca-py's REST clients (TradingClient, StockHistoricalDataClient: both
alpaca.common.rest.RESTClient) give no public way to choose the HTTP session or to turn
their retries off, and the app needs both. So two private attributes are set here, and
nowhere else. Each is checked before it is set: were alpaca-py to rename one, setting it
would silently add an attribute the client never reads (the client would keep its own
session: no deadline, no budget; or keep re-sending orders), so a client that lacks one
is refused at once instead. tests/test_sdk_compat.py fails when these internals drift;
read it first when upgrading alpaca-py (known good: 0.44).
"""

from __future__ import annotations

from typing import Any

import requests


class IncompatibleSdk(RuntimeError):
    """alpaca-py no longer has an internal this module relies on."""


def _require(client: Any, name: str, kind: type | tuple[type, ...]) -> None:
    if not isinstance(getattr(client, name, None), kind):
        raise IncompatibleSdk(
            f"{type(client).__name__}.{name} is missing or not a {getattr(kind, '__name__', kind)}: "
            "this alpaca-py's internals differ from what tui.broker.sdk_compat expects")


def install_session(client: Any, session: requests.Session) -> Any:
    """Send every request of `client` through `session`; returns the client.

    Why private: RESTClient.__init__ makes its own requests.Session() as `_session` and
    takes none as a parameter, and _one_request sends through `self._session`. Ours adds a
    timeout per read and a deadline per request (alpaca-py sets neither), follows no
    redirect (the key headers would go along), and counts trading requests in the budget."""
    _require(client, "_session", requests.Session)
    client._session = session
    return client


def disable_retries(client: Any) -> Any:
    """Make `client` send each request exactly once; returns the client.

    Why private: RESTClient._request re-sends on HTTP 429 and 504 (`_retry` times, 3 by
    default, sleeping `_retry_wait` seconds) and a retried POST after a 504 can place a
    second order. The constructor's retry_attempts cannot say 0: it keeps the default for
    any value that is not above 0. With `_retry` at 0, _one_request raises the APIError at
    once (our Dispatcher decides what to send again; the budget waits out 429s)."""
    _require(client, "_retry", int)
    client._retry = 0
    return client


def session_of(client: Any) -> requests.Session:
    """The session `client` sends through (for checks: ours, once installed)."""
    return client._session


def retries_of(client: Any) -> int:
    """How many times `client` would re-send a request answered 429 or 504."""
    return client._retry
