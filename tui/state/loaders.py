"""What each refresh reads, run on worker threads: broker calls and parsing, no widgets.

Each loader takes the broker and the snapshot it may compare against (read once: see
account.py) and returns a typed payload for the UI thread to apply.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Callable

from ..broker.activity import DayTradeBook, FillRow, parse_fills, window_days
from ..broker.errors import Problem, describe
from ..numbers import moment, number
from ..sessions import TradingDay, read_calendar
from ..terms import NEW_YORK
from .account import Snapshot
from .orders import order_version

CALENDAR_BACK, CALENDAR_AHEAD = 14, 10  # days: day trades look back, sessions ahead


@dataclass
class PositionsRead:
    """Positions and the account, read back to back."""

    positions: tuple[Any, ...] = ()
    rows: Any = None  # the positions made ready for the table, off the UI thread (see load_positions)
    account: Any = None
    problems: dict[str, Problem] = field(default_factory=dict)  # per part, when only one of the two failed
    read_at: float = 0.0  # monotonic: when they were asked for (live prices after it are newer)


@dataclass
class OrdersRead:
    """The open orders, when they differ from those shown (None is returned otherwise)."""

    orders: dict[str, Any]
    versions: dict[str, tuple]


@dataclass
class ClockRead:
    clock: Any
    calendar: tuple[TradingDay, ...] | None  # read once a New York day; None otherwise
    today: date


@dataclass
class FillsRead:
    days: tuple[date, ...]  # the trading days the day-trade window was counted on
    fills: tuple[FillRow, ...]
    daybook: DayTradeBook
    today: date


def load_positions(broker: Any, snapshot: Snapshot, rows: Callable[[list[Any]], Any]) -> PositionsRead:
    """Positions and the account, read back to back: the account's equity and market values
    then agree with the positions shown (read apart, a price move between the two reads made
    equity differ from cash + positions with nothing saying why). `rows` prepares the table's
    update here, off the UI thread: 1,000 positions are ~9,000 strings."""
    read = PositionsRead()
    failed: Exception | None = None
    try:
        positions = broker.positions()
        read.positions, read.rows = tuple(positions), rows(positions)
    except Exception as err:  # the account may still come: each pane shows what it has
        failed = err
    try:
        read.account = broker.account()
    except Exception as err:
        if failed is not None:
            raise failed from None  # both failed: one problem, as with any fetch
        read.problems["account"] = describe(err)
    if failed is not None:
        read.problems["positions"] = describe(failed)
    return read


def load_orders(broker: Any, snapshot: Snapshot) -> OrdersRead | None:
    """None when the open orders are those shown: a reconciliation that finds nothing new
    (the usual case, the stream having delivered every change) frees its 2,000 parsed
    orders here, on this thread, not the UI's."""
    orders = broker.open_orders()
    versions = {str(o.id): order_version(o) for o in orders}
    if versions == snapshot.versions:
        return None
    return OrdersRead({str(o.id): o for o in orders}, versions)


def load_clock(broker: Any, snapshot: Snapshot) -> ClockRead:
    clock = broker.clock()
    stamp = moment(clock.timestamp)
    if stamp is None:  # year 9999 or year 1: nothing to show or compute with
        raise ValueError("the server's clock is out of range")
    today = stamp.astimezone(NEW_YORK).date()
    calendar = None
    if snapshot.calendar_for != today:
        try:
            calendar = tuple(read_calendar(broker.calendar(today - timedelta(days=CALENDAR_BACK),
                                                           today + timedelta(days=CALENDAR_AHEAD))))
        except Exception:  # the clock still shows; sessions wait for the next read
            calendar = None
    return ClockRead(clock, calendar, today)


def load_fills(broker: Any, snapshot: Snapshot, today: date) -> FillsRead:
    """Fills since the start of the day-trade window, and the day trades they make."""
    days = snapshot.trading_days
    if snapshot.calendar_for != today:  # the clock's read brings it once a day; else read it here
        days = tuple(d.date for d in broker.calendar(today - timedelta(days=CALENDAR_BACK), today))
    window = window_days(list(days), today)
    after = datetime.combine(window[0], datetime.min.time(), NEW_YORK) - timedelta(seconds=1)
    fills = tuple(parse_fills(broker.fills(after=after)))
    held = {p.symbol: number(p.qty) or Decimal(0) for p in snapshot.positions}
    return FillsRead(days, fills, DayTradeBook(fills, window, held), today)


# ---- market data -----------------------------------------------------------------------

TREND_TIMEFRAME = "5Min"  # the watchlist's sparkline: a session in 78 points
TREND_DAYS_BACK = 5  # calendar days searched back for the last session (weekends, holidays)
TREND_PER_READ = 12  # symbols whose trend one read fetches: the rest wait for the next


@dataclass
class QuotesRead:
    snapshots: dict[str, Any]  # symbol -> tui.broker.market.MarketSnapshot
    trends: dict[str, list[Any]]  # symbol -> the last session's bars
    asked: tuple[str, ...]  # the symbols whose snapshots were asked for


def last_session(bars: list[Any]) -> list[Any]:
    """The bars of the latest New York day among them."""
    if not bars:
        return []
    day = bars[-1].time.astimezone(NEW_YORK).date()
    return [bar for bar in bars if bar.time.astimezone(NEW_YORK).date() == day]


def load_quotes(broker: Any, snapshot_symbols: tuple[str, ...], trend_symbols: tuple[str, ...],
                now: datetime) -> QuotesRead:
    """Snapshots of `snapshot_symbols` in one request, and the intraday bars of a few of
    `trend_symbols` (a request each; the first read of a long watchlist is spread out)."""
    snapshots = broker.snapshots(list(snapshot_symbols)) if snapshot_symbols else {}
    trends: dict[str, list[Any]] = {}
    start = now - timedelta(days=TREND_DAYS_BACK)
    for symbol in trend_symbols[:TREND_PER_READ]:
        try:
            trends[symbol] = last_session(broker.bars(symbol, TREND_TIMEFRAME, start))
        except Exception:  # a sparkline is nice to have: it is tried again next read
            continue
    return QuotesRead(dict(snapshots), trends, snapshot_symbols)


@dataclass
class WatchlistsRead:
    watchlists: tuple[Any, ...]  # tui.broker.market.Watchlist, with their symbols


def load_watchlists(broker: Any) -> WatchlistsRead:
    return WatchlistsRead(tuple(broker.watchlists()))
