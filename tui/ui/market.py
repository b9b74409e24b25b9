"""Live prices on screen: the market-data stream, snapshots for what it does not carry, the
watchlists, the asset list for symbol lookup, and chart bars.

The stream carries the plan's symbols (tui/state/quotes.py plan_symbols: the symbol on
screen, positions, open orders, then the watchlist, within the data plan's limit). Ticks
come as `Ticks` messages; they change the quote book at once, and the panes as follows: a
tick RENDER_EVERY or more after the last ticks painted is painted at once (a lone price move
shows without delay); ticks that follow sooner are painted together BUSY_EVERY after it (30
symbols at 10 quotes a second must not repaint a cell 10 times a second over an SSH link). Symbols
beyond the limit, and every symbol while the stream is down or refused, are read from
snapshots by the "quotes" fetch (tui/ui/refresh.py).
"""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, Callable

from ..broker.client import SNAPSHOT_BATCH
from ..broker.errors import describe
from ..broker.market import AssetInfo, Bar, Watchlist
from ..state.quotes import STALE_AFTER, Plan, QuoteBook, plan_symbols, reprice_all
from ..terms import NEW_YORK
from ..broker.ticket import Quote
from .messages import DataStreamChanged, MarketAnswer, Subscribed, Ticks

if TYPE_CHECKING:
    from .app import AlpacaApp

RENDER_EVERY = 0.5  # seconds: a tick this long after the last paint is painted at once
BUSY_EVERY = 1.0  # seconds between paints while ticks keep coming
AGES_EVERY = 5  # seconds between repaints of prices' ages (they move in 5 s steps)
SNAPSHOT_AGAIN = 300.0  # seconds: streamed symbols' day figures (volume, range) are read again this often


