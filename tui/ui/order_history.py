"""The Orders pane's closed and all views: Alpaca's order history, read a page at a time as
the user scrolls, with a symbol and date filter.

Alpaca answers 500 orders a request, newest first; broker/history.py's OrderPages moves
`until` past each page. The pager lives here between pages and is advanced on a worker
thread, one page at a time (never two at once); its answers come back as HistoryPage
messages. A new view or filter starts a new generation, and answers of an older one are
dropped.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Iterator

from ..broker.errors import describe
from ..broker.history import ORDERS_PAGE, OrderPages
from ..text import is_symbol
from .date_filter import DateWord, NewYorkDays
from .messages import HistoryPage

if TYPE_CHECKING:
    from .app import AlpacaApp

MORE_WITHIN = 40  # rows from the end: the next page is asked for when the cursor gets this close
MAX_FILTER_SYMBOLS = 20


@dataclass(frozen=True)
class HistoryFilter(NewYorkDays):
    symbols: tuple[str, ...] = ()
    start: date | None = None  # New York dates, inclusive
    end: date | None = None

    def words(self) -> str:
        """The filter as the title says it: `AAPL MSFT · 2026-11-01..2026-11-30`."""
        return " · ".join(bit for bit in (" ".join(self.symbols), self.dates()) if bit)


def parse_filter(text: str) -> HistoryFilter | str:
    """`AAPL MSFT 2026-11-01..2026-11-30`, `TSLA`, `2026-12-01..` or `2026-12-01` (one day);
    empty: no filter. A message saying what is wrong otherwise."""
    symbols: list[str] = []
    dates = DateWord()
    for word in text.split():
        upper = word.upper()
        taken = dates.take(word)
        if isinstance(taken, str):
            return taken
        if taken:
            continue
        if is_symbol(upper):
            if upper not in symbols:
                symbols.append(upper)
        else:
            return f"{word!r} is neither a symbol nor a date (YYYY-MM-DD, or a range like 2026-11-01..2026-11-30)"
    if len(symbols) > MAX_FILTER_SYMBOLS:
        return f"{MAX_FILTER_SYMBOLS} symbols at most"
    return HistoryFilter(tuple(symbols), dates.start, dates.end)


class OrderHistory:
    """Pages of closed (or all) orders for the Orders pane."""

    def __init__(self, app: AlpacaApp) -> None:
        self.app = app
        self.view: str | None = None  # "closed" | "all" while one is shown
        self.filter = HistoryFilter()
        self.orders: list[Any] = []
        self.more = False  # another page may follow
        self.loading = False
        self.problem: str | None = None
        self.generation = 0
        # The pager of the current generation, made on the first read (a worker: making
        # the broker imports alpaca-py). A list, so that an older worker keeps its own.
        self._pager: list[Iterator[Any]] = []

    def start(self, view: str, history_filter: HistoryFilter | None = None) -> None:
        """Show `view` from its newest order (again, when the filter changes)."""
        if history_filter is not None:
            self.filter = history_filter
        self.view, self.generation = view, self.generation + 1
        self.orders, self.more, self.loading, self.problem = [], True, False, None
        self._pager = []
        self.load_more()

    def stop(self) -> None:
        """The pane went back to open orders or fills: forget the pages (memory)."""
        self.view, self.generation = None, self.generation + 1
        self.orders, self._pager, self.more, self.loading = [], [], False, False

    def near_end(self, row: int, rows: int) -> None:
        """The cursor is at `row` of `rows`: read on before it gets to the end."""
        if rows - row <= MORE_WITHIN:
            self.load_more()

    def load_more(self) -> None:
        if self.view is None or self.loading or not self.more:
            return
        self.loading = True
        generation, view, history_filter, pager = self.generation, self.view, self.filter, self._pager

        def read() -> None:
            try:
                if not pager:
                    pager.append(iter(OrderPages(self.app.broker, status=view, after=history_filter.after,
                                                 until=history_filter.until,
                                                 symbols=list(history_filter.symbols) or None)))
                page = list(itertools.islice(pager[0], ORDERS_PAGE))
            except Exception as err:
                self.app.post_message(HistoryPage(generation, [], False, describe(err).message))
                return
            self.app.post_message(HistoryPage(generation, page, len(page) == ORDERS_PAGE, None))

        self.app.run_worker(read, thread=True, group="order-history", name="order history", exit_on_error=False)

    def answered(self, page: HistoryPage) -> bool:
        """Apply a page; False when it belongs to an older view or filter."""
        if page.generation != self.generation:
            return False
        self.loading = False
        self.orders.extend(page.orders)
        self.more = page.more
        self.problem = page.problem
        return True
