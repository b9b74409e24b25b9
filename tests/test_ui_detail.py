"""The symbol detail screen through the real app against the real simulator: opened from a
position row, a watchlist row and the lookup (by part of a company's name); the chart's
spans and style; the ticket from it; the quote lines and the chart following pushed prices
and streamed minute bars; SVG snapshots at 80x24 and 120x40 (frozen clock, still prices)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from textual.widgets import Input

from tui.config import Mode
from tui.ui.messages import SymbolChosen
from tui.ui.screens.detail import DetailScreen
from tui.ui.screens.lookup import LookupScreen
from tui.ui.screens.main import MainScreen
from tui.ui.screens.ticket import TicketScreen
from tui.ui.widgets.chart import PriceChart
from tui.ui.widgets.positions import PositionsTable
from tui.ui.widgets.watchlist import WatchlistTable

from .market_support import SAMPLE_WATCHLIST, live, loaded, watchlist_loaded, market_app, run_blocking, watch_cells
from .test_ui_market import hold_the_data_stream
from .test_ui_watchlist import server_watchlists
from .ui_support import FROZEN_AT, QUIET, make_app, screen_text, until


def open_detail(app, symbol: str) -> None:
    """As choosing a row does: the app opens the detail on its own loop."""
    app.post_message(SymbolChosen(symbol))


def quote_text(app) -> str:
    return str(app.screen.query_one("#detail-quote").render())


def holding_text(app) -> str:
    return str(app.screen.query_one("#detail-holding").render())


async def detail_shown(pilot, symbol: str) -> DetailScreen:
    """The detail of `symbol`, its quote and its chart's bars on screen."""
    app = pilot.app
    await until(pilot, lambda: isinstance(app.screen, DetailScreen) and app.screen.symbol == symbol,
                what=f"{symbol}'s detail")
    screen = app.screen
    chart = screen.query_one(PriceChart)
    await until(pilot, lambda: chart.bars and not screen.loading, what="the chart's bars")
    await until(pilot, lambda: "no quote yet" not in quote_text(app), what="the quote")
    return screen


async def back_to_main(pilot) -> None:
    app = pilot.app
    await pilot.press("escape")
    await until(pilot, lambda: isinstance(app.screen, MainScreen), what="the main screen")


async def test_enter_on_a_position_row_opens_its_detail_and_esc_goes_back(make_sim):
    sim = make_sim(portfolio="sample")
    app = market_app(sim)
    async with app.run_test(size=(120, 40)) as pilot:
        await live(pilot)
        positions = app.main.query_one(PositionsTable)
        positions.focus()
        await pilot.press("j")  # AAPL -> AMD
        assert positions.selected_symbol == "AMD"
        await pilot.press("enter")
        await detail_shown(pilot, "AMD")
        text = screen_text(app)
        assert text.splitlines()[0].startswith(" AMD ")
        assert "Position long 40 @ 193.48 · value 8,592.80 · P&L +853.60 +11.03%" in text
        assert "Orders none open" in text
        assert "AMD" in app.market.focus.values()
        await back_to_main(pilot)
        assert "detail" not in app.market.focus
        assert positions.has_focus and positions.selected_symbol == "AMD"


