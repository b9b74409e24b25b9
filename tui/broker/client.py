"""The broker: every call the app makes to Alpaca (or the simulator), through alpaca-py.

Blocking by design — the UI runs each call in a thread worker. Every request has a
timeout per read (alpaca-py sets none) and a deadline for the whole answer, alpaca-py's
own retries are off (it would re-send a POST on 504), redirects are never followed (the
keys would go along), and each request is counted so the status bar can show the
request budget.
"""

from __future__ import annotations

import re
import socket
import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Sequence
from urllib.parse import quote as quote_path

import requests
import urllib3
from requests.adapters import HTTPAdapter

from ..config import Config
from ..numbers import EARLIEST, moment, number
from ..text import clean, is_symbol
from . import deferred_pandas
from .activities import ACTIVITY_TYPE
from .errors import Redirected
from .history import ActivityPage, PortfolioHistory
from .market import AssetInfo, Bar, MarketSnapshot, QuoteTick, TradeTick, Watchlist
from .ratelimit import Budget
from .sdk_compat import disable_retries, install_session

deferred_pandas.install()  # before alpaca-py is first imported: see the module's docstring

if TYPE_CHECKING:  # alpaca-py is imported lazily: it costs ~0.35 s of start-up
    from alpaca.trading.models import Account, Asset, Calendar, Clock, Order, Position

