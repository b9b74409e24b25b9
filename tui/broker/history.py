"""The account's past, page by page: orders, activities, and portfolio history.

Alpaca answers at most 500 orders and 100 activities a request. The pagers here ask for the
next page until a short one, each through the Broker (its session: timeouts, deadline,
request budget), and stop after `max_pages` whatever happens, so a server that keeps
answering full pages cannot keep a script running forever. No Textual here.

Orders page by time: with direction desc the next page is `until` the last order's
submitted_at, with asc `after` it. The boundary is moved one microsecond past that time
(so orders sharing it, or differing from it only in the nanoseconds Alpaca sends and
alpaca-py drops, are asked for again) and the repeats are dropped by id. Should a whole
page share one timestamp, time cannot move on: the pager stops and says so (`truncated`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Iterator, Sequence

from ..numbers import moment, number
from ..text import clean
from .activities import Activity, activity_id, parse_activities

if TYPE_CHECKING:
    from .client import Broker

ORDERS_PAGE = 500  # Alpaca's maximum
ACTIVITIES_PAGE = 100  # Alpaca's maximum without `date`
MAX_PAGES = 1000  # 500,000 orders / 100,000 activities: far beyond any account, still finite
MAX_POINTS = 100_000  # portfolio history points read (1Min over 30 days is ~12,000 in extended hours)
_STEP = timedelta(microseconds=1)


# ---- orders ----------------------------------------------------------------------------------

class OrderPages:
    """Every order matching the query, one page at a time, each order once.

    Iterate for the orders (in `direction` order): alpaca-py's Order models, or with
    raw=True the JSON objects as sent (Broker.order_history_raw). After iterating, `pages`
    is the number of requests made and `truncated` is True when the pager stopped before a
    short page (max_pages reached, or a full page that moved time no further)."""

    def __init__(self, broker: Broker, status: str = "all", after: datetime | None = None,
                 until: datetime | None = None, symbols: Sequence[str] | None = None, direction: str = "desc",
                 page_size: int = ORDERS_PAGE, max_pages: int = MAX_PAGES, raw: bool = False) -> None:
        if direction not in ("asc", "desc"):
            raise ValueError(f"direction must be asc or desc, not {direction!r}")
        if not 1 <= page_size <= ORDERS_PAGE:
            raise ValueError(f"page_size must be 1 to {ORDERS_PAGE}")
        self._broker = broker
        self._status, self._after, self._until = status, after, until
        self._symbols, self._direction = symbols, direction
        self._page_size, self._max_pages = page_size, max_pages
        self._read = broker.order_history_raw if raw else broker.order_history
        self.pages = 0
        self.truncated = False

    def __iter__(self) -> Iterator[Any]:
        seen: set[str] = set()
        after, until = self._after, self._until
        self.pages, self.truncated = 0, False
        while True:
            if self.pages >= self._max_pages:
                self.truncated = True
                return
            page = self._read(status=self._status, after=after, until=until, symbols=self._symbols,
                              direction=self._direction, limit=self._page_size)
            self.pages += 1
            fresh = 0
            for order in page:
                key = _field(order, "id")
                if key is None and not isinstance(order, dict):
                    continue  # raw: not an order at all
                if key is not None:
                    if str(key) in seen:
                        continue
                    seen.add(str(key))
                fresh += 1
                yield order
            if len(page) < self._page_size:
                return
            last = _submitted(page[-1])
            if last is None or fresh == 0:  # nothing to move the boundary to, or it did not move
                self.truncated = True
                return
            if self._direction == "desc":
                until = last + _STEP
            else:
                after = last - _STEP


def iter_orders(broker: Broker, **query: Any) -> OrderPages:
    """`OrderPages(broker, **query)`: iterate it for the orders."""
    return OrderPages(broker, **query)


def _field(order: Any, name: str) -> Any:
    """A field of an alpaca-py Order or of an order as sent (a dict)."""
    return order.get(name) if isinstance(order, dict) else getattr(order, name, None)


def _submitted(order: Any) -> datetime | None:
    return moment(_field(order, "submitted_at")) or moment(_field(order, "created_at"))


# ---- activities ------------------------------------------------------------------------------

@dataclass(frozen=True)
class ActivityPage:
    """One page of activities: the readable ones, how many the server sent, and the token
    for the next page (the last sent activity's id; None when it had none)."""

    activities: tuple[Activity, ...]
    received: int
    next_page_token: str | None

    @classmethod
    def from_wire(cls, body: Any) -> ActivityPage:
        items = body if isinstance(body, list) else []
        return cls(tuple(parse_activities(items)), len(items), activity_id(items[-1]) if items else None)


class ActivityPages:
    """Every activity matching the query, following `page_token` until a short page.
    `pages` and `truncated` as for OrderPages."""

    def __init__(self, broker: Broker, types: Sequence[str] | None = None, after: datetime | None = None,
                 until: datetime | None = None, date: date | None = None, direction: str = "desc",
                 page_size: int = ACTIVITIES_PAGE, max_pages: int = MAX_PAGES) -> None:
        self._broker = broker
        self._query = {"types": types, "after": after, "until": until, "date": date, "direction": direction}
        self._page_size, self._max_pages = page_size, max_pages
        self.pages = 0
        self.truncated = False

    def __iter__(self) -> Iterator[Activity]:
        token: str | None = None
        tokens: set[str] = set()
        self.pages, self.truncated = 0, False
        while True:
            if self.pages >= self._max_pages:
                self.truncated = True
                return
            page = self._broker.activities(**self._query, page_size=self._page_size, page_token=token)
            self.pages += 1
            yield from page.activities
            if page.received < self._page_size:
                return
            token = page.next_page_token
            if token is None or token in tokens:  # no way on, or a server going round in circles
                self.truncated = True
                return
            tokens.add(token)


def iter_activities(broker: Broker, **query: Any) -> ActivityPages:
    return ActivityPages(broker, **query)


# ---- portfolio history -----------------------------------------------------------------------

@dataclass(frozen=True)
class PortfolioHistory:
    """GET /v2/account/portfolio/history as plain values. The lists are the same length as
    `timestamp`; an unreadable point is None where it is (timestamps with an unreadable time
    are dropped together with their values)."""

    timestamp: tuple[datetime, ...]
    equity: tuple[Decimal | None, ...]
    profit_loss: tuple[Decimal | None, ...]
    profit_loss_pct: tuple[Decimal | None, ...]
    base_value: Decimal | None
    timeframe: str

    @classmethod
    def from_wire(cls, body: Any) -> PortfolioHistory:
        if not isinstance(body, dict):
            body = {}
        times = _list(body.get("timestamp"))
        columns = [_list(body.get(k)) for k in ("equity", "profit_loss", "profit_loss_pct")]
        kept: list[tuple[datetime, list[Decimal | None]]] = []
        for i, raw in enumerate(times):
            at = _epoch(raw)
            if at is not None:
                kept.append((at, [number(column[i]) if i < len(column) else None for column in columns]))
        return cls(
            timestamp=tuple(at for at, _ in kept),
            equity=tuple(values[0] for _, values in kept),
            profit_loss=tuple(values[1] for _, values in kept),
            profit_loss_pct=tuple(values[2] for _, values in kept),
            base_value=number(body.get("base_value")),
            timeframe=clean(body.get("timeframe"), one_line=True, limit=10) if isinstance(body.get("timeframe"), str)
            else "",
        )


def _list(value: Any) -> list[Any]:
    return value[:MAX_POINTS] if isinstance(value, list) else []


def _epoch(value: Any) -> datetime | None:
    """Seconds since 1970 (Alpaca's portfolio-history timestamps), bounded like moment()."""
    seconds = number(value, Decimal("1e11"))
    if seconds is None:
        return None
    try:
        return moment(datetime.fromtimestamp(int(seconds), UTC))
    except (OverflowError, OSError, ValueError):
        return None
