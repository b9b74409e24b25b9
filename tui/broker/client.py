"""The broker: every call the app makes to Alpaca (or the simulator), through alpaca-py.

Blocking by design — the UI runs each call in a thread worker. Every request has a
timeout (alpaca-py sets none), alpaca-py's own retries are off (it would re-send a POST
on 504), and each request is counted so the status bar can show the request budget.
"""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import requests

from ..config import Config
from . import deferred_pandas
from .ratelimit import Budget

deferred_pandas.install()  # before alpaca-py is first imported: see the module's docstring

if TYPE_CHECKING:  # alpaca-py is imported lazily: it costs ~0.35 s of start-up
    from alpaca.trading.models import Account, Asset, Calendar, Clock, Order, Position

ORDERS_PAGE = 500  # the server's maximum page
FILLS_PAGE = 100  # the activities endpoint's maximum page
MAX_PAGES = 40


class _BudgetedSession(requests.Session):
    """A requests session with a default timeout whose trading requests pass the budget.

    Market-data requests have their own budget at Alpaca, so that client's session is
    made with `budget=None`: timed out, never counted.
    """

    def __init__(self, budget: Budget | None, timeout: tuple[float, float]) -> None:
        super().__init__()
        self._budget = budget
        self._timeout = timeout

    def request(self, method, url, *args, **kwargs):  # type: ignore[override]
        kwargs.setdefault("timeout", self._timeout)
        if self._budget is not None:
            self._budget.acquire()
        response = super().request(method, url, *args, **kwargs)
        if self._budget is not None:
            self._budget.note_answer(response.status_code, response.headers)
        return response


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
        client._session = _BudgetedSession(budget, self._timeout)
        client._retry = 0  # never re-send (a retried POST can place a second order)
        return client

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
            # `after` is exclusive; step back a microsecond so orders sharing the last
            # timestamp are not skipped (the id check drops the repeats).
            after = page[-1].submitted_at - timedelta(microseconds=1)
        return sorted(found.values(), key=lambda o: o.submitted_at, reverse=True)

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
            return Decimal(str(value)) if value else None

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

    def close_position(self, symbol: str, qty: Decimal | None = None) -> Order:
        from alpaca.trading.requests import ClosePositionRequest

        options = ClosePositionRequest(qty=str(qty)) if qty is not None else None
        return self.trading.close_position(symbol, close_options=options)

    def close_all(self, cancel_orders: bool) -> list[Any]:
        return list(self.trading.close_all_positions(cancel_orders=cancel_orders) or [])
