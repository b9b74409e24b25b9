"""Background refreshes, driven by one table: what each fetch reads, how often, which parts
of the screen its answer brings and how each is shown.

Fetches run in thread workers (tui/state/loaders.py, broker calls only) and come back as
`Fetched` messages; the UI thread applies the payload to the account state and the panes.
The bookkeeping (in flight, again, OFFLINE, stale notes) is tui/state/refresh.py.
To add a pane with data of its own: a loader, a Part with its show function, a Fetch row.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, Callable

from ..broker.errors import describe
from ..config import Intervals
from ..state.account import AccountState, revalued
from ..state.loaders import ClockRead, FillsRead, OrdersRead, PositionsRead, QuotesRead, WatchlistsRead, \
    load_clock, load_fills, load_orders, load_positions, load_quotes, load_watchlists
from ..state.orders import accept_orders
from ..state.quotes import reprice_all
from ..state.refresh import RefreshSchedule
from .messages import Fetched
from .widgets.account import AccountPane
from .widgets.clock import ClockPane
from .widgets.orders import OrdersPane
from .widgets.positions import COLUMNS as POSITION_COLUMNS, PositionsTable, position_rows
from .widgets.table import RowDiffer
from .widgets.watchlist import WatchlistTable, stale_mark

RECONCILE = ("orders", "positions", "fills")  # what the stream's events change
MARKET = ("quotes", "watchlists")  # not read when the app runs without market data

if TYPE_CHECKING:
    from .app import AlpacaApp


@dataclass(frozen=True)
class Part:
    """Something a fetch brings and a pane shows."""

    name: str
    pane: str  # the pane's id, marked failing or stale for this part
    show: Callable[["Refresher", Any], None]  # on the UI thread, with the fetch's payload
    first: bool = True  # the first screen waits for it


@dataclass(frozen=True)
class Fetch:
    name: str
    parts: tuple[Part, ...]
    load: Callable[["Refresher"], Any]  # on a worker thread: broker calls, no widgets
    # seconds between refreshes, given (the intervals, the trade stream is up, the data stream
    # carries every position's price)
    interval: Callable[[Intervals, bool, bool], float]


class Refresher:
    """Runs the fetches of FETCHES for an app and applies their answers."""

    def __init__(self, app: AlpacaApp, state: AccountState) -> None:
        self.app, self.state = app, state
        self.fetches = {fetch.name: fetch for fetch in FETCHES}
        self.parts = {part.name: part for fetch in FETCHES for part in fetch.parts}
        self.schedule = RefreshSchedule({f.name: tuple(p.name for p in f.parts) for f in FETCHES},
                                        first=[p.name for p in self.parts.values() if p.first], probe="clock")
        # The positions' rows are made by the loader (a worker) and, between reads, again at
        # live prices on the UI thread: one differ and one row cache, used under the lock.
        self._positions_lock = threading.Lock()
        self._positions_differ = RowDiffer(POSITION_COLUMNS)
        self._position_cells: dict[str, Any] = {}
        self.positions_read_at = 0.0  # monotonic: when the positions shown were asked for

    # ---- starting fetches ----

    def ask(self, part: str) -> None:
        """Fetch `part` now, unless its fetch is running (it then runs once more)."""
        if part in MARKET and not self.app.market.enabled:
            return
        name = self.schedule.start(part)
        if name is not None:
            self.app.run_worker(partial(self._run, self.fetches[name]), thread=True, group=f"fetch-{name}",
                                name=f"fetch {name}", exit_on_error=False)

    def ask_all(self) -> None:
        """Everything now (the `r` key); the status bar says so until every answer is in."""
        for name in self.schedule.ask_all():
            self.ask(name)

    def start(self) -> None:
        """At start-up: the first screen's fetches, now."""
        for fetch in FETCHES:
            if any(part.first for part in fetch.parts):
                self.ask(fetch.name)

    def reconcile(self) -> None:
        """The stream (re)connected: read again what its events change, since some may have
        been lost. A fetch in flight may have been answered before the stream listened: it
        runs once more."""
        schedule = self.schedule
        for part in RECONCILE:
            if schedule.fetched_at(part) is not None or schedule.in_flight(schedule.fetch_of(part)):
                self.ask(part)

    def tick(self) -> None:
        """Every second: start what is due, and say on each pane how old its data is."""
        streaming, live = self.app.stream_state == "listening", self.app.market.carries_positions
        intervals = self.app.config.intervals
        for name in self.schedule.due(lambda n: self.fetches[n].interval(intervals, streaming, live)):
            if name not in MARKET or self.app.market.enabled:
                self.ask(name)
        for part in self.parts.values():
            if part.first:  # fills share the orders pane, whose note is the orders'
                self._mark_stale(part, self.schedule.note(part.name))

    def _run(self, fetch: Fetch) -> None:
        try:
            data = fetch.load(self)
        except Exception as err:  # any failure becomes a message; the app keeps running
            self.app.post_message(Fetched(fetch.name, None, describe(err)))
            return
        self.app.post_message(Fetched(fetch.name, data))

    # ---- answers ----

    def answered(self, message: Fetched) -> None:
        fetch = self.fetches[message.resource]
        self.schedule.ended(fetch.name)
        for part in fetch.parts:
            problem = message.problem
            if problem is None and isinstance(message.data, PositionsRead):
                problem = message.data.problems.get(part.name)
            if problem is not None:
                self._failed(part, problem)
            else:
                self._succeeded(part, message.data)
        if self.schedule.wants_again(fetch.name):
            self.ask(fetch.name)

    def _succeeded(self, part: Part, data: Any) -> None:
        answer = self.schedule.succeeded(part.name)
        self.app.server_answered()
        if answer.recovered:
            self.app.main.query_one(f"#{part.pane}").remove_class("failing")
        if answer.back_online:
            self._back_online()
        if part.first:
            self._mark_stale(part, "")
        part.show(self, data)
        if answer.first_round_done:
            self.app.after_first_round()

    def _failed(self, part: Part, problem: Any) -> None:
        answer = self.schedule.failed(part.name, problem)
        self.app.main.query_one(f"#{part.pane}").add_class("failing")
        server_trouble = problem.transport or (problem.status or 0) >= 500
        if answer.new_problem and not server_trouble:  # shown as OFFLINE or a stale pane instead: a toast per try is noise
            self.app.notify(str(problem), title=f"{part.name.title()} could not be loaded", severity="error")
        if answer.first_round_done:
            self.app.after_first_round()

    def _back_online(self) -> None:
        """An answer after OFFLINE: read everything again (the server may have come back with
        different state) and have the stream reconnect now rather than at its next try."""
        for fetch in FETCHES:
            if not self.schedule.first_round or any(part.first for part in fetch.parts):
                self.ask(fetch.name)
        self.app.wake_stream()

    def _mark_stale(self, part: Part, note: str) -> None:
        pane = self.app.main.query_one(f"#{part.pane}")
        if isinstance(pane, (OrdersPane, PositionsTable)):  # their subtitles also name hidden columns
            pane.mark_stale(note)
        elif pane.border_subtitle != note:
            pane.border_subtitle = note

    # ---- loaders (worker threads) and show functions (UI thread), by part ----

    def load_positions(self) -> PositionsRead:
        asked = time.monotonic()
        read = load_positions(self.app.broker, self.state.snapshot, self._position_rows)
        read.read_at = asked
        return read

    def _position_rows(self, positions: Any, marks: Any = None) -> Any:
        with self._positions_lock:
            return self._positions_differ.diff(position_rows(positions, marks, self._position_cells))

    def show_positions(self, read: PositionsRead) -> None:
        self.state.swap(positions=read.positions)
        self.positions_read_at = read.read_at
        self.app.main.query_one(PositionsTable).show(read.positions, read.rows)
        self.app.realized.positions_changed()
        self.app.sync_bindings()
        self.app.market.replan()
        self.app.market.flush_deferred()

    def reprice(self, symbols: set[str]) -> None:
        """Positions at the live prices that came since they were read (UI thread), with
        each price's age when it is old."""
        positions = self.state.positions
        if not positions or not symbols.intersection(str(p.symbol) for p in positions):
            return
        market = self.app.market
        if self.schedule.in_flight("positions"):
            # The loader diffs its rows against the ones shown; rows made now would make its
            # answer a full redraw of 1,000 rows. The new positions are repriced when shown.
            market.defer(symbols)
            return
        prices = market.book.prices
        shown = reprice_all(positions, prices, self.positions_read_at)
        ages = market.ages()
        marks = {}  # a price from the positions' own read says nothing: the status bar's data age covers it
        for p in shown:
            symbol = str(p.symbol)
            live = prices.get(symbol)
            if live is not None and live.received >= self.positions_read_at:
                marks[symbol] = stale_mark(ages.get(symbol, 0.0))
        self.app.main.query_one(PositionsTable).show(shown, self._position_rows(shown, marks))
        account = self.state.account
        if account is not None:  # equity and market values move with the prices too
            self.app.main.query_one(AccountPane).show(revalued(account, shown))

    def load_quotes(self) -> QuotesRead:
        snapshots, trends = self.app.market.to_read()
        return load_quotes(self.app.broker, snapshots, trends, self.state.server_now())

    def show_quotes(self, read: QuotesRead) -> None:
        self.app.market.quotes_read(read)

    def load_watchlists(self) -> WatchlistsRead:
        return load_watchlists(self.app.broker)

    def show_watchlists(self, read: WatchlistsRead) -> None:
        self.app.market.watchlists_read(read.watchlists)

    def show_account(self, read: PositionsRead) -> None:
        self.state.swap(account=read.account)
        self.app.main.query_one(AccountPane).show(read.account)

    def load_orders(self) -> OrdersRead | None:
        return load_orders(self.app.broker, self.state.snapshot)

    def show_orders(self, read: OrdersRead | None) -> None:
        """read: None when the orders are those shown."""
        if read is not None:
            accept_orders(self.state, read.orders, read.versions)
        if read is not None or self.app.main.query_one(OrdersPane).order_count is None:
            self.app.render_orders()

    def load_clock(self) -> ClockRead:
        return load_clock(self.app.broker, self.state.snapshot)

    def show_clock(self, read: ClockRead) -> None:
        changes: dict[str, Any] = {"clock": read.clock, "clock_offset": read.clock.timestamp - self.state.now()}
        if read.calendar is not None:
            changes.update(calendar=read.calendar, calendar_for=read.today,
                           trading_days=tuple(day.date for day in read.calendar))
        self.state.swap(**changes)
        self.app.main.query_one(ClockPane).show(read.clock, self.state.session)

    def load_fills(self) -> FillsRead:
        return load_fills(self.app.broker, self.state.snapshot, self.state.today())

    def show_fills(self, read: FillsRead) -> None:
        changes: dict[str, Any] = {"fills": read.fills, "daybook": read.daybook}
        if self.state.snapshot.calendar_for != read.today:
            changes["trading_days"] = read.days
        self.state.swap(**changes)
        self.app.main.query_one(OrdersPane).show_fills(list(read.fills), self.app.state.slippage)
        self.app.realized.fills_changed()


