"""The App: layout, key bindings, and the wiring between broker calls and panes.

Every broker call runs in a thread worker and reports back with a message; handlers on
the UI thread update state and panes. Each resource (account, positions, orders, clock,
fills) refreshes on its own schedule and never has two calls in flight; trade_updates
events update orders at once and trigger the position and account refreshes.
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from dataclasses import dataclass, field
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from functools import partial, wraps
from typing import Any, Callable, Iterable

from textual import events, work
from textual.app import App, SystemCommand
from textual.screen import Screen

from ..broker.activity import DayTradeBook, FillRow, parse_fill, parse_fills, window_days
from ..broker.client import Broker
from ..broker.ratelimit import Budget
from ..broker.delivery import Delivery, Dispatcher, read_retrying
from ..broker.errors import Problem, describe
from ..broker.journal import Journal, JournalError
from ..broker.order_events import TERMINAL, OrderGate
from ..broker.ticket import AssetFacts, Holding, OrderPlan, Quote, ReviewFacts, holding_of
from ..config import Config, Mode
from ..daemon_executor import DaemonThreadExecutor
from ..daytrades import PDT_EQUITY_THRESHOLD, PDT_MAX_DAY_TRADES
from ..text import clean, is_symbol, show_symbol
from ..numbers import moment, number
from ..sessions import AFTER_HOURS, CLOSED, REGULAR, Session, TradingDay, read_calendar, session_at
from .format import NY, age, dec, enum_text, price, quantity
from .messages import ActionDone, Fetched, JournalSettled, StreamChanged, TicketFacts, TradeUpdate
from .screens.confirm import CloseAllChoice, CloseAllScreen, CloseChoice, ClosePositionScreen, ConfirmScreen
from .screens.main import MainScreen
from .screens.info import connection_screen, help_screen, rejections_screen
from .screens.ticket import TicketScreen
from .keys import KeySequencer
from . import toasts
from .widgets.account import AccountPane
from .widgets.clock import ClockPane, is_open_at
from .widgets.orders import OrdersPane, order_label, order_version
from .widgets.positions import COLUMNS as POSITION_COLUMNS, PositionsTable, position_rows
from .widgets.table import RowDiffer, TableUpdate
from .widgets.statusbar import Status, StatusBar

RESOURCES = ("account", "positions", "orders", "clock", "fills")
FIRST_SCREEN = ("account", "positions", "orders", "clock")  # fills wait until these have answered
LATE = 5.0  # seconds: a pane whose answer is this late says so
PROBE_MIN, PROBE_MAX = 1.0, 4.0  # seconds between probes while OFFLINE (back within 10 s of the server)
OPEN_STATUSES = frozenset({
    "new", "partially_filled", "accepted", "pending_new", "accepted_for_bidding", "held", "pending_cancel",
    "pending_replace", "calculated", "stopped", "suspended", "done_for_day",
})
FILL_EVENTS = ("fill", "partial_fill")
END_EVENTS = ("canceled", "expired", "rejected", "replaced")
FLUSH_EVERY = 1 / 30  # seconds: stream events are applied together, at most this often
FILL_TOAST_DELAY = 0.3  # seconds to gather a burst of fills into one notification
# The account is read with the positions (see _load_positions): one fetch answers both.
LOADED_WITH = {"account": "positions"}
TOGETHER = {"positions": ("account",)}
FETCHES = tuple(r for r in RESOURCES if r not in LOADED_WITH)  # the resources with a fetch of their own
FIRST_FETCHES = tuple(r for r in FIRST_SCREEN if r not in LOADED_WITH)
PANE_OF = {"account": "#account", "positions": "#positions", "orders": "#orders", "clock": "#clock",
           "fills": "#orders"}

# Every key, for the help screen (the bindings below are the contract).
KEYS = [
    ("b / s", "order ticket to buy / sell the selected symbol"),
    ("Enter", "in the ticket: validate and review"),
    ("y / n, Esc", "in a review or confirmation: confirm / go back"),
    ("x", "close the selected position (all or part)"),
    ("X", "close all positions (option: cancel open orders first)"),
    ("c", "cancel the selected order"),
    ("C", "cancel all open orders"),
    ("f", "orders pane: switch between open orders and recent fills"),
    ("r", "refresh everything now"),
    ("e", "rejections seen this session"),
    ("i", "connection: URLs, mode, stream"),
    ("1 2 3 4", "go to Account, Positions, Orders, Clock"),
    ("Tab / Shift+Tab", "next / previous pane"),
    ("↑ ↓ / j k, g G", "move in a table, top / bottom"),
    ("Ctrl+P", "command palette: every action, themes"),
    ("?", "this help"),
    ("q", "quit"),
]


@dataclass
class PositionsRead:
    """Positions and the account, read back to back (see AlpacaApp._load_positions)."""

    positions: list[Any] = field(default_factory=list)
    update: TableUpdate | None = None
    account: Any = None
    problems: dict[str, Problem] = field(default_factory=dict)


def _while_shown(handler: Callable[..., None]) -> Callable[..., None]:
    """Skip messages that arrive after the panes are gone (the app is quitting), and hold
    those that arrive before they are all mounted (a fast first answer at start-up) until
    they are: dropping one would leave its resource marked in flight for good."""

    @wraps(handler)
    def guarded(self: AlpacaApp, *args: Any) -> None:
        if self._exit or self._closing or not self._running:  # _running is False once shutdown has begun
            return
        if not (self.main.is_attached and self.main.is_mounted):
            self.call_after_refresh(guarded, self, *args)
            return
        handler(self, *args)

    return guarded


class AlpacaApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "alpaca-tui"
    ENABLE_COMMAND_PALETTE = True

    def __init__(self, config: Config, *, now: Callable[[], datetime] | None = None,
                 broker_factory: Callable[[Config, Budget], Any] | None = None,
                 stream: bool = True, on_loaded: Callable[[], None] | None = None,
                 journal: Journal | None = None, warnings: Iterable[str] = ()) -> None:
        super().__init__()
        self._on_loaded = on_loaded  # called once, when every pane first has data
        self.config = config
        self.now = now or (lambda: datetime.now(timezone.utc))
        self._broker_factory = broker_factory or Broker
        self._broker: Any = None
        self._broker_lock = threading.RLock()
        self._dispatcher: Dispatcher | None = None
        self.journal = journal
        self._warnings = tuple(warnings)  # shown once the screen is up
        self.requests = Budget()
        self.use_stream = stream
        self.stream: Any = None
        self._stream_started = False
        # The panes' first fetches, which get the machine to themselves at start-up.
        self._first_round = set(FIRST_SCREEN)
        self.stream_state = "connecting" if stream else "off"
        self.stream_detail = ""
        # What the server last told us.
        self.account: Any = None
        self.positions: list[Any] = []
        self.orders: dict[str, Any] = {}
        self._order_versions: dict[str, tuple] = {}  # order_version of each of self.orders
        self.fills: list[FillRow] = []
        self.clock: Any = None
        self.clock_offset = timedelta(0)
        self.trading_days: list[date] = []
        self.calendar: list[TradingDay] = []  # about two weeks back and ahead: sessions, the clock pane
        self._positions_differ = RowDiffer(POSITION_COLUMNS)  # used by the positions loader only
        self._calendar_for: date | None = None  # the day trading_days was read for
        self.daybook: DayTradeBook | None = None
        self.rejections: list[tuple[datetime, str, Problem]] = []
        self._unannounced: list[tuple[FillRow, str]] = []
        self._updates: list[TradeUpdate] = []  # stream events not yet applied (see on_trade_update)
        self._flush_armed = False
        self._gate = OrderGate()  # an order's state never moves backwards; an execution counts once
        self._sent: dict[str, str] = {}  # orders this app sent and is following to their end: id -> label
        self._cancels: set[str] = set()  # orders this app asked to cancel
        self._rejection_shown: tuple[Problem, float] | None = None  # the status bar's REJECTED, and since when
        # Refresh bookkeeping, per resource.
        self._in_flight: set[str] = set()
        self._again: set[str] = set()
        self._manual_refresh: set[str] = set()  # what `r` asked for that has not answered yet
        self._started: dict[str, float] = {}
        self._fetched: dict[str, float] = {}
        self._problems: dict[str, Problem] = {}
        self._offline = False  # the last answer we waited for never came
        self._probe_delay = PROBE_MIN
        self._probe_due = 0.0
        self._bindings_state = (False, False)  # (any positions, any orders) when last checked
        self._keys = KeySequencer(self, lambda event: App.on_event(self, event))

    # ---- keys: one at a time, in the order typed (see keys.py) ---------------------------

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key):
            if not event.is_forwarded:
                await self._keys.typed(event)
                return
            if await self._keys.returned(event):
                return
        await super().on_event(event)

    # ---- notifications: plain, clean, short, three at most (see toasts.py) -------------

    def notify(self, message: str, *, title: str = "", severity: str = "information",
               timeout: float | None = None, markup: bool = False) -> None:
        text, heading = toasts.prepare(self, message, title)
        super().notify(text, title=heading, severity=severity, timeout=timeout, markup=False)

    def _on_notify(self, event: Any) -> None:
        """Textual's handler, when a notification joins the shown ones: then the oldest give
        way (notify only posts it, so a burst of them is counted here)."""
        super()._on_notify(event)
        toasts.trim(self)

    # ---- layout ------------------------------------------------------------------------

    def get_default_screen(self) -> Screen:
        self.main = MainScreen(self.config, self.server_now)
        return self.main

    def on_load(self) -> None:
        # Thread workers run here: daemon threads, so quitting never waits on a request.
        asyncio.get_running_loop().set_default_executor(DaemonThreadExecutor("worker"))

    def on_mount(self) -> None:
        for warning in self._warnings:
            self.notify(warning, title="Warning", severity="warning", timeout=20)
        self.set_interval(1.0, self._heartbeat)
        for resource in FIRST_FETCHES:
            self.refresh_resource(resource)

    def _after_first_round(self) -> None:
        """Every pane has answered once: now the work that start-up put off."""
        self.refresh_resource("fills")
        self._prepare_data()
        if self.journal is not None and self.config.mode is not Mode.DEMO:
            self._settle_journal()  # a demo's simulator died with its run: nothing to ask
        if self._on_loaded is not None:
            self._on_loaded()

    # ---- the broker, made on first use off the UI thread (alpaca-py imports are slow) ---

    @property
    def broker(self) -> Any:
        with self._broker_lock:
            if self._broker is None:
                self._broker = self._broker_factory(self.config, self.requests)
            return self._broker

    # ---- refreshing --------------------------------------------------------------------

    def _interval(self, resource: str) -> float:
        intervals = self.config.intervals
        if resource in ("orders", "positions") and self.stream_state != "listening":
            return getattr(intervals, f"{resource}_polling")
        return getattr(intervals, resource)

    @_while_shown
    def _heartbeat(self) -> None:
        now = time.monotonic()
        if self._offline:
            # Regular refreshes would only fail again: one cheap probe, backing off.
            if now >= self._probe_due:
                self._probe_delay = min(self._probe_delay * 2, PROBE_MAX)
                self._probe_due = now + self._probe_delay
                self.refresh_resource("clock")
        else:
            for resource in FIRST_FETCHES if self._first_round else FETCHES:
                last = self._started.get(resource, 0.0)
                if now - last >= self._interval(resource):
                    self.refresh_resource(resource)
        for resource in FIRST_SCREEN:  # fills share the orders pane
            stale = (self._offline or resource in self._problems) and resource in self._fetched
            loading = LOADED_WITH.get(resource, resource)
            waited = now - self._started.get(loading, now) if loading in self._in_flight else 0.0
            if stale:
                note = f"last data {age(now - self._fetched[resource])} ago"
            elif waited >= LATE:  # a server that answers slowly (or trickles) is said, not hidden
                note = f"waiting {age(waited)} for the server"
            else:
                note = ""
            self._mark_stale(resource, note)
        self.main.query_one(ClockPane).tick()
        self._update_status()

    def refresh_resource(self, resource: str) -> None:
        """Start a fetch unless one is running; then run once more when it ends."""
        resource = LOADED_WITH.get(resource, resource)
        if resource in self._in_flight:
            self._again.add(resource)
            return
        self._in_flight.add(resource)
        self._started[resource] = time.monotonic()
        self.run_worker(partial(self._fetch, resource), thread=True, group=f"fetch-{resource}",
                        name=f"fetch {resource}", exit_on_error=False)

    def _fetch(self, resource: str) -> None:
        started = time.monotonic()
        try:
            data = getattr(self, f"_load_{resource}")()
        except Exception as err:  # any failure becomes a message; the app keeps running
            self.post_message(Fetched(resource, None, describe(err), started))
            return
        self.post_message(Fetched(resource, data, None, started))

    # Loaders run on worker threads: broker calls only, no widgets.
    def _load_positions(self) -> Any:
        """Positions and the account, read back to back: the account's equity and market
        values then agree with the positions shown (read apart, a price move between the two
        reads made equity differ from cash + positions with nothing saying why)."""
        read = PositionsRead()
        failed: Exception | None = None
        try:
            read.positions = self.broker.positions()
            # Rows are formatted here, off the UI thread: 1,000 positions are ~9,000 strings.
            read.update = self._positions_differ.diff(position_rows(read.positions))
        except Exception as err:  # the account may still come: each pane shows what it has
            failed = err
        try:
            read.account = self.broker.account()
        except Exception as err:
            if failed is not None:
                raise failed from None  # both failed: one problem, as with any fetch
            read.problems["account"] = describe(err)
        if failed is not None:
            read.problems["positions"] = describe(failed)
        return read

    def _load_orders(self) -> Any:
        orders = self.broker.open_orders()
        versions = {str(o.id): order_version(o) for o in orders}
        # A reconciliation that finds what the screen shows (the usual case, the stream
        # having delivered every change) is settled here: None, and the 2,000 parsed orders
        # are freed on this thread, not the UI's. _order_versions is replaced, never
        # mutated, by the UI thread, so reading it here is safe.
        if versions == self._order_versions:
            return None
        return {str(o.id): o for o in orders}, versions

    def _load_clock(self) -> Any:
        clock = self.broker.clock()
        stamp = moment(clock.timestamp)
        if stamp is None:  # year 9999 or year 1: nothing to show or compute with
            raise ValueError("the server's clock is out of range")
        today = stamp.astimezone(NY).date()
        calendar = None
        if self._calendar_for != today:  # once a day: about two weeks back (day trades) and ahead (sessions)
            try:
                calendar = read_calendar(self.broker.calendar(today - timedelta(days=14), today + timedelta(days=10)))
            except Exception:  # the clock still shows; sessions wait for the next read
                calendar = None
        return clock, calendar, today

    def _load_fills(self) -> Any:
        today = self.today()
        days = self.trading_days
        if self._calendar_for != today:  # the clock's read brings it once a day; else read it here
            days = [d.date for d in self.broker.calendar(today - timedelta(days=14), today)]
        window = window_days(days, today)
        after = datetime.combine(window[0], datetime.min.time(), NY) - timedelta(seconds=1)
        fills = parse_fills(self.broker.fills(after=after))
        # self.positions is replaced, never mutated, by the UI thread: a snapshot to read here.
        positions = {p.symbol: dec(p.qty) or Decimal(0) for p in self.positions}
        return days, fills, DayTradeBook(fills, window, positions), today

    @_while_shown
    def on_fetched(self, message: Fetched) -> None:
        self._in_flight.discard(message.resource)
        for resource in [message.resource, *TOGETHER.get(message.resource, ())]:
            self._answered(resource, message)
        if message.resource in self._again:
            self._again.discard(message.resource)
            self.refresh_resource(message.resource)
        self._update_status()

    def _answered(self, resource: str, message: Fetched) -> None:
        """Bookkeeping for one resource of an answer (positions bring the account too)."""
        problem = message.problem
        if problem is None and isinstance(message.data, PositionsRead):
            problem = message.data.problems.get(resource)
        if problem is not None:
            self._fetch_failed(resource, problem)
        else:
            if self.use_stream and not self._stream_started:
                self._stream_started = True
                self._start_stream()  # the server answers: now the stream can connect at once
            self._fetched[resource] = time.monotonic()
            if self._problems.pop(resource, None) is not None:
                self.main.query_one(PANE_OF[resource]).remove_class("failing")
            if self._offline:
                self._back_online()
            if resource in FIRST_SCREEN:
                self._mark_stale(resource, "")
            if resource == "account" and isinstance(message.data, PositionsRead):
                self._show_account(message.data.account)
            else:
                getattr(self, f"_show_{resource}")(message.data)
        if self._first_round:
            self._first_round.discard(resource)
            if not self._first_round:
                self._after_first_round()
        if message.resource not in self._again and message.resource not in self._in_flight:
            self._manual_refresh.discard(resource)

    def _back_online(self) -> None:
        """An answer after OFFLINE: refetch everything (the server may have come back with
        different state) and have the stream reconnect now rather than at its next try."""
        self._offline = False
        for resource in FETCHES:
            if resource != "fills" or not self._first_round:
                self.refresh_resource(resource)
        if self.stream is not None:
            self.stream.wake()

    def _mark_stale(self, resource: str, note: str) -> None:
        pane = self.main.query_one(PANE_OF[resource])
        if isinstance(pane, (OrdersPane, PositionsTable)):  # their subtitles also name hidden columns
            pane.mark_stale(note)
        elif pane.border_subtitle != note:
            pane.border_subtitle = note

    def _fetch_failed(self, resource: str, problem: Problem) -> None:
        first = self._problems.get(resource) != problem
        self._problems[resource] = problem
        if problem.transport and not self._offline:
            self._offline = True
            self._probe_delay = PROBE_MIN
            self._probe_due = time.monotonic() + PROBE_MIN
        self.main.query_one(PANE_OF[resource]).add_class("failing")
        server_trouble = problem.transport or (problem.status or 0) >= 500
        if first and not server_trouble:  # shown as OFFLINE or a stale pane instead: a toast per try is noise
            self.notify(str(problem), title=f"{resource.title()} could not be loaded", severity="error")

    def _show_account(self, account: Any) -> None:
        self.account = account
        self.main.query_one(AccountPane).show(account)

    def _show_positions(self, read: PositionsRead) -> None:
        self.positions = read.positions
        self.main.query_one(PositionsTable).show(self.positions, read.update)
        self._sync_bindings()

    def _show_orders(self, data: tuple[dict[str, Any], dict[str, tuple]] | None) -> None:
        """data: None when the orders are those shown (see _load_orders)."""
        if data is not None:
            orders, versions = data  # fresh dicts from the worker: ours to change
            for order_id in [i for i, o in orders.items() if self._gate.is_final(i, o.updated_at)]:
                del orders[order_id], versions[order_id]  # an answer older than the stream's fill or cancel
            self.orders, self._order_versions = orders, versions
        if data is not None or self.main.query_one(OrdersPane).order_count is None:
            self._render_orders()

    def _render_orders(self) -> None:
        orders = sorted(self.orders.values(), key=lambda o: o.submitted_at or o.created_at, reverse=True)
        self.main.query_one(OrdersPane).show_orders(orders)
        self._sync_bindings()

    def _sync_bindings(self) -> None:
        """Re-check x/X/c/C (see check_action) only when their answer can change: each
        refresh rebuilds the footer, a real cost when it happened on every update."""
        state = (bool(self.positions), bool(self.orders))
        if state != self._bindings_state:
            self._bindings_state = state
            self.refresh_bindings()

    def _show_clock(self, data: tuple[Any, list[TradingDay] | None, date]) -> None:
        clock, calendar, today = data
        self.clock = clock
        self.clock_offset = clock.timestamp - self.now()
        if calendar is not None:
            self.calendar, self._calendar_for = calendar, today
            self.trading_days = [day.date for day in calendar]
        self.main.query_one(ClockPane).show(clock, self.session)

    def _show_fills(self, data: tuple[list[date], list[FillRow], DayTradeBook, date]) -> None:
        days, self.fills, self.daybook, today = data
        if self._calendar_for != today:
            self.trading_days = days
        self.main.query_one(OrdersPane).show_fills(self.fills)

    def today(self) -> date:
        """Today in New York, by the server's clock when we have it."""
        now = self.server_now()
        return now.astimezone(NY).date()

    def server_now(self) -> datetime:
        """Now by the server's clock (its offset from ours is measured on each clock read)."""
        return self.now() + self.clock_offset

    # ---- the trade_updates stream ------------------------------------------------------

    @work(thread=True, exit_on_error=False, group="stream", name="start stream")
    def _start_stream(self) -> None:
        from ..broker.stream import TradeUpdatesStream

        self.stream = TradeUpdatesStream(
            self.config.stream_url, self.config.key_id, self.config.secret_key,
            # Parsed here, on the stream's thread: the UI thread gets ready orders.
            on_update=lambda data: self.post_message(TradeUpdate(data, self._parse_order(data.get("order")))),
            on_state=lambda state, detail: self.post_message(StreamChanged(str(state.value), detail)),
        )
        self.stream.start()

    @work(thread=True, exit_on_error=False, group="journal", name="settle the journal")
    def _settle_journal(self) -> None:
        """Intents an earlier run left without an outcome: ask the server what became of them."""
        try:
            settled = self.dispatcher.settle_pending()
        except Exception as err:  # an unreadable journal must not stop the app
            self.post_message(JournalSettled([], str(describe(err))))
            return
        if settled:
            self.post_message(JournalSettled(settled, None))

    @_while_shown
    def on_journal_settled(self, message: JournalSettled) -> None:
        if message.problem:
            self.notify(f"The audit journal could not be checked: {message.problem}", severity="warning")
            return
        lines = [f"{_intent_label(intent) or intent.get('action', '?').upper()}: {toasts.short_ids(answer)}"
                 for intent, answer in message.settled]
        if len(lines) > 2:  # a toast has two lines; the journal has every answer
            lines = [lines[0], f"… and {len(lines) - 1} more (see the audit journal)"]
        self.notify("\n".join(lines), title=f"{len(message.settled)} action(s) from the last run had no "
                    "recorded outcome", severity="warning", timeout=30)

    @work(thread=True, exit_on_error=False, group="prepare", name="prepare market data")
    def _prepare_data(self) -> None:
        """Make the market-data client once every pane has data, so start-up does not pay
        for its imports and the first ticket's quote does not wait for them either."""
        prepare = getattr(self.broker, "prepare_data", None)
        if prepare is not None:
            prepare()

    @_while_shown
    def on_stream_changed(self, message: StreamChanged) -> None:
        was_listening = self.stream_state == "listening"
        self.stream_state, self.stream_detail = message.state, message.detail
        if was_listening and message.state != "listening" and not self._offline:
            self.refresh_resource("clock")  # a dropped stream may mean the server is gone: ask now
        if message.state == "listening" and not was_listening:
            # Events may have been missed while the stream was down: reconcile from REST.
            # A fetch still in flight may have been answered before the stream listened:
            # it runs once more when it ends (refresh_resource queues it).
            for resource in ("orders", "positions", "fills"):  # positions bring the account
                if resource in self._fetched or resource in self._in_flight:
                    self.refresh_resource(resource)
        self._update_status()

    def on_trade_update(self, message: TradeUpdate) -> None:
        """Events are gathered and applied together, at most once per FLUSH_EVERY: a storm
        of 2,000 cancels costs a few table updates, not 2,000 (each a sort and a sync)."""
        self._updates.append(message)
        if not self._flush_armed:
            self._flush_armed = True
            self.set_timer(FLUSH_EVERY, self._apply_updates)

    @_while_shown
    def _apply_updates(self) -> None:
        self._flush_armed = False
        updates, self._updates = self._updates, []
        changed = refetch = filled = False
        orders = self.orders
        versions = dict(self._order_versions)  # a new dict: the orders worker may be reading the old one
        legs = {str(leg.id): parent for parent in orders.values() for leg in parent.legs or []}
        news: list[tuple[str, Any]] = []
        for update in updates:
            data, order = update.data, update.order
            event = str(data.get("event", ""))
            if order is None:
                refetch = True
            elif self._gate.admit(order):
                order_id = str(order.id)
                if order_id in legs:
                    refetch = True  # a leg changed: let REST nest it properly
                else:
                    status = enum_text(order.status)
                    if status in OPEN_STATUSES or any(enum_text(l.status) in OPEN_STATUSES for l in order.legs or []):
                        orders[order_id] = order
                        versions[order_id] = order_version(order)
                    else:
                        orders.pop(order_id, None)
                        versions.pop(order_id, None)
                    changed = True
                news.append((event, order))
            else:
                continue  # older than what is shown (a late `new` after the fill): ignored
            if event in FILL_EVENTS and isinstance(data.get("order"), dict) \
                    and self._gate.first_execution(data.get("execution_id")):
                raw = data["order"]
                fill = parse_fill({"id": data.get("execution_id", ""), "transaction_time": data.get("timestamp"),
                                   "symbol": raw.get("symbol"), "side": raw.get("side"), "qty": data.get("qty"),
                                   "price": data.get("price"), "order_id": raw.get("id")})
                if fill is not None:
                    self.fills = [fill] + [f for f in self.fills if f.id != fill.id]
                    self._announce_fill(fill, event, order)
                    filled = True
            elif event in ("rejected", "order_cancel_rejected", "order_replace_rejected"):
                refetch = True
        if changed:
            self._order_versions = versions
            self._render_orders()
        if filled:
            self.main.query_one(OrdersPane).show_fills(self.fills)
            for resource in ("positions", "fills"):  # positions bring the account
                self.refresh_resource(resource)
        if refetch:
            self.refresh_resource("orders")
        self._announce_ends(news)

    def _announce_ends(self, news: list[tuple[str, Any]]) -> None:
        """Orders that ended other than by a fill (fills have their own toast): canceled,
        expired, rejected, replaced. Those this app sent or showed are said; a storm of them
        is one toast."""
        ends = [(event, order) for event, order in news if event in END_EVENTS]
        if not ends:
            return
        if len(ends) > 3:
            counts = Counter(event for event, _ in ends)
            self.notify(", ".join(f"{n} {event}" for event, n in counts.items()), title=f"{len(ends)} orders ended",
                        timeout=6)
            return
        for event, order in ends:
            order_id = str(order.id)
            label = self._sent.pop(order_id, None) or order_label(order)
            by_us = order_id in self._cancels
            self._cancels.discard(order_id)
            reason = "" if event != "canceled" else " (by this app)" if by_us else " (not by this app)"
            self.notify(f"{label}: {event}{reason} · order {toasts.short_id(order_id)}",
                        title=f"Order {event}", severity="warning" if event in ("rejected", "expired") else
                        "information", timeout=6)

    def _announce_fill(self, fill: FillRow, event: str, order: Any) -> None:
        """One toast per burst of fills (a close-all fills many orders at once)."""
        order_id = str(order.id)
        if event == "fill":
            note = "filled"
            self._sent.pop(order_id, None)
        else:
            note = f"partially filled: {quantity(order.filled_qty)} of {quantity(order.qty)}"
        self._unannounced.append((fill, note))
        if len(self._unannounced) == 1:
            self.set_timer(FILL_TOAST_DELAY, self._flush_fills)

    @_while_shown
    def _flush_fills(self) -> None:
        fills, self._unannounced = self._unannounced, []
        if len(fills) == 1:
            f, note = fills[0]
            self.notify(f"{f.side.upper()} {quantity(f.qty)} {show_symbol(f.symbol)} @ {price(f.price)} · {note}",
                        title="Filled" if note == "filled" else "Partially filled", timeout=4)
        elif fills:
            symbols = ", ".join(dict.fromkeys(show_symbol(f.symbol) for f, _ in fills))
            self.notify(f"{len(fills)} fills: {symbols}", title="Filled", timeout=4)

    @staticmethod
    def _parse_order(raw: Any) -> Any:
        from alpaca.trading.models import Order

        if not isinstance(raw, dict):
            return None
        try:
            return Order(**raw)
        except Exception:  # an unknown enum or shape: fall back to a REST refresh
            return None

    def _apply_order(self, order: Any) -> None:
        """An order the server just answered with (a submit): shown at once, like an event."""
        self.on_trade_update(TradeUpdate({"event": "submitted"}, order))

    # ---- status bar --------------------------------------------------------------------

    def _update_status(self) -> None:
        now = time.monotonic()
        core = ["account", "positions"] + ([] if self.stream_state == "listening" else ["orders"])
        # A pane that has never loaded makes the data's age unknown, not "<20s".
        ages = [now - self._fetched[r] for r in core] if all(r in self._fetched for r in core) else []
        if self._offline:
            connection = "OFFLINE"
        elif not self._fetched:
            connection = "connecting"
        elif self.stream_state == "listening":
            connection = "stream"
        else:
            connection = "polling"
        count, local, warning = self.daytrade_count()
        shown = self._rejection_shown
        last = shown[0] if shown else None
        rejection_age = now - shown[1] if shown else None
        self.main.query_one(StatusBar).show(Status(
            connection=connection, data_age=max(ages) if ages else None, daytrades=count, daytrades_local=local,
            daytrades_warning=warning, requests_per_minute=self.requests.last_minute(), rejection=last,
            rejection_age=None if rejection_age is None else int(rejection_age) if rejection_age < 60
            else int(rejection_age // 60) * 60,
            refreshing=bool(self._manual_refresh) and not self._offline))

    def legacy_pdt(self) -> bool:
        """The server still applies the legacy PDT rule: it sends the fields removed in 2026-07."""
        return self.account is not None and getattr(self.account, "pattern_day_trader", None) is not None

    def daytrade_count(self) -> tuple[int | None, bool, bool]:
        """(count, computed locally, warning): the server's figure when it sends one."""
        account = self.account
        server = getattr(account, "daytrade_count", None) if account is not None else None
        if server is not None:
            count = int(server)
            legacy = self.legacy_pdt()
            last_equity = dec(account.last_equity) or Decimal(0)
            warning = legacy and last_equity < PDT_EQUITY_THRESHOLD and count >= PDT_MAX_DAY_TRADES
            return count, False, warning
        if self.daybook is None:
            return None, True, False
        return self.daybook.count, True, False

    # ---- actions: orders ---------------------------------------------------------------

    def _selected_symbol(self) -> str:
        """The selected position's or order's symbol, if it is one that can be traded."""
        pane = self.main.query_one(OrdersPane)
        if pane.has_focus_within and pane.selected_order is not None:
            symbol = pane.selected_order.symbol or ""
        else:
            symbol = self.main.query_one(PositionsTable).selected_symbol or ""
        return symbol if is_symbol(symbol) else ""

    def position_qty(self, symbol: str) -> Decimal:
        for p in self.positions:
            if p.symbol == symbol:
                return dec(p.qty) or Decimal(0)
        return Decimal(0)

    def holding(self, symbol: str) -> Holding:
        """The position in `symbol` with what its open orders hold (sells check against that)."""
        position = next((p for p in self.positions if p.symbol == symbol), None)
        return holding_of(position, [o for o in self.orders.values() if o.symbol == symbol])

    def session(self) -> Session | None:
        """The session now. The server's clock decides regular hours (the simulator can be
        always open); the calendar says which extended session, if any, is on otherwise."""
        now = self.server_now()
        found = session_at(now, self.calendar) if self.calendar else None
        clock = self.clock
        if clock is None:
            return found
        if is_open_at(clock, now):
            if found is not None and found.name == REGULAR:
                return found
            return Session(REGULAR, clock.next_close, AFTER_HOURS, clock.next_close, clock.next_open)
        if found is None or found.name == REGULAR:  # the calendar says open, the clock does not
            return Session(CLOSED, clock.next_open, REGULAR, clock.next_open, clock.next_open)
        return found

    def review_facts(self, plan: OrderPlan) -> ReviewFacts:
        account = self.account
        count, _, _ = self.daytrade_count()
        market_open = self.clock is None or is_open_at(self.clock, self.server_now())
        would = False
        if self.daybook is not None:
            side = plan.side if plan.side == "buy" else "sell"
            would = self.daybook.would_day_trade(self.today(), plan.symbol, side, plan.qty)
        return ReviewFacts(
            buying_power=(dec(account.buying_power) if account else None) or Decimal(0),
            last_equity=(dec(account.last_equity) if account else None) or Decimal(0),
            position_qty=self.position_qty(plan.symbol), market_open=market_open, live=self.config.live,
            legacy_pdt=self.legacy_pdt(),
            daytrade_count=count or 0, would_day_trade=would,
            holding=self.holding(plan.symbol), session=self.session(),
        )

    def action_buy(self) -> None:
        self._open_ticket("buy")

    def action_sell(self) -> None:
        self._open_ticket("sell")

    def _open_ticket(self, side: str) -> None:
        ticket = TicketScreen(side, self._selected_symbol(), live=self.config.live,
                              request_facts=self.request_ticket_facts, holding=self.holding,
                              review_facts=self.review_facts, now=self.server_now)
        self.push_screen(ticket, self._ticket_done)

    def _ticket_done(self, plan: OrderPlan | None) -> None:
        if plan is not None:
            self._send_order(plan)

    def request_ticket_facts(self, screen: Screen, symbol: str, quote_only: bool = False) -> None:
        fetch = self._fetch_ticket_quote if quote_only else self._fetch_ticket_facts
        self.run_worker(partial(fetch, screen, symbol), thread=True, group="ticket",
                        name=f"{'quote' if quote_only else 'facts'} {symbol}", exit_on_error=False)

    def _fetch_ticket_quote(self, screen: Screen, symbol: str) -> None:
        try:
            bid, ask, last = self.broker.quote(symbol)
        except Exception:  # the last quote stays, with its age
            return
        screen.post_message(TicketFacts(symbol, None, True, Quote(bid, ask, last, at=self.server_now()),
                                        quote_only=True))

    def _fetch_ticket_facts(self, screen: Screen, symbol: str) -> None:
        try:
            with self.requests.urgent():  # the user is waiting on this
                asset = read_retrying(lambda: self.broker.asset(symbol))
            if asset is None:
                screen.post_message(TicketFacts(symbol, None, False))
                return
            facts = AssetFacts(symbol, bool(asset.tradable), bool(asset.fractionable), bool(asset.shortable),
                               bool(asset.easy_to_borrow))
            try:
                bid, ask, last = self.broker.quote(symbol)
                quote = Quote(bid, ask, last, at=self.server_now())
            except Exception:  # a quote is nice to have; the order does not need it
                quote = None
            screen.post_message(TicketFacts(symbol, facts, True, quote))
        except Exception as err:
            screen.post_message(TicketFacts(symbol, None, True, None, describe(err)))

    def _send_order(self, plan: OrderPlan) -> None:
        what = f"{plan.side.upper()} {quantity(plan.qty) if plan.qty is not None else '$' + str(plan.notional)} " \
               f"{plan.symbol}"
        client_order_id = f"tui-{uuid.uuid4().hex}"  # set before the first send: the order's identity
        fields = {k: (None if v is None else str(v)) for k, v in vars(plan).items()}
        self._run_action("order", what, lambda: self.dispatcher.order(
            plan.to_request(client_order_id), client_order_id, fields))

    @property
    def dispatcher(self) -> Dispatcher:
        with self._broker_lock:
            if self._dispatcher is None:
                self._dispatcher = Dispatcher(self.broker, self.journal)
            return self._dispatcher

    def _run_action(self, what: str, context: str, call: Callable[[], Delivery]) -> None:
        def run() -> None:
            try:
                delivery = call()
            except JournalError as err:  # nothing is sent without its line in the journal
                delivery = Delivery("refused", problem=Problem(f"not sent: {err}"))
            except Exception as err:
                delivery = Delivery("refused", problem=describe(err))
            self.post_message(ActionDone(what, delivery.result, delivery.problem, context, delivery))

        self.run_worker(run, thread=True, group="actions", name=f"{what} {context}", exit_on_error=False)

    @_while_shown
    def on_action_done(self, message: ActionDone) -> None:
        problem, delivery = message.problem, message.delivery
        state = delivery.state if delivery is not None else ("refused" if problem else "done")
        if state == "unknown":
            self.notify(f"{message.context}: no answer from the server ({problem}). Kept in the audit journal "
                        "and checked again at the next start; the panes show what the server did.",
                        title="OUTCOME UNKNOWN", severity="warning", timeout=15)
        elif state == "refused":
            self._reject(message.context or message.what, problem or Problem("refused"))
        else:
            self._report_done(message, delivery.notes if delivery is not None else [])
        for resource in ("orders", "positions"):  # positions bring the account
            self.refresh_resource(resource)

    def _report_done(self, message: ActionDone, notes: list[str]) -> None:
        checked = f" ({notes[-1]})" if notes else ""  # the answer was lost and found again
        self._rejection_shown = None  # a later success: the last rejection is history (e lists it)
        if message.what == "order":
            order = message.result
            status = enum_text(order.status)
            if status not in TERMINAL:  # followed to its end: the fill or the end is said too
                self._sent[str(order.id)] = message.context
            self.notify(f"{message.context}: order {toasts.short_id(order.id)} is {status}{checked}",
                        title="Order sent")
            self._apply_order(order)
        elif message.what in ("close_all", "cancel_all"):
            self._report_bulk(message)
        elif message.what == "close":
            self._sent[str(message.result.id)] = message.context
            self.notify(f"{message.context}: closing order {toasts.short_id(message.result.id)} sent{checked}",
                        title="Closing")
        elif message.what == "cancel":
            self.notify(f"{message.context}: cancel requested{checked}", title="Cancel")

    def _report_bulk(self, message: ActionDone) -> None:
        results = message.result or []
        failed = []
        for item in results:
            status = _whole(getattr(item, "status", 200))
            if status is None or status >= 300:  # unreadable counts as refused: never as done
                body = getattr(item, "body", None)
                label = show_symbol(getattr(item, "symbol", None)) if getattr(item, "symbol", None) \
                    else toasts.short_id(getattr(item, "id", ""))
                failed.append((label, body))
        done = len(results) - len(failed)
        noun = "positions closing" if message.what == "close_all" else "orders canceled"
        self.notify(f"{done} {noun}" + (f", {len(failed)} refused" if failed else ""), title=message.context,
                    severity="warning" if failed else "information")
        for label, body in failed:
            code = getattr(body, "code", None) if body is not None else None
            text = getattr(body, "message", None) if body is not None else None
            if isinstance(body, dict):
                code, text = body.get("code"), body.get("message")
            self._reject(f"{message.context}: {label}", Problem(clean(text or "refused", one_line=True), None,
                                                                 _whole(code)))

    def _reject(self, context: str, problem: Problem) -> None:
        self.rejections.append((self.server_now(), context, problem))
        self._rejection_shown = (problem, time.monotonic())
        self.notify(f"{context}: {problem}", title="REJECTED", severity="error", timeout=8)
        self._update_status()

    # ---- actions: close and cancel -----------------------------------------------------

    def _selected_position(self) -> Any | None:
        symbol = self.main.query_one(PositionsTable).selected_symbol
        return next((p for p in self.positions if p.symbol == symbol), None)

    def action_close_position(self) -> None:
        position = self._selected_position()
        if position is None:
            self.notify("Select a position first (2 goes to Positions).", severity="warning")
            return
        if not is_symbol(position.symbol):  # shown escaped; never traded
            self.notify(f"{show_symbol(position.symbol)} is not a symbol this app can trade.", severity="warning")
            return
        screen = ClosePositionScreen(position.symbol, dec(position.qty) or Decimal(0), enum_text(position.side),
                                     live=self.config.live)

        def done(choice: CloseChoice | bool) -> None:
            if isinstance(choice, CloseChoice):
                what = choice.label
                self._run_action("close", what, lambda: self.dispatcher.close(
                    choice.symbol, choice.qty, {"label": what}, percentage=choice.percentage))

        self.push_screen(screen, done)

    def action_close_all(self) -> None:
        if not self.positions:
            self.notify("No positions to close.")
            return

        def done(choice: CloseAllChoice | bool) -> None:
            if isinstance(choice, CloseAllChoice):
                self._run_action("close_all", "Close all positions",
                                 lambda: self.dispatcher.close_all(choice.cancel_orders))

        self.push_screen(CloseAllScreen(len(self.positions), sum(self.open_order_counts()), live=self.config.live), done)

    def action_cancel_order(self) -> None:
        order = self.main.query_one(OrdersPane).selected_order
        if order is None:
            self.notify("Select an open order first (3 goes to Orders).", severity="warning")
            return
        what = f"{enum_text(order.side).upper()} {quantity(order.qty) if order.qty is not None else ''} " \
               f"{order.symbol} {enum_text(order.type or order.order_type)}"
        screen = ConfirmScreen("Cancel this order?", [what, f"id {order.id}"], yes="Cancel order",
                               live=self.config.live)

        def done(ok: bool) -> None:
            if ok:
                self._cancels.add(str(order.id))
                self._run_action("cancel", f"CANCEL {what}", lambda: self.dispatcher.cancel(
                    str(order.id), {"label": what}))

        self.push_screen(screen, done)

    def open_order_counts(self) -> tuple[int, int]:
        """(orders, bracket legs) open now: together, what the Orders title counts."""
        return len(self.orders), sum(len(order.legs or []) for order in self.orders.values())

    def action_cancel_all(self) -> None:
        if not self.orders:
            self.notify("No open orders to cancel.")
            return
        orders, legs = self.open_order_counts()
        what = f"{orders} order{'s' if orders != 1 else ''}" + (
            f" and {legs} bracket leg{'s' if legs != 1 else ''} (held until their order fills)" if legs else "")
        screen = ConfirmScreen(f"Cancel ALL {orders + legs} open orders?",
                               [f"Cancels {what}: the rows the Orders pane lists."],
                               yes="Cancel all", bulk=True, live=self.config.live,
                               typed="CANCEL" if self.config.live else None)

        def done(ok: bool) -> None:
            if ok:
                self._run_action("cancel_all", "Cancel all orders", lambda: self.dispatcher.cancel_all())

        self.push_screen(screen, done)

    # ---- actions: navigation and information --------------------------------------------

    def action_refresh(self) -> None:
        # Said in the status bar until every answer is in, not in a toast: a toast mounts
        # over the panes and costs a layout and a repaint of the tables under it, twice.
        self._manual_refresh = set(RESOURCES)
        for resource in FETCHES:
            self.refresh_resource(resource)
        self._update_status()

    def action_help(self) -> None:
        self.push_screen(help_screen(KEYS))

    def action_connection(self) -> None:
        self.push_screen(connection_screen(self.config, self.stream_state, self.stream_detail))

    def action_rejections(self) -> None:
        """The rejections seen this session; looking at them dismisses the status bar's."""
        self._rejection_shown = None
        self._update_status()
        self.push_screen(rejections_screen(self.rejections))

    def action_focus_pane(self, pane: str) -> None:
        if pane == "orders":
            self.main.query_one(OrdersPane).active_table.focus()
        else:
            self.main.query_one(f"#{pane}").focus()

    async def action_quit(self) -> None:
        if self.stream is not None:
            self.stream.stop()  # returns at once; the stream thread is a daemon
        self.exit()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Only show (and run) the bulk keys when there is something to act on."""
        if action == "close_all" or action == "close_position":
            return bool(self.positions)
        if action == "cancel_all" or action == "cancel_order":
            return bool(self.orders)
        return True

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        commands = [
            ("Buy", "Open the order ticket to buy", self.action_buy),
            ("Sell", "Open the order ticket to sell", self.action_sell),
            ("Close position", "Close the selected position", self.action_close_position),
            ("Close all positions", "Close every position (confirm)", self.action_close_all),
            ("Cancel order", "Cancel the selected order", self.action_cancel_order),
            ("Cancel all orders", "Cancel every open order (confirm)", self.action_cancel_all),
            ("Recent fills", "Switch the orders pane between open orders and fills",
             self.main.query_one(OrdersPane).action_toggle_fills),
            ("Refresh", "Refresh every pane now", self.action_refresh),
            ("Rejections", "Rejections seen this session", self.action_rejections),
            ("Connection", "Endpoints, mode and stream state", self.action_connection),
            ("Help", "Every key", self.action_help),
        ]
        for title, help_text, callback in commands:
            yield SystemCommand(title, help_text, callback)


def _whole(value: Any) -> int | None:
    """A whole number from the server (a status, an error code), or None if it is not one."""
    figure = number(value, Decimal(10) ** 12)
    return int(figure) if figure is not None and figure == figure.to_integral_value() else None


def _intent_label(intent: dict[str, Any]) -> str:
    what = intent.get("what") or {}
    if intent.get("action") == "order":
        amount = what.get("qty") or (f"${what['notional']}" if what.get("notional") else "")
        return f"{str(what.get('side', '')).upper()} {amount} {what.get('symbol', '')}".strip()
    return str(what.get("label") or what.get("symbol") or what.get("order_id") or "")
