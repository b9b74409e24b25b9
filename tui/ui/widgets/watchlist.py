"""The Watchlist pane: one of the account's Alpaca watchlists (the same list the user sees
on Alpaca's web dashboard and phone app) with live prices and today's trend.

Symbols the data stream carries update as ticks come; the others (beyond the plan's symbol
limit, or while the stream is down) are read from snapshots every few seconds and marked
with ◌. A price older than a few seconds says its age. Sorted by any column (`o`, `O`).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Mapping, Sequence

from rich.text import Text

from ...broker.market import Watchlist
from ...state.quotes import STALE_AFTER, LivePrice
from ...text import clean
from .. import keymap
from ..messages import SymbolChosen
from ..format import DASH, price, quantity, signed_money, signed_pct, tone
from ..sparkline import sparkline
from .table import LiveTable, Row, hidden_note
from .titles import retitle

COLUMNS = [
    ("symbol", "Symbol", False), ("last", "Last", True), ("change", "Chg", True), ("pct", "Chg%", True),
    ("bid", "Bid", True), ("ask", "Ask", True), ("volume", "Volume", True), ("trend", "Today", False),
]
DROP_ORDER = ("bid", "ask", "volume", "change", "trend", "pct", "last")
SORTS = tuple(key for key, _, _ in COLUMNS)
LABELS = {key: label for key, label, _ in COLUMNS}
TREND_CELLS = 10
POLLED_MARK = " ◌"  # read from snapshots, not streamed


def stale_mark(seconds: float) -> str:
    """'' while fresh; then the age in steps coarse enough not to repaint every second."""
    if seconds < STALE_AFTER:
        return ""
    if seconds < 60:
        return f" {int(seconds) // 5 * 5}s"
    if seconds < 3600:
        return f" {int(seconds // 60)}m"
    if seconds < 86400:
        return f" {int(seconds // 3600)}h"
    return f" {int(seconds // 86400)}d"


def priced(live: LivePrice | None, age: float) -> tuple[str, str]:
    """The last price as a cell, with its age when old."""
    if live is None or live.price is None:
        return DASH, "dim"
    mark = stale_mark(age)
    return price(live.price) + mark, "dim" if mark else ""


def sort_value(key: str, symbol: str, live: LivePrice | None) -> tuple:
    """Missing figures sort last whichever the direction (see watchlist_rows)."""
    if key == "symbol":
        return (0, symbol)
    value: Decimal | None = None
    if live is not None:
        value = {"last": live.price, "change": live.change, "pct": live.change_pct, "bid": live.bid,
                 "ask": live.ask, "volume": live.volume, "trend": live.change_pct}[key]
    return (0, value) if value is not None else (1, symbol)


def watchlist_rows(symbols: Sequence[str], prices: Mapping[str, LivePrice], polled: frozenset[str],
                   ages: Mapping[str, float], sort: str = "symbol", descending: bool = False) -> list[Row]:
    keyed = [(sort_value(sort, symbol, prices.get(symbol)), symbol) for symbol in dict.fromkeys(symbols)]
    present = sorted((k for k in keyed if k[0][0] == 0), reverse=descending)
    missing = sorted(k for k in keyed if k[0][0] == 1)
    rows: list[Row] = []
    for _, symbol in present + missing:
        live = prices.get(symbol)
        change = live.change if live else None
        pct = live.change_pct if live else None
        closes = [close for _, close in live.minutes] if live else []
        rows.append((symbol, (
            (clean(symbol, one_line=True) + (POLLED_MARK if symbol in polled else ""), ""),
            priced(live, ages.get(symbol, 0.0)),
            (signed_money(change) if change is not None else DASH, tone(change)),
            (signed_pct(pct) if pct is not None else DASH, tone(pct)),
            (price(live.bid) if live and live.bid else DASH, ""),
            (price(live.ask) if live and live.ask else DASH, ""),
            (quantity(live.volume) if live and live.volume is not None else DASH, "dim"),
            (sparkline(closes, TREND_CELLS) if closes else "", tone(pct)),
        )))
    return rows


class WatchlistTable(LiveTable):
    """The pane. It shows what it is given; the app reads and changes the watchlists."""

    BORDER_TITLE = "Watchlist"
    BINDINGS = keymap.bindings(keymap.WATCHLIST)

    def __init__(self, **kwargs) -> None:
        super().__init__(COLUMNS, drop_order=DROP_ORDER, **kwargs)
        self.watchlists: tuple[Watchlist, ...] = ()
        self.current_id: str | None = None
        self.sort, self.descending = "symbol", False
        self.polled_count = 0
        self.loaded = False
        self.shown_symbols: tuple[str, ...] | None = None  # the symbols of the last show()
        self._shown: tuple = ({}, frozenset(), {})  # its arguments: a new sort shows them again

    @property
    def current(self) -> Watchlist | None:
        for watchlist in self.watchlists:
            if watchlist.id == self.current_id:
                return watchlist
        return self.watchlists[0] if self.watchlists else None

    @property
    def symbols(self) -> tuple[str, ...]:
        current = self.current
        return current.symbols if current else ()

    def set_watchlists(self, watchlists: Sequence[Watchlist], current_id: str | None = None) -> None:
        self.loaded = True
        self.watchlists = tuple(watchlists)
        if current_id is not None:
            self.current_id = current_id
        if self.current is not None:
            self.current_id = self.current.id

    def next_sort(self, reverse_only: bool = False) -> None:
        if reverse_only:
            self.descending = not self.descending
        else:
            self.sort = SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)]
            self.descending = self.sort not in ("symbol",)  # biggest movers first

    def show(self, prices: Mapping[str, LivePrice], polled: frozenset[str], ages: Mapping[str, float]) -> None:
        self._shown = (prices, polled, ages)
        self.shown_symbols = self.symbols
        current = self.current
        self.polled_count = sum(1 for s in self.symbols if s in polled)
        if current is None:
            title = Text("Watchlist · none: n to create one" if self.loaded else "Watchlist")
        else:
            title = Text(f"Watchlist · {clean(current.name, one_line=True, limit=64)} ({len(current.symbols)})")
            if len(self.watchlists) > 1:
                title.append(f" · {self.position_text()}", style="dim")
        retitle(self, title)
        self.sync(watchlist_rows(self.symbols, prices, polled, ages, self.sort, self.descending))
        self._resubtitle()

    def position_text(self) -> str:
        ids = [w.id for w in self.watchlists]
        index = ids.index(self.current_id) + 1 if self.current_id in ids else 1
        return f"{index}/{len(ids)} [ ]"

    def on_live_table_columns_hidden(self, event: LiveTable.ColumnsHidden) -> None:
        event.stop()
        self._resubtitle()

    def action_sort_next(self) -> None:
        self.next_sort()
        self.show(*self._shown)

    def action_sort_reverse(self) -> None:
        self.next_sort(reverse_only=True)
        self.show(*self._shown)

    def _resubtitle(self) -> None:
        bits = [f"by {LABELS[self.sort]} {'↓' if self.descending else '↑'}"] if self.sort != "symbol" else []
        if self.polled_count:
            bits.append("◌ snapshots")
        note = hidden_note(self.hidden_columns)
        if note:
            bits.append(note)
        retitle(self, subtitle=Text(" · ".join(bits)))

    def on_data_table_row_selected(self, event: LiveTable.RowSelected) -> None:
        event.stop()
        key = event.row_key.value
        if key:
            self.post_message(SymbolChosen(key))

    @property
    def selected_symbol(self) -> str | None:
        return self.selected_key