async def test_enter_on_a_watchlist_row_opens_its_detail(make_sim):
    sim = make_sim(portfolio="sample")
    app = market_app(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        await live(pilot)
        await pilot.press("w", "j", "j")  # AAPL, AMZN, GOOGL
        assert app.main.query_one(WatchlistTable).selected_symbol == "GOOGL"
        await pilot.press("enter")
        await detail_shown(pilot, "GOOGL")
        holding = holding_text(app)
        assert "Position none" in holding
        assert "BUY" in holding and "15" in holding and "285.51" in holding  # its resting order
        await back_to_main(pilot)
        assert app.main.has_class("-watching")  # the narrow screen still shows the watchlist


async def test_lookup_by_part_of_the_company_name_opens_it(make_sim):
    sim = make_sim(portfolio="sample")
    app = market_app(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        await live(pilot)
        await pilot.press("slash", *"nvid")
        await until(pilot, lambda: isinstance(app.screen, LookupScreen) and app.screen.found, what="matches")
        assert app.screen.found[0].symbol == "NVDA"
        assert "NVIDIA Corporation" in screen_text(app)
        await pilot.press("enter")
        await detail_shown(pilot, "NVDA")


async def test_spans_and_style_change_the_chart(make_sim):
    sim = make_sim(portfolio="sample")
    app = market_app(sim)
    async with app.run_test(size=(120, 40)) as pilot:
        await live(pilot)
        open_detail(app, "NVDA")
        screen = await detail_shown(pilot, "NVDA")
        chart = screen.query_one(PriceChart)
        assert "NVDA · 1D · candles" in screen_text(app)
        seen = {}
        for key, span, timeframe in (("2", "5D", "5Min"), ("3", "1M", "1Hour"), ("4", "6M", "1Day"),
                                     ("5", "1Y", "1Day"), ("1", "1D", "1Min")):
            await pilot.press(key)
            await until(pilot, lambda: screen.span == span and not screen.loading and screen.timeframe == timeframe
                        and chart.bars, what=f"the {span} chart")
            await pilot.pause(0.05)
            text = screen_text(app)
            assert f"NVDA · {span} · candles" in text
            assert f"[{key}:{span}]" in text
            seen[span] = (chart.bars[0].time, len(chart.bars))
        assert len(set(seen.values())) == 5, seen  # each span its own bars
        await pilot.press("c")
        await until(pilot, lambda: "NVDA · 1D · line" in screen_text(app), what="the line")
        assert chart.chart_style == "line"
        await pilot.press("c")
        await until(pilot, lambda: "NVDA · 1D · candles" in screen_text(app), what="candles again")
        await back_to_main(pilot)


async def test_b_and_s_on_the_detail_open_the_ticket_for_it(make_sim):
    sim = make_sim(portfolio="sample")
    app = market_app(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        await live(pilot)
        open_detail(app, "NVDA")
        screen = await detail_shown(pilot, "NVDA")
        await pilot.press("b")
        await until(pilot, lambda: isinstance(app.screen, TicketScreen), what="the ticket")
        ticket = app.screen
        await until(pilot, lambda: ticket.asset_symbol == "NVDA" and ticket.quote is not None, what="NVDA in it")
        assert ticket.query_one("#symbol", Input).value == "NVDA"
        assert "BUY" in screen_text(app).upper()
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen, what="back to the detail")
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, TicketScreen), what="the sell ticket")
        assert app.screen.query_one("#symbol", Input).value == "NVDA"
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen, what="back to the detail")
        await back_to_main(pilot)


async def test_a_on_the_detail_adds_it_to_the_watchlist(make_sim):
    sim = make_sim(portfolio="sample")
    app = market_app(sim)
    async with app.run_test(size=(120, 40)) as pilot:
        await live(pilot)
        open_detail(app, "TSLA")
        await detail_shown(pilot, "TSLA")
        await pilot.press("a")
        await until(pilot, lambda: "TSLA" in app.market.watchlist_symbols(), what="TSLA watched")
        assert (await run_blocking(server_watchlists, sim))["Primary"] == [*SAMPLE_WATCHLIST, "TSLA"]
        await back_to_main(pilot)
        await until(pilot, lambda: watch_cells(app, "TSLA")[1] not in ("—", ""), what="its row, priced")


async def test_pushed_prices_and_streamed_minutes_move_the_detail(make_sim):
    sim = make_sim(portfolio="sample", start_at=FROZEN_AT)
    app = market_app(sim)
    async with app.run_test(size=(120, 40)) as pilot:
        await live(pilot)
        open_detail(app, "NVDA")
        screen = await detail_shown(pilot, "NVDA")
        chart = screen.query_one(PriceChart)
        bars_before = len(chart.bars)
        assert "● live" in quote_text(app)
        await run_blocking(sim.set_price, "NVDA", "200.00")
        await until(pilot, lambda: "Last 200.00" in quote_text(app), what="the pushed price in the quote lines")
        lines = quote_text(app).splitlines()
        assert lines[1].startswith("200.00  +20.00 +11.11%")  # prev close 180.00
        assert "High 200.00" in lines[3]
        await until(pilot, lambda: "value 20,000.00 · P&L +1,363.00" in holding_text(app),
                    what="the position at the new price")
        # The minute ends (the simulator's clock): its bar comes on the stream, into the chart.
        await run_blocking(sim.advance, 61)
        await until(pilot, lambda: chart.bars[-1].close == Decimal("200.00"), what="the streamed minute bar")
        assert len(chart.bars) == bars_before + 1
        assert screen.bars[-1].close == Decimal("200.00")


async def test_a_price_seen_only_in_snapshots_says_so(make_sim):
    sim = make_sim(portfolio="sample")
    session, other = await hold_the_data_stream(sim.port)  # the app's data stream refused (406)
    try:
        app = market_app(sim, quotes=0.3)
        async with app.run_test(size=(120, 40)) as pilot:
            await loaded(pilot)
            await until(pilot, lambda: "406" in app.market.detail, what="the 406 refusal")
            open_detail(app, "NVDA")
            await detail_shown(pilot, "NVDA")
            assert "◌ snapshot" in quote_text(app)
            await run_blocking(sim.set_price, "NVDA", "200.00")
            await until(pilot, lambda: "Last 200.00" in quote_text(app), what="the snapshot's price")
            await until(pilot, lambda: "value 20,000.00 · P&L +1,363.00" in holding_text(app), what="its position")
    finally:
        await other.close()
        await session.close()


# ---- SVG snapshots -------------------------------------------------------------------------

