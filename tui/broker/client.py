"""The broker: every call the app makes to Alpaca (or the simulator), through alpaca-py.

Blocking by design — the UI runs each call in a thread worker. Every request has a
timeout per read (alpaca-py sets none) and a deadline for the whole answer, alpaca-py's
own retries are off (it would re-send a POST on 504), redirects are never followed (the
keys would go along), and each request is counted so the status bar can show the
request budget.
"""

from __future__ import annotations

import socket
import threading
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import requests
import urllib3
from requests.adapters import HTTPAdapter

from ..config import Config
from ..numbers import EARLIEST, moment, number
from . import deferred_pandas
from .errors import Redirected
from .ratelimit import Budget
from .sdk_compat import disable_retries, install_session

deferred_pandas.install()  # before alpaca-py is first imported: see the module's docstring

if TYPE_CHECKING:  # alpaca-py is imported lazily: it costs ~0.35 s of start-up
    from alpaca.trading.models import Account, Asset, Calendar, Clock, Order, Position

ORDERS_PAGE = 500  # the server's maximum page
FILLS_PAGE = 100  # the activities endpoint's maximum page
MAX_PAGES = 40


# ---- a deadline for the whole request -----------------------------------------------------
#
# requests' timeout bounds each wait for bytes, not the answer: a server that sends one byte
# every 2 s keeps a 10 s read timeout happy forever. So each request gets a watchdog that,
# at the deadline, shuts down the sockets the request is using: the blocked read returns at
# once and the request fails like a dead connection (trickled headers included).

_current = threading.local()  # the _Watch of the request running on this thread, if any


class DeadlineExceeded(requests.Timeout):
    """The whole answer did not come within the request's deadline: described as a timeout."""


class _Watch:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._connections: list[Any] = []
        self.expired = False
        self.done = False

    def add(self, connection: Any) -> None:
        with self._lock:
            self._connections.append(connection)

    def expire(self) -> None:
        with self._lock:
            if self.done:
                return
            self.expired = True
            for connection in self._connections:
                sock = getattr(connection, "sock", None)
                if sock is not None:
                    try:
                        sock.shutdown(socket.SHUT_RDWR)  # not close(): the reading thread owns the fd
                    except OSError:
                        pass

    def finish(self) -> None:
        with self._lock:
            self.done = True


class _Watched:
    """A urllib3 connection that tells the running request's watch it is in use."""

    def request(self, *args: Any, **kwargs: Any) -> Any:
        watch = getattr(_current, "watch", None)
        if watch is not None:
            watch.add(self)
        return super().request(*args, **kwargs)  # type: ignore[misc]


class _HTTPConnection(_Watched, urllib3.connection.HTTPConnection):
    pass


class _HTTPSConnection(_Watched, urllib3.connection.HTTPSConnection):
    pass


class _HTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


_WATCHED_POOLS = {"http": _HTTPPool, "https": _HTTPSPool}


class _WatchedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(_WATCHED_POOLS)

    def proxy_manager_for(self, proxy: str, **kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **kwargs)
        if manager.pool_classes_by_scheme == urllib3.poolmanager.pool_classes_by_scheme:  # not SOCKS
            manager.pool_classes_by_scheme = dict(_WATCHED_POOLS)
        return manager