ORDERS_PAGE = 500  # the server's maximum page
FILLS_PAGE = 100  # the activities endpoint's maximum page
MAX_PAGES = 40
BARS_PAGE = 10000  # the data API's maximum page
MAX_BAR_PAGES = 10
SNAPSHOT_BATCH = 200  # symbols per snapshot request: keeps the URL short
TIMEFRAMES = ("1Min", "5Min", "15Min", "1Hour", "1Day", "1Week", "1Month")
PORTFOLIO_TIMEFRAMES = ("1Min", "5Min", "15Min", "1H", "1D")
_WATCHLIST_ID = re.compile(r"[A-Za-z0-9-]{1,64}")


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

    # ---- history: orders of any status, activities, portfolio history -------------------
    #
    # One page per call; tui.broker.history pages past the per-request caps.

    def order_history(self, status: str = "closed", after: datetime | None = None, until: datetime | None = None,
                      symbols: Sequence[str] | None = None, direction: str = "desc",
                      limit: int = ORDERS_PAGE) -> list[Order]:
        """One page of orders (at most `limit`, up to Alpaca's 500) of `status` closed, all or
        open, submitted after `after` and before `until`, legs nested under their parent, as
        alpaca-py's models. history.OrderPages reads them all."""
        return list(self.trading.get_orders(self._orders_request(status, after, until, symbols, direction, limit)))

    def order_history_raw(self, status: str = "closed", after: datetime | None = None,
                          until: datetime | None = None, symbols: Sequence[str] | None = None,
                          direction: str = "desc", limit: int = ORDERS_PAGE) -> list[Any]:
        """order_history's page as the server sent it (JSON objects, unparsed): alpaca-py's
        Order model fails a whole page on one enum value it does not know (a new status, an
        exchange), which an export must survive. Same request, through get_orders' path."""
        params = self._orders_request(status, after, until, symbols, direction, limit).to_request_fields()
        if isinstance(params.get("symbols"), list):
            params["symbols"] = ",".join(params["symbols"])  # as get_orders sends them
        body = self.trading.get("/orders", params)
        return body if isinstance(body, list) else []

    @staticmethod
    def _orders_request(status: str, after: datetime | None, until: datetime | None,
                        symbols: Sequence[str] | None, direction: str, limit: int) -> Any:
        from alpaca.trading.enums import QueryOrderStatus
        from alpaca.trading.requests import GetOrdersRequest

        if status not in ("open", "closed", "all"):
            raise ValueError(f"status must be open, closed or all, not {status!r}")
        if direction not in ("asc", "desc"):
            raise ValueError(f"direction must be asc or desc, not {direction!r}")
        if not 1 <= limit <= ORDERS_PAGE:
            raise ValueError(f"limit must be 1 to {ORDERS_PAGE}, not {limit!r}")
        wanted = [s for s in symbols if is_symbol(s)] if symbols else None
        if symbols and not wanted:
            raise ValueError("none of the symbols is a symbol")
        return GetOrdersRequest(status=QueryOrderStatus(status), limit=limit, after=after, until=until,
                                direction=direction, nested=True, symbols=wanted)

    def positions_raw(self) -> list[Any]:
        """GET /v2/positions as the server sent it (JSON objects, unparsed), for exports:
        alpaca-py's Position model refuses the whole list over one unknown exchange."""
        body = self.trading.get("/positions")
        return body if isinstance(body, list) else []

    def activities(self, types: Sequence[str] | None = None, after: datetime | None = None,
                   until: datetime | None = None, date: date | None = None, direction: str = "desc",
                   page_size: int = FILLS_PAGE, page_token: str | None = None) -> ActivityPage:
        """One page of account activities (alpaca-py has no method for them: raw GET, each
        parsed field by field by tui.broker.activities). One type is asked for by path
        (/account/activities/FILL), several by `activity_types`, none means every type.
        history.ActivityPages follows the page tokens."""
        kinds = [t.upper() for t in types] if types else []
        for kind in kinds:
            if not ACTIVITY_TYPE.fullmatch(kind):
                raise ValueError(f"not an activity type: {kind!r}")
        if direction not in ("asc", "desc"):
            raise ValueError(f"direction must be asc or desc, not {direction!r}")
        if not 1 <= page_size <= (1000 if date is not None else FILLS_PAGE):
            raise ValueError(f"page_size out of range: {page_size!r}")
        params: dict[str, Any] = {"direction": direction, "page_size": page_size}
        if after is not None:
            params["after"] = _rfc3339_exact(after)
        if until is not None:
            params["until"] = _rfc3339_exact(until)
        if date is not None:
            params["date"] = date.isoformat()
        if page_token:
            params["page_token"] = page_token
        path = "/account/activities"
        if len(kinds) == 1:
            path += f"/{kinds[0]}"
        elif kinds:
            params["activity_types"] = ",".join(kinds)
        return ActivityPage.from_wire(self.trading.get(path, params))

    def portfolio_history(self, period: str | None = None, timeframe: str | None = None) -> PortfolioHistory:
        """The account's equity over time. The request is alpaca-py's GetPortfolioHistoryRequest
        and goes where get_portfolio_history sends it, but the answer is read by
        history.PortfolioHistory rather than alpaca-py's model: Alpaca sends null equity
        points (before the account had any), which that model's List[float] refuses whole."""
        from alpaca.trading.requests import GetPortfolioHistoryRequest

        if period is not None and not re.fullmatch(r"[1-9][0-9]{0,3}[DWMA]", period):
            raise ValueError(f"not a period (e.g. 1D, 1W, 1M, 1A): {period!r}")
        if timeframe is not None and timeframe not in PORTFOLIO_TIMEFRAMES:
            raise ValueError(f"timeframe must be one of {', '.join(PORTFOLIO_TIMEFRAMES)}: {timeframe!r}")
        request = GetPortfolioHistoryRequest(period=period, timeframe=timeframe)
        return PortfolioHistory.from_wire(self.trading.get("/account/portfolio/history", request.to_request_fields()))

    def asset(self, symbol: str) -> Asset | None:
        """The asset, or None when the server does not know the symbol."""
        return self._or_none(lambda: self.trading.get_asset(symbol))

    def quote(self, symbol: str) -> tuple[Decimal | None, Decimal | None, Decimal | None]:
        """(bid, ask, last) from one snapshot request; None where the feed has nothing."""
        snap = self.snapshots([symbol]).get(symbol)
        if snap is None:
            return None, None, None
        quote, trade = snap.quote, snap.trade
        return (quote.bid if quote else None, quote.ask if quote else None, trade.price if trade else None)

    # ---- market data ---------------------------------------------------------------------
    #
    # Read raw through the data client (its session: timeouts, deadline, no redirects) and
    # turned into tui.broker.market's plain values here, field by field: alpaca-py's models
    # would fail a whole answer on one unreadable field (or an asset enum it does not know).

    @property
    def _feed(self) -> str:
        return str(getattr(self.config, "data_feed", None) or "iex")

    def snapshots(self, symbols: Sequence[str]) -> dict[str, MarketSnapshot]:
        """Snapshots by symbol, one request per 200 symbols; symbols the feed does not know
        are left out (as the server leaves them out)."""
        wanted = list(dict.fromkeys(s for s in symbols if is_symbol(s)))
        out: dict[str, MarketSnapshot] = {}
        for i in range(0, len(wanted), SNAPSHOT_BATCH):
            batch = wanted[i:i + SNAPSHOT_BATCH]
            body = self.data.get("/stocks/snapshots", {"symbols": ",".join(batch), "feed": self._feed})
            if not isinstance(body, dict):
                continue
            if "snapshots" in body and isinstance(body["snapshots"], dict):  # the multi-symbol shape some versions use
                body = body["snapshots"]
            for symbol in batch:
                raw = body.get(symbol)
                if isinstance(raw, dict):
                    out[symbol] = _snapshot(symbol, raw)
        return out

    def bars(self, symbol: str, timeframe: str, start: datetime, end: datetime | None = None,
             limit: int = 10000) -> list[Bar]:
        """Up to `limit` bars of `timeframe` (one of TIMEFRAMES) from `start`, oldest first,
        following page tokens for at most MAX_BAR_PAGES pages. Unreadable bars are dropped."""
        if timeframe not in TIMEFRAMES:
            raise ValueError(f"unknown timeframe: {timeframe!r}")
        if not is_symbol(symbol):
            raise ValueError(f"not a symbol: {symbol!r}")
        params: dict[str, Any] = {"timeframe": timeframe, "start": _rfc3339(start), "feed": self._feed,
                                  "sort": "asc"}
        if end is not None:
            params["end"] = _rfc3339(end)
        out: list[Bar] = []
        path = f"/stocks/{quote_path(symbol, safe='')}/bars"
        for _ in range(MAX_BAR_PAGES):
            wanted = limit - len(out)
            if wanted <= 0:
                break
            params["limit"] = min(wanted, BARS_PAGE)
            body = self.data.get(path, params)
            if not isinstance(body, dict):
                break
            page = body.get("bars")
            if isinstance(page, dict):  # the multi-symbol shape
                page = page.get(symbol)
            for raw in page if isinstance(page, list) else ():
                bar = _bar(symbol, raw)
                if bar is not None:
                    out.append(bar)
            token = body.get("next_page_token")
            if not token or not isinstance(token, str):
                break
            params["page_token"] = token
        return out[:limit]

    # ---- assets and watchlists ---------------------------------------------------------

    def assets(self) -> list[AssetInfo]:
        """Every active us_equity asset (Alpaca's list is ~12,000 long: one request)."""
        from alpaca.trading.enums import AssetClass, AssetStatus
        from alpaca.trading.requests import GetAssetsRequest

        params = GetAssetsRequest(status=AssetStatus.ACTIVE, asset_class=AssetClass.US_EQUITY).to_request_fields()
        body = self.trading.get("/assets", params)
        found = (_asset(raw) for raw in (body if isinstance(body, list) else ()))
        return [asset for asset in found if asset is not None]

    def watchlists(self) -> list[Watchlist]:
        """The account's watchlists with their symbols. Alpaca's list leaves the assets out:
        then each is read by id (one request each; one deleted meanwhile is left out)."""
        body = self.trading.get("/watchlists")
        out: list[Watchlist] = []
        for raw in body if isinstance(body, list) else ():
            if not isinstance(raw, dict):
                continue
            if not isinstance(raw.get("assets"), list):
                wid = raw.get("id")
                if not isinstance(wid, str) or not _WATCHLIST_ID.fullmatch(wid):
                    continue
                raw = self._or_none(lambda: self.trading.get(f"/watchlists/{wid}"))
            listed = _watchlist(raw)
            if listed is not None:
                out.append(listed)
        return out

    def watchlist(self, watchlist_id: str) -> Watchlist:
        return self._must(self.trading.get(f"/watchlists/{_wid(watchlist_id)}"))

    def create_watchlist(self, name: str, symbols: Sequence[str] = ()) -> Watchlist:
        return self._must(self.trading.post("/watchlists", {"name": name, "symbols": list(symbols)}))

    def rename_watchlist(self, watchlist_id: str, name: str) -> Watchlist:
        """A new name; the symbols stay (the PUT carries the name only)."""
        return self._must(self.trading.put(f"/watchlists/{_wid(watchlist_id)}", {"name": name}))

    def add_to_watchlist(self, watchlist_id: str, symbol: str) -> Watchlist:
        return self._must(self.trading.post(f"/watchlists/{_wid(watchlist_id)}", {"symbol": symbol}))

    def remove_from_watchlist(self, watchlist_id: str, symbol: str) -> Watchlist:
        return self._must(self.trading.delete(f"/watchlists/{_wid(watchlist_id)}/{quote_path(symbol, safe='')}"))

    def delete_watchlist(self, watchlist_id: str) -> None:
        self.trading.delete(f"/watchlists/{_wid(watchlist_id)}")

    @staticmethod
    def _must(raw: Any) -> Watchlist:
        listed = _watchlist(raw)
        if listed is None:
            raise ValueError("the server answered with no readable watchlist")
        return listed

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

    def replace(self, order_id: str, changes: dict[str, Any], client_order_id: str) -> Order:
        """PATCH /v2/orders/{id}: a new order (new id, `client_order_id`) in the old one's
        place; the old one ends `replaced`. `changes`: qty, limit_price, stop_price, trail,
        time_in_force — only those that change. Sent once (retries are off): Dispatcher.replace
        decides what may go again."""
        from alpaca.trading.enums import TimeInForce
        from alpaca.trading.requests import ReplaceOrderRequest

        fields: dict[str, Any] = {"client_order_id": client_order_id}
        for name in ("limit_price", "stop_price", "trail"):
            if changes.get(name) is not None:
                fields[name] = float(changes[name])
        if changes.get("qty") is not None:
            fields["qty"] = int(changes["qty"])
        if changes.get("time_in_force") is not None:
            fields["time_in_force"] = TimeInForce(changes["time_in_force"])
        return self.trading.replace_order_by_id(order_id, ReplaceOrderRequest(**fields))

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


