"""The four panes, the badge, the status bar and the fills view, against a real simulator."""

from __future__ import annotations

import re

from tui.config import Mode
from tui.ui.widgets.orders import OrdersPane
from tui.ui.widgets.positions import PositionsTable
from tui.ui.widgets.statusbar import StatusBar

from .conftest import wait_for
from .ui_support import QUIET, loaded, make_app, screen_text, until


async def test_every_pane_shows_the_sample_account(make_sim):
    sim = make_sim(portfolio="sample")
    app = make_app(sim, mode=Mode.DEMO)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        text = screen_text(app)
        assert " DEMO " in text.splitlines()[0]
        for title in ("Account", "Positions (6)", "Orders (3)", "Clock"):
            assert title in text
        assert "Equity" in text and "Buy power" in text and "Day P&L" in text
        assert "OPEN" in text and "closes in" in text
        for symbol in ("AAPL", "MSFT", "NVDA", "SPY", "AMD", "TSLA"):
            assert symbol in text
        assert "short" in text and "-15" in text  # the TSLA short, with its sign
        assert "Total" in text
        for symbol in ("AMZN", "GOOGL", "META"):
            assert symbol in text
        status = app.main.query_one(StatusBar).line.plain
        assert "stream" in status and "DT 0 local" in status and "req/min" in status


async def test_positions_row_carries_pnl_with_sign(make_sim):
    sim = make_sim()
    sim.set_price("AAPL", "100")
    sim.client.submit_order(_market("AAPL", 10, "buy"))
    wait_for(lambda: sim.client.get_all_positions())
    sim.set_price("AAPL", "110")
    app = make_app(sim)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await until(pilot, lambda: "+99.90" in screen_text(app) or "+100.00" in screen_text(app),
                    what="a positive unrealized P&L with its + sign")
        table = app.main.query_one(PositionsTable)
        assert table.border_title == "Positions (1)"


async def test_badge_says_paper_or_live(make_sim):
    sim = make_sim()
    for mode, word in ((Mode.PAPER, " PAPER "), (Mode.LIVE, " LIVE ")):
        app = make_app(sim, mode=mode, stream=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: app.refresher.schedule.fetched_at("account") is not None)
            assert word in screen_text(app).splitlines()[0]
            if mode is Mode.LIVE:
                assert "REAL MONEY" in screen_text(app)


async def test_f_cycles_open_closed_all_and_recent_fills(make_sim):
    sim = make_sim()
    sim.client.submit_order(_market("AAPL", 1, "buy"))
    sim.client.submit_order(_market("MSFT", 2, "buy"))
    sim.client.submit_order(_limit("NVDA", 1, "buy", "1.00"))  # rests: open
    app = make_app(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        pane = app.main.query_one(OrdersPane)
        assert pane.border_title == "Orders (1)"
        await pilot.press("3", "f")  # closed: the two filled, newest first, with their dates
        await until(pilot, lambda: "closed (2)" in pane.border_title, what="the closed orders")
        text = screen_text(app)
        closed = text[text.index("closed (2)"):]
        assert closed.index("MSFT") < closed.index("AAPL") and "NVDA" not in closed
        assert re.search(r"\d\d-\d\d \d\d:\d\d +MSFT +BUY +mkt +2 +2 .* filled", closed), closed
        await pilot.press("f")  # all: the resting one too
        await until(pilot, lambda: "all (3)" in pane.border_title, what="all orders")
        await pilot.press("f")
        assert pane.showing_fills and "Recent fills (2)" in pane.border_title
        fills = screen_text(app)[screen_text(app).index("Recent fills"):]
        assert fills.index("MSFT") < fills.index("AAPL")  # newest first
        await pilot.press("f")
        assert pane.view == "open" and pane.border_title == "Orders (1)"


async def test_a_fill_from_another_client_reaches_the_screen_from_the_stream(make_sim):
    from .ui_support import QUIET

    sim = make_sim()
    app = make_app(sim, intervals=QUIET)  # no polling: only the stream can bring the order in
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        sim.client.submit_order(_limit("NVDA", 3, "buy", "1.00"))
        await until(pilot, lambda: "Orders (1)" in screen_text(app), timeout=2, what="the new order's row")
        sim.client.submit_order(_market("AMD", 4, "buy"))
        await until(pilot, lambda: "Positions (1)" in screen_text(app), timeout=2, what="the fill's position")


def _market(symbol, qty, side):
    from alpaca.trading.requests import MarketOrderRequest

    return MarketOrderRequest(symbol=symbol, qty=qty, side=side, time_in_force="day")


def _limit(symbol, qty, side, price):
    from alpaca.trading.requests import LimitOrderRequest

    return LimitOrderRequest(symbol=symbol, qty=qty, side=side, time_in_force="gtc", limit_price=float(price))


async def test_account_and_positions_come_from_one_moment(make_sim):
    """Equity = cash + the positions' market values, to the cent, after any refresh of the
    positions: the account is read with them, not on its own timer."""
    from decimal import Decimal

    sim = make_sim(portfolio="sample")
    app = make_app(sim, intervals=QUIET)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        nvda = next(p for p in app.state.positions if p.symbol == "NVDA")
        sim.set_price("NVDA", Decimal(nvda.current_price) * 2)
        app.refresher.ask("positions")  # what the positions timer does
        await until(pilot, lambda: next(p for p in app.state.positions if p.symbol == "NVDA").current_price
                    != nvda.current_price, what="the new NVDA price")
        account = app.state.account
        total = sum(Decimal(p.market_value) for p in app.state.positions)
        assert Decimal(account.equity) == Decimal(account.cash) + total