class _BudgetedSession(requests.Session):
    """A requests session with a timeout per read and a deadline per request, that follows
    no redirect, and whose trading requests pass the budget.

    Market-data requests have their own budget at Alpaca, so that client's session is
    made with `budget=None`: timed out, never counted.
    """

    def __init__(self, budget: Budget | None, timeout: tuple[float, float], deadline: float | None = None) -> None:
        super().__init__()
        self._budget = budget
        self.timeout = timeout  # (connect, read) seconds, for every request
        self._deadline = deadline if deadline is not None else timeout[1] + 5.0
        adapter = _WatchedAdapter()
        self.mount("http://", adapter)
        self.mount("https://", adapter)

    def request(self, method, url, *args, **kwargs):  # type: ignore[override]
        kwargs.setdefault("timeout", self.timeout)
        # A redirect would carry the key headers to wherever Location points (requests
        # drops Authorization on a host change, not APCA-API-*): never follow one.
        kwargs["allow_redirects"] = False
        if self._budget is not None:
            self._budget.acquire()  # before the clock starts: waiting for the budget is not the server's fault
        response = self._timed(method, url, *args, **kwargs)
        if self._budget is not None:
            self._budget.note_answer(response.status_code, response.headers)
        if 300 <= response.status_code < 400:
            response.close()
            raise Redirected(response.status_code)
        return response

    def _timed(self, method, url, *args, **kwargs):
        watch = _Watch()
        timer = threading.Timer(self._deadline, watch.expire)
        timer.daemon = True
        outer = getattr(_current, "watch", None)
        _current.watch = watch
        timer.start()
        try:
            return super().request(method, url, *args, **kwargs)
        except Exception as err:
            if watch.expired:
                raise DeadlineExceeded(f"no complete answer within {self._deadline:g} s") from err
            raise
        finally:
            watch.finish()
            timer.cancel()
            _current.watch = outer