# ---- market data from the wire: plain values, bounded ----------------------------------------

def _rfc3339(when: datetime) -> str:
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _rfc3339_exact(when: datetime) -> str:
    """RFC 3339 with the microseconds kept (paging bounds must not lose them)."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _price(value: Any) -> Decimal | None:
    figure = number(value)  # NaN, inf and 1e400 are no price: None, shown as a dash
    return figure if figure is not None and figure > 0 else None  # 0 means no quote, as in the feed


def _get(raw: Any, key: str) -> Any:
    return raw.get(key) if isinstance(raw, dict) else None


def _quote(symbol: str, raw: Any) -> QuoteTick | None:
    if not isinstance(raw, dict):
        return None
    return QuoteTick(symbol, _price(raw.get("bp")), _price(raw.get("ap")), number(raw.get("bs")),
                     number(raw.get("as")), moment(raw.get("t")))


def _trade(symbol: str, raw: Any) -> TradeTick | None:
    if not isinstance(raw, dict):
        return None
    return TradeTick(symbol, _price(raw.get("p")), number(raw.get("s")), moment(raw.get("t")))


def _bar(symbol: str, raw: Any) -> Bar | None:
    """A bar, or None when its time or any of open, high, low, close is unreadable."""
    if not isinstance(raw, dict):
        return None
    time = moment(raw.get("t"))
    o, h, l, c = (_price(raw.get(k)) for k in ("o", "h", "l", "c"))  # noqa: E741
    if time is None or o is None or h is None or l is None or c is None:
        return None
    volume = number(raw.get("v"))
    return Bar(symbol, time, o, h, l, c, volume if volume is not None and volume >= 0 else Decimal(0))


def _snapshot(symbol: str, raw: dict) -> MarketSnapshot:
    return MarketSnapshot(symbol, _quote(symbol, raw.get("latestQuote")), _trade(symbol, raw.get("latestTrade")),
                          _bar(symbol, raw.get("minuteBar")), _bar(symbol, raw.get("dailyBar")),
                          _bar(symbol, raw.get("prevDailyBar")))


def _asset(raw: Any) -> AssetInfo | None:
    symbol = _get(raw, "symbol")
    if not is_symbol(symbol):
        return None
    return AssetInfo(symbol, clean(raw.get("name"), one_line=True, limit=200),
                     clean(raw.get("exchange"), one_line=True, limit=20), raw.get("tradable") is True,
                     raw.get("fractionable") is True, raw.get("shortable") is True)


def _watchlist(raw: Any) -> Watchlist | None:
    wid = _get(raw, "id")
    if not isinstance(wid, str) or not _WATCHLIST_ID.fullmatch(wid):
        return None
    assets = raw.get("assets")
    symbols = tuple(dict.fromkeys(a["symbol"] for a in (assets if isinstance(assets, list) else ())
                                  if isinstance(a, dict) and is_symbol(a.get("symbol"))))
    return Watchlist(wid, clean(raw.get("name"), one_line=True, limit=64), symbols, moment(raw.get("updated_at")))


def _wid(watchlist_id: str) -> str:
    """An id to put in a URL path: only what a watchlist id is made of."""
    if not isinstance(watchlist_id, str) or not _WATCHLIST_ID.fullmatch(watchlist_id):
        raise ValueError(f"not a watchlist id: {watchlist_id!r}")
    return watchlist_id