FETCHES = (
    Fetch("positions", (Part("positions", "positions", Refresher.show_positions),
                        Part("account", "account", Refresher.show_account)),
          # Both streams up: fills come by the trade stream, prices by the data stream.
          Refresher.load_positions,
          lambda i, streaming, live: (i.positions_live if live else i.positions) if streaming else i.positions_polling),
    Fetch("orders", (Part("orders", "orders", Refresher.show_orders),),
          Refresher.load_orders,
          lambda i, streaming, live: (i.orders_live if live else i.orders) if streaming else i.orders_polling),
    Fetch("clock", (Part("clock", "clock", Refresher.show_clock),), Refresher.load_clock, lambda i, *_: i.clock),
    Fetch("fills", (Part("fills", "orders", Refresher.show_fills, first=False),), Refresher.load_fills,
          lambda i, *_: i.fills),
    # Snapshots: what the data stream does not carry (every few seconds), and day figures.
    Fetch("quotes", (Part("quotes", "watchlist", Refresher.show_quotes, first=False),), Refresher.load_quotes,
          lambda i, *_: i.quotes),
    Fetch("watchlists", (Part("watchlists", "watchlist", Refresher.show_watchlists, first=False),),
          Refresher.load_watchlists, lambda i, *_: i.watchlists),
)