class Broker:
    def __init__(self, config: Config, budget: Budget | None = None) -> None:
        from alpaca.trading.client import TradingClient

        self.config = config
        self.budget = budget or Budget()
        self._timeout = (min(3.0, config.request_timeout), config.request_timeout)
        self.trading = self._tame(TradingClient(config.key_id, config.secret_key, paper=not config.live,
                                                url_override=config.base_url), self.budget)
        self._data: Any = None
        self._data_lock = threading.Lock()

    def _tame(self, client: Any, budget: Budget | None) -> Any:
        install_session(client, _BudgetedSession(budget, self._timeout, self.config.request_deadline))
        return disable_retries(client)  # never re-send (a retried POST can place a second order)

    @property
    def data(self) -> Any:
        """The market-data client, made on first use: it imports pandas (~0.5 s), which
        start-up does without. `prepare_data()` makes it ahead of the first quote."""
        with self._data_lock:
            if self._data is None:
                from alpaca.data.historical import StockHistoricalDataClient

                self._data = self._tame(StockHistoricalDataClient(
                    self.config.key_id, self.config.secret_key, url_override=self.config.data_url), None)
            return self._data

    def prepare_data(self) -> None:
        self.data

    # ---- reads -------------------------------------------------------------------------

    def account(self) -> Account:
        return self.trading.get_account()

    def positions(self) -> list[Position]:
        return list(self.trading.get_all_positions())

    def open_orders(self) -> list[Order]:
        """All open orders, legs nested under their parent, paging past the 500 cap."""
        from alpaca.trading.enums import QueryOrderStatus
        from alpaca.trading.requests import GetOrdersRequest

        found: dict[str, Order] = {}
        after: datetime | None = None
        for _ in range(MAX_PAGES):
            page = self.trading.get_orders(GetOrdersRequest(
                status=QueryOrderStatus.OPEN, limit=ORDERS_PAGE, nested=True, direction="asc", after=after))
            fresh = [o for o in page if str(o.id) not in found]
            for order in fresh:
                found[str(order.id)] = order
            if len(page) < ORDERS_PAGE or not fresh:
                break
            last = moment(page[-1].submitted_at)  # bounded: year 1 minus a microsecond would overflow
            if last is None:
                break
            # `after` is exclusive; step back a microsecond so orders sharing the last
            # timestamp are not skipped (the id check drops the repeats).
            after = last - timedelta(microseconds=1)
        return sorted(found.values(), key=lambda o: moment(o.submitted_at) or EARLIEST, reverse=True)

    def clock(self) -> Clock:
        return self.trading.get_clock()

    def calendar(self, start: date, end: date) -> list[Calendar]:
        from alpaca.trading.requests import GetCalendarRequest

        return list(self.trading.get_calendar(GetCalendarRequest(start=start, end=end)))

    def fills(self, after: datetime | None = None, limit: int = 500) -> list[dict]:
        """FILL activities, newest first (alpaca-py has no method for them: raw GET)."""
        params: dict[str, Any] = {"page_size": FILLS_PAGE, "direction": "desc"}
        if after is not None:
            params["after"] = after.isoformat()
        out: list[dict] = []
        while len(out) < limit:
            page = self.trading.get("/account/activities/FILL", params)
            if not isinstance(page, list):
                break
            out.extend(a for a in page if isinstance(a, dict))
            if len(page) < FILLS_PAGE or not page or not isinstance(page[-1], dict):
                break
            params["page_token"] = page[-1].get("id")
        return out[:limit]

    def asset(self, symbol: str) -> Asset | None:
        """The asset, or None when the server does not know the symbol."""
        return self._or_none(lambda: self.trading.get_asset(symbol))

    def quote(self, symbol: str) -> tuple[Decimal | None, Decimal | None, Decimal | None]:
        """(bid, ask, last) from one snapshot request; None where the feed has nothing."""
        from alpaca.data.requests import StockSnapshotRequest

        snaps = self.data.get_stock_snapshot(StockSnapshotRequest(symbol_or_symbols=symbol))
        snap = snaps.get(symbol) if isinstance(snaps, dict) else None
        if snap is None:
            return None, None, None

        def dec(value: Any) -> Decimal | None:
            figure = number(value)  # NaN, inf and 1e400 are no price: None, shown as a dash
            return figure if figure else None  # 0 means no quote, as in the feed

        quote, trade = snap.latest_quote, snap.latest_trade
        return (dec(quote.bid_price) if quote else None, dec(quote.ask_price) if quote else None,
                dec(trade.price) if trade else None)

    def order_by_client_id(self, client_order_id: str) -> Order | None:
        """The order sent with this client_order_id, or None when the server has none."""
        return self._or_none(lambda: self.trading.get_order_by_client_id(client_order_id))

    def order(self, order_id: str) -> Order | None:
        return self._or_none(lambda: self.trading.get_order_by_id(order_id))

    def orders_since(self, symbol: str, after: datetime) -> list[Order]:
        """Every order for `symbol` submitted after `after` (any status), newest first."""
        from alpaca.trading.enums import QueryOrderStatus
        from alpaca.trading.requests import GetOrdersRequest

        return list(self.trading.get_orders(GetOrdersRequest(
            status=QueryOrderStatus.ALL, symbols=[symbol], after=after, limit=ORDERS_PAGE, direction="desc")))

    @staticmethod
    def _or_none(call: Any) -> Any:
        from alpaca.common.exceptions import APIError

        try:
            return call()
        except APIError as err:
            if err.response is not None and err.response.status_code == 404:
                return None
            raise

    # ---- writes ------------------------------------------------------------------------

    def submit(self, request: Any) -> Order:
        return self.trading.submit_order(request)

    def cancel(self, order_id: str) -> None:
        self.trading.cancel_order_by_id(order_id)

    def cancel_all(self) -> list[Any]:
        return list(self.trading.cancel_orders() or [])

    def close_position(self, symbol: str, qty: Decimal | None = None, percentage: Decimal | None = None) -> Order:
        """Close all of a position, `qty` shares of it, or `percentage` percent of it."""
        from alpaca.trading.requests import ClosePositionRequest

        if qty is not None:
            options = ClosePositionRequest(qty=str(qty))
        elif percentage is not None:
            options = ClosePositionRequest(percentage=str(percentage))
        else:
            options = None
        return self.trading.close_position(symbol, close_options=options)

    def close_all(self, cancel_orders: bool) -> list[Any]:
        return list(self.trading.close_all_positions(cancel_orders=cancel_orders) or [])