def detail_app(make_sim: Any):
    sim = make_sim(start_at=FROZEN_AT, portfolio="sample", seed=1)
    return make_app(sim, mode=Mode.DEMO, intervals=QUIET)


async def nvda_detail(pilot: Any) -> None:
    from .test_snapshots import pin_status

    app = pilot.app
    await live(pilot)
    pin_status(app)
    await pilot.press("slash", *"NVDA", "enter")  # by the lookup: the asset list names it
    await detail_shown(pilot, "NVDA")
    await until(pilot, lambda: "● live" in quote_text(app) and "NVIDIA" in quote_text(app), what="live, named")
    await pilot.pause()


def test_detail_80x24(make_sim, snap_compare):
    assert snap_compare(detail_app(make_sim), terminal_size=(80, 24), run_before=nvda_detail)


def test_detail_120x40(make_sim, snap_compare):
    assert snap_compare(detail_app(make_sim), terminal_size=(120, 40), run_before=nvda_detail)


async def find_from_the_palette(pilot, symbol: str) -> None:
    """ctrl+p, "Find a symbol", then the symbol and Enter in the lookup."""
    app = pilot.app
    await pilot.press("ctrl+p")
    await until(pilot, lambda: type(app.screen).__name__ == "CommandPalette", what="the palette")
    await pilot.press(*"Find a symbol")
    await pilot.pause(0.3)
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(app.screen, LookupScreen), what="the lookup from the palette")
    await pilot.press(*symbol, "enter")


async def test_a_detail_opened_from_another_keeps_its_symbol_streamed(make_sim):
    """The palette's "Find a symbol" on a detail opens another in its place: the new symbol stays in the plan (the old
    screen leaving must not take the new one's place away) and its prices keep moving."""
    sim = make_sim(portfolio="sample")
    app = market_app(sim)
    async with app.run_test(size=(120, 40)) as pilot:
        await live(pilot)
        await pilot.press("slash", *"NVDA", "enter")
        await detail_shown(pilot, "NVDA")
        await find_from_the_palette(pilot, "INTC")
        await detail_shown(pilot, "INTC")
        await pilot.pause(0.2)
        assert app.market.focus.get("detail") == "INTC"
        await until(pilot, lambda: "INTC" in app.market.plan.streamed, what="INTC streamed")
        await run_blocking(sim.set_price, "INTC", "55.55")
        await until(pilot, lambda: "Last 55.55" in quote_text(app), what="INTC's pushed price")
        await back_to_main(pilot)
        assert "detail" not in app.market.focus


async def test_the_same_symbol_opened_again_from_its_detail_keeps_moving(make_sim):
    sim = make_sim(portfolio="sample")
    app = market_app(sim)
    async with app.run_test(size=(120, 40)) as pilot:
        await live(pilot)
        await pilot.press("slash", *"NVDA", "enter")
        first = await detail_shown(pilot, "NVDA")
        app.call_later(app.run_action, "lookup")  # what the palette's "Find a symbol" runs
        await until(pilot, lambda: isinstance(app.screen, LookupScreen), what="the lookup")
        await pilot.press(*"NVDA", "enter")
        await until(pilot, lambda: isinstance(app.screen, DetailScreen) and app.screen is not first,
                    what="a new NVDA detail")
        await detail_shown(pilot, "NVDA")
        await pilot.pause(0.2)
        await run_blocking(sim.set_price, "NVDA", "200.00")
        await until(pilot, lambda: "Last 200.00" in quote_text(app), what="the pushed price on the new screen")
        assert app.market.focus.get("detail") == "NVDA"


async def test_the_symbol_on_screen_is_streamed_first_within_a_small_limit(make_sim):
    """Limit 3: the detail's symbol takes the first streamed place (a position goes to
    snapshots meanwhile) and gets it back when the detail closes."""
    sim = make_sim(portfolio="sample")
    sim.background.simulator.datastream.symbol_limit = 3
    app = market_app(sim, limit=3, quotes=0.3)
    async with app.run_test(size=(120, 40)) as pilot:
        await live(pilot, streamed=3)
        assert app.market.plan.streamed == ("AAPL", "AMD", "MSFT")
        open_detail(app, "INTC")
        await detail_shown(pilot, "INTC")
        await until(pilot, lambda: app.market.plan.streamed == ("INTC", "AAPL", "AMD"), what="INTC streamed first")
        await until(pilot, lambda: "● live" in quote_text(app), what="the detail says live")
        await run_blocking(sim.set_price, "INTC", "55.55")
        await until(pilot, lambda: "Last 55.55" in quote_text(app), what="INTC's pushed price")
        await back_to_main(pilot)
        await until(pilot, lambda: app.market.plan.streamed == ("AAPL", "AMD", "MSFT"), what="MSFT back")
        assert "INTC" not in app.market.plan.wanted
