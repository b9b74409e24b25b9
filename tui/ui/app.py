"""The App: the screen, the keys, and the wiring between the parts.

Data flows one way: a key or a timer asks for something; a thread worker calls the broker
(tui/state/loaders.py, ui/orderflow.py); its answer comes back as a message; the handler
here, on the UI thread, updates the account state (tui/state/) and the panes. The
trade_updates stream's events take the same road. docs/architecture.md draws it.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from datetime import datetime, timezone
from functools import partial, wraps
from typing import Any, Callable, Iterable, Sequence

from textual import constants, events, work
from textual.driver import Driver
from textual.drivers.linux_driver import LinuxDriver
from textual.app import App, SystemCommand
from textual.screen import Screen

from ..broker.client import Broker
from ..broker.delivery import BACKOFF
from ..broker.journal import Journal
from ..broker.ratelimit import Budget
from ..broker.errors import Problem
from ..config import Config, Mode
from ..daemon_executor import DaemonThreadExecutor
from ..export_files import write_export
from ..state.account import AccountState
from ..state.orders import apply_events, parse_order
from . import compat, keymap, toasts
from .announce import Announcer
from .keys import KeySequencer
from .market import MarketDesk, MarketFeed
from .messages import ActionDone, DataStreamChanged, Fetched, HistoryPage, JournalSettled, MarketAnswer, \
    StreamChanged, Subscribed, SymbolChosen, Ticks, TradeUpdate
from .order_history import OrderHistory, parse_filter
from .orderflow import OrderFlow
from .refresh import Refresher
from .realized_today import RealizedToday
from .screen_diff import ScreenDiff
from .screens.detail import DetailScreen
from .screens.info import connection_screen, help_screen, rejections_screen
from .screens.main import MainScreen
from .screens.order_detail import AppOrderDesk, OrderDetailScreen, parent_of
from .screens.prompt import PromptScreen
from .watchlist_actions import WatchlistActions
from .widgets.clock import ClockPane
from .widgets.orders import HistoryTable, OrdersPane
from .terminal_driver import diffing, keys_apart
from .widgets.statusbar import Status, StatusBar, status_of

FLUSH_EVERY = 1 / 30  # seconds: stream events are applied together, at most this often


def while_shown(handler: Callable[..., None]) -> Callable[..., None]:
    """Skip messages that arrive after the panes are gone (the app is quitting), and hold
    those that arrive before they are all mounted (a fast first answer at start-up) until
    they are: dropping one would leave its fetch marked in flight for good."""

    @wraps(handler)
    def guarded(self: AlpacaApp, *args: Any) -> None:
        if compat.shutting_down(self):
            return
        if not (self.main.is_attached and self.main.is_mounted):
            self.call_after_refresh(guarded, self, *args)
            return
        handler(self, *args)

    return guarded


class AlpacaApp(compat.NotificationHook, App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "alpaca-tui"
    ENABLE_COMMAND_PALETTE = True
    BINDINGS = keymap.bindings(keymap.APP)

    def __init__(self, config: Config, *, now: Callable[[], datetime] | None = None,
                 broker_factory: Callable[[Config, Budget], Any] | None = None,
                 backoff: Sequence[float] = BACKOFF,
                 stream: bool = True, on_loaded: Callable[[], None] | None = None,
                 journal: Journal | None = None, warnings: Iterable[str] = (),
                 keys: dict[str, str] | None = None, market_data: bool = True,
                 data_backoff: tuple[float, float] | None = None, full_redraw: bool = False,
                 export_dir: Path | None = None) -> None:
        """backoff: pauses between tries after an ambiguous failure (tests make them short).
        keys: a user keymap, key id -> keys (tui/ui/keymap.py). market_data: False runs
        without any market data (no data stream, snapshots or watchlists), as tests that
        count the trading requests need. data_backoff: the data stream's
        (shortest, longest) pause before reconnecting (tests make them short). full_redraw:
        send the terminal everything Textual draws, not only the cells that changed.
        export_dir: where `E` writes (default: exports/ in the user's data directory)."""
        self.export_dir = export_dir
        # Before App.__init__, which asks get_driver_class() for the terminal's driver.
        self.screen_diff = None if full_redraw else ScreenDiff()
        super().__init__()
        self._on_loaded = on_loaded  # called once, when every pane first has data
        self.config = config
        self._broker_factory = broker_factory or Broker
        self._broker: Any = None
        self._broker_lock = threading.Lock()
        self.journal = journal
        self._warnings = list(warnings)  # shown once the screen is up
        self.requests = Budget()
        self.use_stream = stream
        self.stream: Any = None
        self._stream_started = False
        self.stream_state = "connecting" if stream else "off"
        self.stream_detail = ""
        self.state = AccountState(now or (lambda: datetime.now(timezone.utc)), live=config.live)
        self.refresher = Refresher(self, self.state)
        self.flow = OrderFlow(self, self.state, backoff)
        self.realized = RealizedToday(self, self.state)  # the Account pane's realized P&L today
        self.announcer = Announcer(self.notify, self._later, self.flow.following)
        self.market = MarketFeed(self, enabled=market_data, backoff=data_backoff)
        self.desk = MarketDesk(self)
        self.watchlist = WatchlistActions(self)
        self.history = OrderHistory(self)
        self._updates: list[TradeUpdate] = []  # stream events not yet applied (see on_trade_update)
        self._rejection: tuple[Problem, float] | None = None  # the status bar's REJECTED, and since when
        self._bindings_state = (False, False)  # (any positions, any orders) when last checked
        self.keymap, refused = keymap.apply_keymap(self, keys or {})  # the help shows what was applied
        self._warnings += [f"Key not changed: {problem}" for problem in refused]
        self.key_queue = KeySequencer(self, lambda event: App.on_event(self, event))

    def _later(self, delay: float, callback: Callable[[], None]) -> None:
        """callback after `delay` seconds, unless the app is quitting by then."""
        self.set_timer(delay, lambda: None if compat.shutting_down(self) else callback())

    # ---- keys one at a time, in the order typed (keys.py); toasts plain and few (toasts.py)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key):
            if not event.is_forwarded:
                await self.key_queue.typed(event)
                return
            if await self.key_queue.returned(event):
                return
        await super().on_event(event)

    def notify(self, message: str, *, title: str = "", severity: str = "information",
               timeout: float | None = None, markup: bool = False, lines: int = toasts.LINES) -> None:
        text, heading = toasts.prepare(self, message, title, lines)
        super().notify(text, title=heading, severity=severity, timeout=timeout, markup=False)

    def notifications_changed(self) -> None:
        toasts.trim(self)

    # ---- start-up ----------------------------------------------------------------------

    def get_default_screen(self) -> Screen:
        self.main = MainScreen(self.config, self.state.server_now)
        return self.main

    def on_load(self) -> None:
        compat.daemon_worker_threads(DaemonThreadExecutor("worker"))  # quitting never waits on a request

    def on_mount(self) -> None:
        for warning in self._warnings:
            self.notify(warning, title="Warning", severity="warning", timeout=20)
        self.set_interval(1.0, self._heartbeat)
        self.market.on_flush.append(self.watchlist.prices_changed)
        self.market.on_flush.append(self.refresher.reprice)
        self.refresher.start()

    def after_first_round(self) -> None:
        """Every pane has answered once: now the work that start-up put off."""
        self.refresher.ask("fills")
        self._prepare_data()
        self.market.start()
        self.refresher.ask("watchlists")
        if self.journal is not None and self.config.mode is not Mode.DEMO:
            self._settle_journal()  # a demo's simulator died with its run: nothing to ask
        if self.journal is not None:
            self._read_quotes()
        if self._on_loaded is not None:
            self._on_loaded()

    @property
    def broker(self) -> Any:
        """Made on first use, off the UI thread (alpaca-py's imports are slow)."""
        with self._broker_lock:
            if self._broker is None:
                self._broker = self._broker_factory(self.config, self.requests)
            return self._broker

    @work(thread=True, exit_on_error=False, group="prepare", name="prepare market data")
    def _prepare_data(self) -> None:
        """The market-data client, made once every pane has data: start-up does not pay for
        its imports, and the first ticket's quote does not wait for them."""
        prepare = getattr(self.broker, "prepare_data", None)
        if prepare is not None:
            prepare()

    @work(thread=True, exit_on_error=False, group="quotes", name="read the quotes orders were sent at")
    def _read_quotes(self) -> None:
        self.flow.read_quotes()

    def slippage_known(self) -> None:
        """The journal's quotes are read: the fills they measure show their slippage."""
        self.main.query_one(OrdersPane).show_fills(list(self.state.fills), self.state.slippage)

    @work(thread=True, exit_on_error=False, group="journal", name="settle the journal")
    def _settle_journal(self) -> None:
        self.flow.settle_journal()

    @while_shown
    def on_journal_settled(self, message: JournalSettled) -> None:
        self.flow.settled(message)

    # ---- refreshing (refresh.py) ---------------------------------------------------------

    @while_shown
    def _heartbeat(self) -> None:
        self.refresher.tick()
        self.market.tick()
        self.main.query_one(ClockPane).tick()
        self.update_status()

    @while_shown
    def on_fetched(self, message: Fetched) -> None:
        self.refresher.answered(message)
        self.update_status()

    def server_answered(self) -> None:
        """The server answered a read: the stream can connect now (once)."""
        if self.use_stream and not self._stream_started:
            self._stream_started = True
            self._start_stream()

    def render_orders(self) -> None:
        orders = sorted(self.state.orders.values(), key=lambda o: o.submitted_at or o.created_at, reverse=True)
        self.main.query_one(OrdersPane).show_orders(orders)
        self.sync_bindings()

    def sync_bindings(self) -> None:
        """Re-check x/X/c/C (see check_action) only when their answer can change: each
        refresh rebuilds the footer, a real cost when it happened on every update."""
        state = (bool(self.state.positions), bool(self.state.orders))
        if state != self._bindings_state:
            self._bindings_state = state
            self.refresh_bindings()

    # ---- the trade_updates stream --------------------------------------------------------

    @work(thread=True, exit_on_error=False, group="stream", name="start stream")
    def _start_stream(self) -> None:
        from ..broker.stream import TradeUpdatesStream

        self.stream = TradeUpdatesStream(
            self.config.stream_url, self.config.key_id, self.config.secret_key,
            # Parsed here, on the stream's thread: the UI thread gets ready orders.
            on_update=lambda data: self.post_message(TradeUpdate(data, parse_order(data.get("order")))),
            on_state=lambda state, detail: self.post_message(StreamChanged(str(state.value), detail)),
        )
        self.stream.start()

    def wake_stream(self) -> None:
        if self.stream is not None:
            self.stream.wake()
        self.market.wake()

    @while_shown
    def on_stream_changed(self, message: StreamChanged) -> None:
        was_listening = self.stream_state == "listening"
        self.stream_state, self.stream_detail = message.state, message.detail
        if was_listening and message.state != "listening" and not self.refresher.schedule.offline:
            self.refresher.ask("clock")  # a dropped stream may mean the server is gone: ask now
        if message.state == "listening" and not was_listening:
            self.refresher.reconcile()  # events may have been missed while the stream was down
        self.update_status()

    def on_trade_update(self, message: TradeUpdate) -> None:
        """Events are gathered and applied together, at most once per FLUSH_EVERY: a storm
        of 2,000 cancels costs a few table updates, not 2,000 (each a sort and a sync)."""
        self._updates.append(message)
        if len(self._updates) == 1:
            self.set_timer(FLUSH_EVERY, self._apply_updates)

    @while_shown
    def _apply_updates(self) -> None:
        updates, self._updates = self._updates, []
        applied = apply_events(self.state, [(u.data, u.order) for u in updates])
        if applied.orders_changed:
            self.render_orders()
        if applied.fills:
            self.main.query_one(OrdersPane).show_fills(list(self.state.fills), self.state.slippage)
            self.realized.fills_changed()
            for fill, event, order in applied.fills:
                self.announcer.fill(fill, event, order)
            for part in ("positions", "fills"):  # positions bring the account
                self.refresher.ask(part)
        if applied.refetch_orders:
            self.refresher.ask("orders")
        self.announcer.ends(applied.news)

    # ---- market data (market.py) and the watchlist (watchlist_actions.py) -------------------

    def on_ticks(self, message: Ticks) -> None:
        self.market.ticks(message)

    @while_shown
    def on_subscribed(self, _message: Subscribed) -> None:
        self.market.subscribed()
        self.update_status()

    @while_shown
    def on_data_stream_changed(self, message: DataStreamChanged) -> None:
        self.market.stream_changed(message)
        self.update_status()

    @while_shown
    def on_market_answer(self, message: MarketAnswer) -> None:
        if message.what == "assets":
            self.market.assets_read(message)
        elif message.what == "bars":
            self.market.bars_read(message)
        elif message.what == "watchlist":
            self.market.watchlist_changed(message)

    def on_symbol_chosen(self, message: SymbolChosen) -> None:
        self.open_detail(message.symbol)

    def open_detail(self, symbol: str) -> None:
        if isinstance(self.screen, DetailScreen):
            self.screen.dismiss(None)
        self.push_screen(DetailScreen(symbol, self.desk))

    def action_lookup(self) -> None:
        self.watchlist.find(self.open_detail)

    def action_watchlist(self) -> None:
        self.watchlist.toggle()

    def action_watch_add(self) -> None:
        self.watchlist.find(self.watch_symbol, title="Add to the watchlist")

    def watch_symbol(self, symbol: str) -> None:
        self.watchlist.add(symbol)

    def action_watch_remove(self) -> None:
        self.watchlist.remove()

    def action_watch_step(self, by: int) -> None:
        self.market.step_watchlist(by)

    def action_watch_new(self) -> None:
        self.watchlist.create()

    # ---- actions: orders (orderflow.py) --------------------------------------------------

    @while_shown
    def on_action_done(self, message: ActionDone) -> None:
        order = self.flow.done(message)
        if order is not None:  # a submit's answer: shown at once, like an event
            self.on_trade_update(TradeUpdate({"event": "submitted"}, order))
        for part in ("orders", "positions"):  # positions bring the account
            self.refresher.ask(part)
        self.update_status()

    # The keys' actions; orderflow.py checks there is something to act on, and asks.
    def action_buy(self) -> None:
        self.flow.open_ticket("buy")

    def action_sell(self) -> None:
        self.flow.open_ticket("sell")

    def action_close_position(self) -> None:
        self.flow.close_position()

    def action_close_all(self) -> None:
        self.flow.close_all()

    def action_cancel_order(self) -> None:
        self.flow.cancel_order()

    def action_cancel_all(self) -> None:
        self.flow.cancel_all()

    def action_modify_order(self) -> None:
        self.flow.modify_order()

    def action_order_detail(self, order_id: str = "") -> None:
        """An order's (or a leg's) detail: Enter on its row in the Orders pane."""
        pane = self.main.query_one(OrdersPane)
        order = (pane.orders_by_row.get(order_id) or pane.history_by_row.get(order_id)) if order_id \
            else pane.selected_order
        if order is None:
            self.notify("Select an order first (3 goes to Orders).", severity="warning")
            return
        parent = parent_of(self.state.orders.values(), str(order.id))
        self.push_screen(OrderDetailScreen(order, AppOrderDesk(self), parent_id=parent))

    def action_fill_order_detail(self, order_id: str) -> None:
        """Enter on a fill: its order's detail; an order the app does not hold is read first."""
        from ..state.timeline import timeline_of

        pane = self.main.query_one(OrdersPane)
        order = self.state.orders.get(order_id) or pane.history_by_row.get(order_id) \
            or timeline_of(self.state).latest(order_id)
        if order is not None:
            self.push_screen(OrderDetailScreen(order, AppOrderDesk(self),
                                               parent_id=parent_of(self.state.orders.values(), order_id)))
            return

        def read() -> None:
            from ..broker.errors import describe

            try:
                with self.requests.urgent():
                    found = self.broker.order(order_id)
            except Exception as err:
                self.call_from_thread(self.notify, f"Cannot read the fill's order: {describe(err)}",
                                      title="Order detail", severity="warning")
                return
            self.call_from_thread(lambda: self.push_screen(OrderDetailScreen(found, AppOrderDesk(self))))

        self.run_worker(read, thread=True, group="order-detail", name=f"read order {order_id}", exit_on_error=False)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Only show (and run) the close and cancel keys when there is something to act on."""
        if action in ("close_all", "close_position"):
            return bool(self.state.positions)
        if action in ("cancel_all", "cancel_order"):
            return bool(self.state.orders)
        return True

    # ---- the status bar ------------------------------------------------------------------

    def rejection_shown(self, problem: Problem) -> None:
        self._rejection = (problem, time.monotonic())
        self.update_status()

    def rejection_seen(self) -> None:
        self._rejection = None

    def status_now(self) -> Status:
        """What the status bar says now."""
        return status_of(self.refresher.schedule, self.stream_state, self.state.daytrade_count(),
                         self.requests.last_minute(), self._rejection, self.market.status())

    def update_status(self) -> None:
        status = self.status_now()
        for screen in self.screen_stack:  # the main screen's, and any full screen's above it
            for bar in screen.query(StatusBar):
                bar.show(status)

    # ---- the terminal --------------------------------------------------------------------

    def get_driver_class(self) -> type[Driver]:
        """Textual's driver for this platform, reading Esc then a key as two keys however
        fast they come, and sending only the cells that changed (Linux and macOS; Windows
        and a TEXTUAL_DRIVER of one's own are left as they are)."""
        base = super().get_driver_class()
        if not issubclass(base, LinuxDriver) or constants.DRIVER:
            return base
        base = keys_apart(base)
        return base if self.screen_diff is None else diffing(base, self.screen_diff)

    def action_redraw(self) -> None:
        """Everything drawn again, for a terminal that something else wrote on (a `wall`
        message, a stray print over SSH): the filter forgets what it sent, Textual repaints."""
        if self.screen_diff is not None:
            self.screen_diff.forget()
        self.screen.refresh()

    # ---- actions: navigation and information ---------------------------------------------

    def action_refresh(self) -> None:
        # Said in the status bar until every answer is in, not in a toast: a toast mounts
        # over the panes and costs a layout and a repaint of the tables under it, twice.
        self.refresher.ask_all()
        if self.history.view is not None:
            self.history.start(self.history.view)
            self._show_history()
        self.update_status()

    def action_help(self) -> None:
        self.push_screen(help_screen(keymap.help_rows(self.keymap)))

    def action_connection(self) -> None:
        market = self.market
        plan = (f"{len(market.plan.streamed)} symbols streamed of at most {market.limit}, "
                f"{len(market.plan.polled)} from snapshots")
        detail = market.detail if market.detail not in ("", market.state) else ""
        self.push_screen(connection_screen(self.config, self.stream_state, self.stream_detail, market.state,
                                           "; ".join(bit for bit in (plan, detail) if bit)))

    def action_rejections(self) -> None:
        """The rejections seen this session; looking at them dismisses the status bar's."""
        self.rejection_seen()
        self.update_status()
        self.push_screen(rejections_screen(self.state.rejections))

    def action_focus_pane(self, pane: str) -> None:
        if pane == "orders":
            self.main.query_one(OrdersPane).active_table.focus()
        else:
            self.main.query_one(f"#{pane}").focus()

    def action_toggle_fills(self) -> None:
        self.main.query_one(OrdersPane).action_toggle_fills()

    # ---- export (E) ------------------------------------------------------------------------

    def export_view(self) -> tuple[str, str, list[Any]]:
        """(kind, file name, items) for what the focused pane shows: the Orders pane's view
        (open, closed, all, fills), else the positions."""
        pane = self.main.query_one(OrdersPane)
        focused = self.focused
        if focused is not None and pane in focused.ancestors_with_self:
            if pane.view == "fills":
                return "fills", "fills", list(self.state.fills)
            if pane.view in ("closed", "all"):
                return "orders", f"orders-{pane.view}", list(self.history.orders)
            return "orders", "orders-open", list(self.state.orders.values())
        return "positions", "positions", list(self.state.positions)

    def action_export(self) -> None:
        from .screens.history import HistoryScreen

        screen = self.screen
        if isinstance(screen, HistoryScreen):  # its activities or realized P&L, as shown
            view = screen.export_view()
            if isinstance(view, str):
                self.notify(f"Nothing to export: {view}", title="Export", severity="warning")
                return
            kind, name, items, what, note = view.kind, view.name, list(view.items), view.what, view.note
        else:
            kind, name, items = self.export_view()
            what, note = name.replace("-", " "), ""
        now, directory = datetime.now(), self.export_dir

        def write() -> None:
            try:
                path, count = write_export(kind, items, name, now, directory)
            except (OSError, ValueError) as err:
                self.call_from_thread(self.notify, f"Nothing written: {err}", title="Export failed",
                                      severity="error")
                return
            said = f"{path}\n({note})" if note else str(path)
            self.call_from_thread(partial(self.notify, said, title=f"Exported {count} {what}",
                                          severity="warning" if note else "information", timeout=30, lines=8))

        self.run_worker(write, thread=True, group="export", name="export", exit_on_error=False)

    # ---- the order history (the Orders pane's closed and all views) ----------------------

    def on_orders_pane_view_changed(self, message: OrdersPane.ViewChanged) -> None:
        if message.view in ("closed", "all"):
            self.history.start(message.view)
            self._show_history()
        else:
            self.history.stop()

    @while_shown
    def on_orders_pane_near_end(self, message: OrdersPane.NearEnd) -> None:
        # Where the cursor is now, not when the message left: one from before a new view or
        # filter would read that view's second page at once.
        table = self.main.query_one(OrdersPane).query_one(HistoryTable)
        was_loading = self.history.loading
        self.history.near_end(table.cursor_row, table.row_count)
        if self.history.loading and not was_loading:
            self._show_history()

    @while_shown
    def on_history_page(self, message: HistoryPage) -> None:
        if self.history.answered(message):
            self._show_history()

    def _show_history(self) -> None:
        history = self.history
        note = " · ".join(bit for bit in (history.filter.words(), "loading…" if history.loading else "",
                                          history.problem or "") if bit)
        self.main.query_one(OrdersPane).show_history(history.orders, history.more, note)

    def action_orders_filter(self) -> None:
        """Filter the closed/all view by symbols and dates (from open orders or fills, the
        closed view opens with the filter)."""
        pane = self.main.query_one(OrdersPane)

        def check(text: str) -> str | None:
            parsed = parse_filter(text)
            return parsed if isinstance(parsed, str) else None

        def chosen(text: str | None) -> None:
            if text is None:
                return
            parsed = parse_filter(text)
            assert not isinstance(parsed, str)  # checked before the prompt closed
            self.history.filter = parsed
            if pane.view in ("closed", "all"):
                self.history.start(pane.view, parsed)
                self._show_history()
            else:
                pane.view = "closed"  # ViewChanged starts it, with the filter
            pane.active_table.focus()

        self.push_screen(PromptScreen("Filter the order history",
                                      "symbols and/or dates: AAPL MSFT 2026-11-01..2026-11-30 (empty: all)",
                                      check, max_length=200), chosen)

    # ---- the account's history and realized P&L (screens/history.py) --------------------

    def action_history(self) -> None:
        from .history_desk import AppHistoryDesk
        from .screens.history import HistoryScreen

        if not isinstance(self.screen, HistoryScreen):
            self.push_screen(HistoryScreen(AppHistoryDesk(self)))

    async def action_quit(self) -> None:
        if self.stream is not None:
            self.stream.stop()  # returns at once; the stream thread is a daemon
        self.market.stop()
        self.exit()

    # ---- the equity chart (screens/equity.py) ---------------------------------------------

    def action_equity(self) -> None:
        from .screens.equity import AppEquityDesk, EquityScreen

        if not isinstance(self.screen, EquityScreen):
            self.push_screen(EquityScreen(AppEquityDesk(self)))

    def on_equity_answer(self, message: Any) -> None:
        if not compat.shutting_down(self):
            message.reply(message.history, message.problem)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The palette: Textual's commands, then every key marked for it in the keymap."""
        yield from super().get_system_commands(screen)
        for key in keymap.ALL.values():
            if key.command:
                action = key.action.removeprefix("app.")
                yield SystemCommand(key.command, key.help[:1].upper() + key.help[1:],
                                    lambda action=action: self.run_action(action))
