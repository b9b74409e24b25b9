"""The day-trade count in the status bar and the review's day-trade warnings."""

from __future__ import annotations

from alpaca.trading.requests import MarketOrderRequest
from textual.widgets import Input

from tui.ui.screens.ticket import ReviewScreen, TicketScreen
from tui.ui.widgets.statusbar import StatusBar

from .conftest import wait_for
from .ui_support import loaded, make_app, screen_text, until


def trade(sim, symbol: str, side: str, qty: int = 1) -> None:
    before = len(sim.call(lambda: sim.exchange.activities))
    sim.client.submit_order(MarketOrderRequest(symbol=symbol, qty=qty, side=side, time_in_force="day"))
    wait_for(lambda: len(sim.call(lambda: sim.exchange.activities)) > before)


def round_trips(sim, symbol: str, count: int) -> None:
    for _ in range(count):
        trade(sim, symbol, "buy")
        trade(sim, symbol, "sell")


async def review_of(pilot, side: str, symbol: str, qty: str) -> str:
    app = pilot.app
    await pilot.press("b" if side == "buy" else "s")
    await until(pilot, lambda: isinstance(app.screen, TicketScreen))
    await pilot.pause()
    app.screen.query_one("#symbol", Input).value = symbol
    app.screen.query_one("#qty", Input).value = qty
    await pilot.pause()
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(app.screen, ReviewScreen) and app.screen.checked)
    return screen_text(app)


async def test_without_a_server_count_day_trades_are_counted_from_fills_and_marked_local(make_sim):
    sim = make_sim()  # the current rule: the server sends no daytrade_count
    round_trips(sim, "AAPL", 2)
    trade(sim, "MSFT", "buy")
    app = make_app(sim)
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        bar = app.main.query_one(StatusBar)
        await until(pilot, lambda: "DT 2 local" in bar.line.plain, what="DT 2 local")
        text = await review_of(pilot, "sell", "MSFT", "1")
        assert "completes a day trade" in text
        assert "pattern day trader" not in text  # the current rule flags nobody


async def test_legacy_server_count_is_shown_and_3_warns_below_25k(make_sim):
    sim = make_sim(pdt="legacy", cash=10000)
    round_trips(sim, "AAPL", 3)
    trade(sim, "NVDA", "buy")
    app = make_app(sim)
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        bar = app.main.query_one(StatusBar)
        await until(pilot, lambda: "DT 3 !" in bar.line.plain, what="DT 3 warning")
        assert "local" not in bar.line.plain  # the server's own figure
        text = await review_of(pilot, "sell", "NVDA", "1")
        assert "completes a day trade" in text and "day trade #4" in text


async def test_a_new_day_trade_updates_the_count(make_sim):
    sim = make_sim()
    app = make_app(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        bar = app.main.query_one(StatusBar)
        assert "DT 0 local" in bar.line.plain
        round_trips(sim, "AMD", 1)
        await until(pilot, lambda: "DT 1 local" in bar.line.plain, what="DT 1 after a round trip")