class MarketFeed:
    def __init__(self, app: AlpacaApp, enabled: bool = True, backoff: tuple[float, float] | None = None) -> None:
        """backoff: the stream's (shortest, longest) pause before reconnecting; None: its own."""
        self.app = app
        self.backoff = backoff
        self.enabled = enabled
        self.book = QuoteBook()
        self.stream: Any = None
        self.state = "connecting" if enabled else "off"
        self.detail = ""
        self.limit = app.config.data_symbol_limit
        self.focus: dict[str, str] = {}  # who looks at a symbol ("detail", "ticket") -> the symbol
        self.plan = Plan()
        self.watchlists: tuple[Watchlist, ...] = ()
        self.current_watchlist: str | None = None
        self.assets: tuple[date, tuple[AssetInfo, ...]] | None = None
        self._assets_waiting: list[Callable[[tuple[AssetInfo, ...] | None, Any], None]] = []
        self._snapshot_read: dict[str, float] = {}  # symbol -> when its snapshot was last asked (monotonic)
        self._trend_read: set[str] = set()
        self._dirty: set[str] = set()
        self._flush_due: Any = None  # the timer of the coming coalesced paint, if one is set
        self._painted = float("-inf")  # when ticks were last painted (monotonic)
        self._ticks = 0
        self._deferred: set[str] = set()  # symbols whose paint waits for the positions being read
        self._replies: dict[tuple[str, str], Callable[[MarketAnswer], None]] = {}  # chart reads waiting
        self.on_flush: list[Callable[[set[str]], None]] = []  # the panes and screens that show prices

    # ---- the plan ----

    @property
    def streaming(self) -> bool:
        return self.state == "listening"

    @property
    def carries_positions(self) -> bool:
        """Every position's price comes from the stream (their REST refresh can then be rarer)."""
        streamed = set(self.plan.streamed)
        return self.streaming and all(str(p.symbol) in streamed for p in self.app.state.positions)

    @property
    def current(self) -> Watchlist | None:
        """The watchlist shown (the first when none was chosen)."""
        chosen = next((w for w in self.watchlists if w.id == self.current_watchlist), None)
        return chosen or (self.watchlists[0] if self.watchlists else None)

    def watchlist_symbols(self) -> tuple[str, ...]:
        current = self.current
        return current.symbols if current else ()

    def replan(self) -> None:
        """Tell the stream which symbols to carry; the rest are polled."""
        state = self.app.state
        groups = (list(self.focus.values()), [str(p.symbol) for p in state.positions],
                  [str(o.symbol) for o in state.orders.values() if o.symbol], self.watchlist_symbols())
        wanted = plan_symbols(groups, self.limit)
        if self.stream is not None:
            self.stream.watch(wanted.streamed)
        carried = set(self.stream.streamed) if self.stream is not None and self.streaming else set()
        every = wanted.wanted
        plan = Plan(tuple(s for s in every if s in carried), tuple(s for s in every if s not in carried))
        if plan != self.plan:
            self.plan = plan
            self.book.forget(every)
            self._dirty.update(every)
            self.schedule_flush()
            if self.enabled and any(s not in self.book.prices for s in self.to_read()[0]):
                self.app.refresher.ask("quotes")  # new symbols: their first price and day now

    def look_at(self, role: str, symbol: str | None) -> None:
        """A screen shows `symbol` (None: no longer): it is streamed first."""
        if symbol:
            if self.focus.get(role) == symbol:
                return
            self.focus[role] = symbol
        elif self.focus.pop(role, None) is None:
            return
        self.replan()
        if symbol and symbol not in self.book.prices:
            self.app.refresher.ask("quotes")

    # ---- what the "quotes" fetch reads (called on its worker: reads only) ----

    def to_read(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(symbols needing a snapshot now, symbols whose sparkline is not loaded)."""
        now = time.monotonic()
        plan = self.plan
        streamed = set(plan.streamed)
        shown_elsewhere = set(self.watchlist_symbols()) | set(self.focus.values()) \
            | {str(o.symbol) for o in self.app.state.orders.values()}
        only_held = {str(p.symbol) for p in self.app.state.positions} - shown_elsewhere

        def due(symbol: str) -> bool:
            if symbol in streamed:  # once for its day figures, then now and then
                return symbol not in self.book.prices or now - self._snapshot_read.get(symbol, 0.0) > SNAPSHOT_AGAIN
            # A position the stream does not carry, and shown nowhere else, is priced by the
            # positions' own refresh (1,000 positions must not cost snapshots every 5 s).
            return symbol not in only_held

        snap = tuple(s for s in plan.wanted if due(s))[:SNAPSHOT_BATCH]
        watched = set(self.watchlist_symbols())
        trends = tuple(s for s in plan.wanted if s in watched and s not in self._trend_read)
        return snap, trends

    def quotes_read(self, read: Any) -> None:
        """The "quotes" fetch's answer, on the UI thread."""
        now = time.monotonic()
        for symbol in read.asked:
            self._snapshot_read[symbol] = now
        self._dirty |= self.book.apply_snapshots(read.snapshots, now)
        for symbol, bars in read.trends.items():
            self._trend_read.add(symbol)
            self.book.apply_minutes(symbol, bars)
            self._dirty.add(symbol)
        self.flush()  # an answer every few seconds at most: shown at once

    # ---- the stream ----

    def start(self) -> None:
        if self.enabled and self.stream is None:
            self.app.run_worker(self._start_stream, thread=True, group="data-stream", name="start data stream",
                                exit_on_error=False)

    def _start_stream(self) -> None:
        from ..broker.datastream import MarketDataStream

        config = self.app.config
        post = self.app.post_message
        self.stream = MarketDataStream(
            config.data_stream_url, config.key_id, config.secret_key,
            on_ticks=lambda ticks: post(Ticks(ticks, time.monotonic())),
            on_state=lambda state, detail: post(DataStreamChanged(str(state.value), detail)),
            on_subscribed=lambda streamed: post(Subscribed(streamed)),
            symbol_limit=self.limit,
            **({"backoff_min": self.backoff[0], "backoff_max": self.backoff[1]} if self.backoff else {}))
        self.app.call_from_thread(self.replan)  # the plan so far, before it connects
        self.stream.start()

    def stop(self) -> None:
        if self.stream is not None:
            self.stream.stop()

    def wake(self) -> None:
        if self.stream is not None:
            self.stream.wake()

    def subscribed(self) -> None:
        """The server took a new set of symbols: they are streamed, the rest polled."""
        if self.streaming:
            self.replan()

    def stream_changed(self, message: DataStreamChanged) -> None:
        self.state, self.detail = message.state, message.detail
        if self.stream is not None:
            self.limit = self.stream.symbol_limit
        self.replan()
        if not self.streaming:
            self.app.refresher.ask("quotes")  # prices from snapshots until it is back

    def ticks(self, message: Ticks) -> None:
        self._dirty |= self.book.apply_ticks(message.ticks, message.received)
        self.schedule_flush()

    # ---- painting, coalesced ----

    def schedule_flush(self) -> None:
        """Paint now if ticks were last painted RENDER_EVERY ago or more (leading edge), else
        once when they were, with whatever has changed by then. Other paints (answers, ages)
        do not count: they come every few seconds at most."""
        if self._flush_due is not None or not self._dirty:
            return
        now = time.monotonic()
        if now - self._painted >= RENDER_EVERY:
            self._painted = now
            self.flush()
        else:
            # A steady flow (30 symbols at 10 quotes a second) paints once a second: each
            # paint sends every changed cell, and an SSH link has a budget.
            self._flush_due = self.app.set_timer(self._painted + BUSY_EVERY - now, self._coalesced)

    def _coalesced(self) -> None:
        self._flush_due = None  # this timer has fired: nothing to stop
        self._painted = time.monotonic()
        self.flush()

    def flush(self, everything: bool = False) -> None:
        if self._flush_due is not None:  # painted now: the coalesced paint has nothing left to do
            self._flush_due.stop()
            self._flush_due = None
        dirty, self._dirty = self._dirty, set()
        if everything:
            dirty |= set(self.plan.wanted)
        if not self.app.is_running or not (dirty or everything):
            return  # everything: also with no symbols at all (the watchlist pane says there is none)
        for show in list(self.on_flush):
            show(dirty)

    def defer(self, symbols: set[str]) -> None:
        """Paint these symbols' prices at the next paint (the positions are being read)."""
        self._deferred |= symbols

    def flush_deferred(self) -> None:
        if self._deferred:
            self._dirty |= self._deferred
            self._deferred = set()
            self.schedule_flush()

    def tick(self) -> None:
        """Every second: every AGES_EVERY, repaint what shows an age (it moves on its own)."""
        self._ticks += 1
        if self._ticks % AGES_EVERY == 0:
            self.flush(everything=True)

    def status(self) -> tuple[str, int, int, int]:
        """For the status bar: (the stream's state, symbols streamed, the limit, symbols polled)."""
        return self.state, len(self.plan.streamed), self.limit, len(self.plan.polled)

    def ages(self) -> dict[str, float]:
        mono, server = time.monotonic(), self.app.state.server_now()
        return {symbol: live.age(mono, server) for symbol, live in self.book.prices.items()}

    def live_quote(self, symbol: str) -> Quote | None:
        """The ticket's quote from the feed, when it has a fresh one."""
        live = self.book.get(symbol)
        if live is None or live.age(time.monotonic(), self.app.state.server_now()) > STALE_AFTER:
            return None
        return Quote(live.bid, live.ask, live.last, at=live.time or self.app.state.server_now())

    # ---- asset list (symbol lookup), once a New York day ----

    def with_assets(self, then: Callable[[tuple[AssetInfo, ...] | None, Any], None]) -> None:
        today = self.app.state.server_now().astimezone(NEW_YORK).date()
        if self.assets is not None and self.assets[0] == today:
            then(self.assets[1], None)
            return
        self._assets_waiting.append(then)
        if len(self._assets_waiting) == 1:
            self._run("assets", today, lambda: tuple(self.app.broker.assets()))

    def assets_read(self, message: MarketAnswer) -> None:
        if message.problem is None:
            self.assets = (message.context, message.data)
        waiting, self._assets_waiting = self._assets_waiting, []
        for then in waiting:
            then(message.data if message.problem is None else None, message.problem)

    # ---- workers ----

    def _run(self, what: str, context: Any, call: Callable[[], Any], group: str | None = None) -> None:
        def run() -> None:
            try:
                data = call()
            except Exception as err:
                self.app.post_message(MarketAnswer(what, None, describe(err), context))
                return
            self.app.post_message(MarketAnswer(what, data, None, context))

        self.app.run_worker(run, thread=True, group=group or f"market-{what}", name=f"{what}",
                            exit_on_error=False)

    def bars(self, symbol: str, timeframe: str, start: datetime, reply: Callable[[MarketAnswer], None]) -> None:
        """Chart bars, read off the UI thread; `reply` gets the answer on it."""
        def call() -> list[Bar]:
            return self.app.broker.bars(symbol, timeframe, start)

        self._replies[(symbol, timeframe)] = reply
        self._run("bars", (symbol, timeframe), call, group=f"bars-{symbol}")

    def bars_read(self, message: MarketAnswer) -> None:
        reply = self._replies.pop(message.context, None)
        if reply is not None:
            reply(message)

    # ---- watchlists ----

    def watchlists_read(self, watchlists: tuple[Watchlist, ...]) -> None:
        self.watchlists = tuple(watchlists)
        ids = [w.id for w in self.watchlists]
        if self.current_watchlist not in ids:
            self.current_watchlist = ids[0] if ids else None
        self.replan()
        self.flush(everything=True)
        if any(s not in self.book.prices or s not in self._trend_read for s in self.watchlist_symbols()):
            self.app.refresher.ask("quotes")

    def change_watchlist(self, words: str, call: Callable[[Any], Any]) -> None:
        """A watchlist action (add, remove, create) off the UI thread; its answer comes back
        as a MarketAnswer("watchlist") with the changed watchlist."""
        self._run("watchlist", words, partial(call, self.app.broker), group="watchlist-change")

    def watchlist_changed(self, message: MarketAnswer) -> None:
        if message.problem is not None:
            self.app.notify(f"{message.context}: {message.problem}", title="Watchlist not changed",
                            severity="error")
            return
        changed = message.data
        if isinstance(changed, Watchlist):
            others = [w for w in self.watchlists if w.id != changed.id]
            index = next((i for i, w in enumerate(self.watchlists) if w.id == changed.id), len(others))
            others.insert(index, changed)
            self.watchlists = tuple(others)
            self.current_watchlist = changed.id
        elif isinstance(changed, str):  # a deleted watchlist's id
            self.watchlists = tuple(w for w in self.watchlists if w.id != changed)
            self.current_watchlist = None
        self.watchlists_read(self.watchlists)
        self.app.refresher.ask("quotes")

    def step_watchlist(self, by: int) -> None:
        ids = [w.id for w in self.watchlists]
        if len(ids) > 1:
            index = ids.index(self.current_watchlist) if self.current_watchlist in ids else 0
            self.current_watchlist = ids[(index + by) % len(ids)]
            self.watchlists_read(self.watchlists)
            self.app.refresher.ask("quotes")


def chart_start(timeframe: str, now: datetime, trading_days: tuple[date, ...]) -> tuple[str, datetime]:
    """(bar timeframe, start) for a chart span: 1D minutes of the last session, 5D five-minute
    bars of five sessions, 1M hours, 6M and 1Y days."""
    today = now.astimezone(NEW_YORK).date()
    past = [d for d in trading_days if d <= today]

    def session_start(back: int) -> datetime:
        if len(past) >= back:
            day = past[-back]
        else:
            day = today - timedelta(days=back * 7 // 5 + 2)
        return datetime.combine(day, datetime.min.time(), NEW_YORK)

    if timeframe == "1D":
        return "1Min", session_start(1)
    if timeframe == "5D":
        return "5Min", session_start(5)
    if timeframe == "1M":
        return "1Hour", now - timedelta(days=31)
    if timeframe == "6M":
        return "1Day", now - timedelta(days=183)
    return "1Day", now - timedelta(days=366)


class MarketDesk:
    """What the detail and lookup screens need from the app (screens do no I/O)."""

    def __init__(self, app: AlpacaApp) -> None:
        self.app, self.feed = app, app.market
        self._listeners: dict[str, tuple[Callable[[set[str]], None], Callable[[Bar], None]]] = {}

    def live(self, symbol: str) -> tuple[Any, float, bool]:
        live = self.feed.book.get(symbol)
        age = live.age(time.monotonic(), self.app.state.server_now()) if live else 0.0
        return live, age, symbol in self.feed.plan.streamed

    def asset(self, symbol: str) -> AssetInfo | None:
        assets = self.feed.assets
        return next((a for a in assets[1] if a.symbol == symbol), None) if assets else None

    def position(self, symbol: str) -> Any | None:
        """The position valued at the live price, as the Positions pane shows it."""
        position = self.app.state.position(symbol)
        if position is None:
            return None
        return reprice_all([position], self.feed.book.prices, self.app.refresher.positions_read_at)[0]

    def open_orders(self, symbol: str) -> list[Any]:
        return [o for o in self.app.state.orders.values() if o.symbol == symbol]

    def chart(self, symbol: str, span: str, reply: Callable[[str, Any, Any], None]) -> None:
        timeframe, start = chart_start(span, self.app.state.server_now(), self.app.state.snapshot.trading_days)
        self.feed.bars(symbol, timeframe, start,
                       lambda answer: reply(timeframe, answer.data if answer.problem is None else None, answer.problem))

    def look_at(self, symbol: str | None) -> None:
        self.feed.look_at("detail", symbol)

    def listen(self, symbol: str, on_change: Callable[[], None] | None, on_bar: Callable[[Bar], None] | None) -> None:
        old = self._listeners.pop(symbol, None)
        if old is not None:
            self.feed.on_flush.remove(old[0])
            self.feed.book.bar_listeners.remove(old[1])
        if on_change is None or on_bar is None:
            return
        changed, bar = on_change, on_bar

        def flushed(dirty: set[str]) -> None:
            if symbol in dirty:
                changed()

        def streamed(minute: Bar) -> None:
            if minute.symbol == symbol:
                bar(minute)

        self._listeners[symbol] = (flushed, streamed)
        self.feed.on_flush.append(flushed)
        self.feed.book.bar_listeners.append(streamed)

    def ticket(self, side: str, symbol: str) -> None:
        self.app.flow.open_ticket(side, symbol)

    def watch(self, symbol: str) -> None:
        self.app.watch_symbol(symbol)

    def with_assets(self, then: Callable[[Any, Any], None]) -> None:
        self.feed.with_assets(then)
