"""Helpers for the market-data UI tests (test_ui_market, test_ui_watchlist, test_ui_detail):
the app against a real simulator with the sample portfolio, quiet REST refreshes, a short
data-stream backoff, and readers for the panes' cells."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from decimal import Decimal
from typing import Any

from tui.config import Intervals
from tui.ui.app import AlpacaApp
from tui.ui.widgets.positions import TOTAL_KEY, PositionsTable
from tui.ui.widgets.statusbar import StatusBar
from tui.ui.widgets.watchlist import WatchlistTable

from .ui_support import FAST_BACKOFF, QUIET, config_for, loaded, until

# Nothing refreshes by itself during a test (REST), except snapshots when `quotes` is given:
# what moves on screen came from the data stream (or those snapshots).
MARKET_QUIET = replace(QUIET, positions_live=3600, orders_live=3600, quotes=3600, watchlists=3600)
DATA_BACKOFF = (0.05, 0.3)  # the data stream's reconnect pauses (the app's own: 1 s .. 30 s)
SAMPLE_WATCHLIST = ("AAPL", "MSFT", "NVDA", "AMZN", "GOOGL", "META", "SPY", "QQQ")
SAMPLE_PLAN = 10  # positions (6), open orders (3) and the watchlist (+QQQ)


def market_app(sim: Any, *, limit: int | None = None, quotes: float | None = None,
               intervals: Intervals = MARKET_QUIET, **kwargs: Any) -> AlpacaApp:
    """The app against `sim`; limit: the plan's symbol limit (Config.data_symbol_limit);
    quotes: seconds between snapshot reads of what the stream does not carry."""
    config = config_for(sim.url, intervals=intervals if quotes is None else replace(intervals, quotes=quotes))
    if limit is not None:
        config = replace(config, data_symbol_limit=limit)
    kwargs.setdefault("backoff", FAST_BACKOFF)
    kwargs.setdefault("data_backoff", DATA_BACKOFF)
    return AlpacaApp(config, now=sim.clock.now if sim.clock is not None else None, **kwargs)


def cells(table: Any, key: str) -> list[str]:
    return [str(cell) for cell in table.get_row(key)]


def watch_cells(app: AlpacaApp, symbol: str) -> list[str]:
    return cells(app.main.query_one(WatchlistTable), symbol)


def position_cells(app: AlpacaApp, symbol: str) -> list[str]:
    return cells(app.main.query_one(PositionsTable), symbol)


def total_cells(app: AlpacaApp) -> list[str]:
    return cells(app.main.query_one(PositionsTable), TOTAL_KEY)


def shown_or_none(fn: Any) -> Any:
    """fn(), or None while the row it reads is not there yet."""
    try:
        return fn()
    except Exception:
        return None


def status(app: AlpacaApp) -> str:
    return app.main.query_one(StatusBar).line.plain


def fmt(value: Decimal, signed: bool = False) -> str:
    """A money figure as the panes write it: 12,345.60, signed when asked (+1.00, -1.00)."""
    text = f"{abs(value):,.2f}"
    if value < 0:
        return "-" + text
    return ("+" if signed and value > 0 else "") + text


async def watchlist_loaded(pilot: Any, count: int = len(SAMPLE_WATCHLIST)) -> None:
    app = pilot.app
    await until(pilot, lambda: app.main.query_one(WatchlistTable).row_count == count
                and app.main.query_one(WatchlistTable).loaded, what=f"the watchlist's {count} rows")


def priced_by_the_feed(app: Any) -> list[str]:
    """The symbols the feed prices: all but positions the stream does not carry and no other
    pane shows (the positions' own refresh prices those)."""
    market = app.market
    elsewhere = set(market.watchlist_symbols()) | set(market.focus.values()) \
        | {str(o.symbol) for o in app.state.orders.values()} | set(market.plan.streamed)
    return [s for s in market.plan.wanted if s in elsewhere]


async def live(pilot: Any, streamed: int = SAMPLE_PLAN, watched: int = len(SAMPLE_WATCHLIST)) -> None:
    """Every pane loaded, the data stream up and carrying `streamed` symbols, the watchlist shown."""
    app = pilot.app
    await loaded(pilot)
    await until(pilot, lambda: app.market.streaming and len(app.market.plan.streamed) == streamed,
                what=f"{streamed} symbols streamed")
    await watchlist_loaded(pilot, watched)
    await until(pilot, lambda: all(app.market.book.get(s) is not None for s in priced_by_the_feed(app)),
                what="every symbol priced")
    await pilot.pause(0.05)


async def run_blocking(fn: Any, *args: Any) -> Any:
    """A blocking call (requests, the simulator) off the app's loop, so the app keeps running."""
    return await asyncio.get_running_loop().run_in_executor(None, fn, *args)
