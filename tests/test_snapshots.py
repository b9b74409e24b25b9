"""SVG snapshots of the main screen, the order ticket and its review (pytest-textual-snapshot).

Each test runs the app against a real simulator with the sample portfolio, a frozen clock
(FROZEN_AT) and static prices, and no periodic refresh (QUIET), so the panes show the same
figures every run. Two things on the status bar still depend on timing, so they are pinned
(see `pin_status`): the data age and the request count. The ticket's inputs do not blink.

After a deliberate UI change: `pytest tests/test_snapshots.py --snapshot-update`, then look
at the SVGs in tests/__snapshots__/test_snapshots/ before committing them.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from textual.widgets import Input

from tui.config import Mode
from tui.ui.screens.ticket import ReviewScreen, TicketScreen
from tui.ui.widgets.statusbar import Status, StatusBar

from .ui_support import FROZEN_AT, QUIET, loaded, make_app, until

# What the status bar shows in every snapshot: how many requests the app made in the last
# minute depends on how start-up raced the stream, and the data age on how long the test took.
PINNED_REQUESTS_PER_MINUTE = 23
PINNED_DATA_AGE = 0.0
PINNED_STREAMED = 10  # the data stream's symbols: the sample's positions, orders and watchlist

# The order typed into the ticket: a symbol held in the sample portfolio, 10 shares.
SYMBOL, QTY = "MSFT", "10"


def demo_app(make_sim: Any):
    sim = make_sim(start_at=FROZEN_AT, portfolio="sample", seed=1)
    return make_app(sim, mode=Mode.DEMO, intervals=QUIET)


def pin_status(app: Any) -> None:
    """Show a fixed data age and request count, on every screen's status bar; everything
    else on the bar is live."""
    live = app.status_now

    def pinned() -> Status:
        return replace(live(), data_age=PINNED_DATA_AGE, requests_per_minute=PINNED_REQUESTS_PER_MINUTE,
                       prices="listening", streamed=PINNED_STREAMED, limit=30, polled=0)

    app.status_now = pinned
    app.update_status()  # re-render whatever it already shows with the pinned values


async def main_screen(pilot: Any) -> None:
    await until(pilot, lambda: pilot.app.main.query(StatusBar), what="the status bar mounted")
    pin_status(pilot.app)
    await loaded(pilot)
    await until(pilot, lambda: watchlist_shown(pilot.app), what="the watchlist with prices and trends")
    await pilot.pause()


def watchlist_shown(app: Any) -> bool:
    """Every watchlist symbol has its price and its day's trend (one read brings them)."""
    from tui.ui.widgets.watchlist import WatchlistTable

    market = app.market
    symbols = market.watchlist_symbols()
    shown = app.main.query_one(WatchlistTable)
    return bool(symbols) and market.streaming and set(symbols) <= set(market.plan.streamed) \
        and all(market.book.get(s) is not None and market.book.get(s).minutes for s in symbols) \
        and shown.row_count == len(symbols) and all(str(shown.get_row(s)[1]) != "—" for s in symbols) \
        and not any("◌" in str(shown.get_row(s)[0]) for s in symbols)


async def ticket_screen(pilot: Any) -> None:
    """`b`, a symbol, Tab, a quantity; wait for the symbol's quote line."""
    app = pilot.app
    await main_screen(pilot)
    await pilot.press("b")
    await until(pilot, lambda: isinstance(app.screen, TicketScreen), what="the ticket")
    ticket = app.screen
    for field in ticket.query(Input):
        field.cursor_blink = False
    await pilot.press(*SYMBOL, "tab", *QTY)
    await until(pilot, lambda: ticket.asset_symbol == SYMBOL and ticket.quote is not None,
                what=f"{SYMBOL}'s quote in the ticket")
    await pilot.pause()


async def review_screen(pilot: Any) -> None:
    """The ticket, then Enter; wait until the review has checked the symbol."""
    app = pilot.app
    await ticket_screen(pilot)
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(app.screen, ReviewScreen) and app.screen.checked,
                what="a checked review")
    await pilot.pause()


def test_main_screen_80x24(make_sim, snap_compare):
    assert snap_compare(demo_app(make_sim), terminal_size=(80, 24), run_before=main_screen)


def test_main_screen_120x40(make_sim, snap_compare):
    assert snap_compare(demo_app(make_sim), terminal_size=(120, 40), run_before=main_screen)


def test_order_ticket_80x24(make_sim, snap_compare):
    assert snap_compare(demo_app(make_sim), terminal_size=(80, 24), run_before=ticket_screen)


def test_review_80x24(make_sim, snap_compare):
    assert snap_compare(demo_app(make_sim), terminal_size=(80, 24), run_before=review_screen)


def test_review_120x40(make_sim, snap_compare):
    assert snap_compare(demo_app(make_sim), terminal_size=(120, 40), run_before=review_screen)
