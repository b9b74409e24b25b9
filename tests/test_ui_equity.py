"""The equity chart (portfolio history) through the real app against the real simulator:
opened by Enter on the Account pane, by `p` and from the palette; each period key reads that
period at its timeframe and the screen says the answer's first and last equity, the change
and the P&L; null points are skipped (a fake server's answer); a failed read says so in
words and the next read works; SVG snapshots at 80x24 and 120x40 (frozen clock, still prices)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

from tui.broker.client import Broker
from tui.config import Mode
from tui.ui.format import money, signed_money, signed_pct
from tui.ui.screens.equity import PERIODS, EquityScreen, summarize
from tui.ui.screens.main import MainScreen
from textual.app import App, ComposeResult

from tui.ui.widgets.chart import BASE_MARK, ValueChart, value_bars

from .hostile import hostile  # noqa: F401  (the fixture)
from .market_support import run_blocking
from .ui_support import FROZEN_AT, QUIET, config_for, loaded, make_app, screen_text, until

HISTORY = "/v2/account/portfolio/history"


def sample_app(make_sim: Any, **kwargs: Any):
    sim = make_sim(start_at=FROZEN_AT, portfolio="sample", seed=1)
    return sim, make_app(sim, mode=Mode.DEMO, intervals=QUIET, **kwargs)


async def equity_shown(pilot, period: str) -> EquityScreen:
    """The equity screen with `period` read (its answer or its problem on screen)."""
    app = pilot.app
    await until(pilot, lambda: isinstance(app.screen, EquityScreen) and app.screen.period == period
                and not app.screen.loading and (app.screen.summary or app.screen.problem),
                what=f"the equity screen, {period} read")
    await pilot.pause()
    return app.screen


def expected_lines(history) -> tuple[str, str, str]:
    equity = [e for e in history.equity if e is not None]
    first, last = equity[0], equity[-1]
    change = last - first
    pnl = [p for p in history.profit_loss if p is not None][-1]
    pct = [p for p in history.profit_loss_pct if p is not None][-1]
    return (f"Start {money(first)}   End {money(last)}   Change {signed_money(change)} {signed_pct(change / first)}",
            f"High {money(max(equity))}   Low {money(min(equity))}",
            f"P&L {signed_money(pnl)} {signed_pct(pct)}")


async def test_enter_on_the_account_pane_opens_it_and_esc_goes_back(make_sim):
    sim, app = sample_app(make_sim)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.press("1")
        assert app.main.query_one("#account").has_focus
        await pilot.press("enter")
        screen = await equity_shown(pilot, "1M")
        text = screen_text(app)
        assert "Equity · 1M · 1D" in text
        history = await run_blocking(lambda: Broker(config_for(sim.url)).portfolio_history("1M", "1D"))
        for line in expected_lines(history):
            assert line in text
        assert f"base {money(history.base_value)}" in text
        assert len(screen.query_one(ValueChart).bars) == len(history.timestamp)
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, MainScreen), what="the main screen")
        assert app.main.query_one("#account").has_focus


async def test_p_and_the_palette_open_it(make_sim):
    _sim, app = sample_app(make_sim)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("p")
        await equity_shown(pilot, "1M")
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, MainScreen), what="the main screen")
        await pilot.press("ctrl+p")
        await until(pilot, lambda: type(app.screen).__name__ == "CommandPalette", what="the palette")
        await pilot.press(*"Equity chart")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await equity_shown(pilot, "1M")


async def test_each_period_key_reads_that_period(make_sim, hostile):
    sim = make_sim(start_at=FROZEN_AT, portfolio="sample", seed=1)
    fake = hostile(upstream=sim.url)  # passes everything on, and records the queries
    app = make_app(sim, url=fake.url, intervals=QUIET, stream=False, market_data=False)
    broker = Broker(config_for(sim.url))
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.press("p")
        await equity_shown(pilot, "1M")
        for key, period in (("1", "1D"), ("2", "1W"), ("4", "3M"), ("5", "1A"), ("3", "1M")):
            await pilot.press(key)
            screen = await equity_shown(pilot, period)
            timeframe = PERIODS[period]
            query = parse_qs([r for r in fake.requests if r.path == HISTORY][-1].query)
            assert query["period"] == [period] and query["timeframe"] == [timeframe]
            history = await run_blocking(broker.portfolio_history, period, timeframe)
            text = screen_text(app)
            assert f"Equity · {period} · {timeframe}" in text
            for line in expected_lines(history):
                assert line in text, (period, line, text)
            assert screen.summary == summarize(history)


async def test_null_points_are_skipped_not_drawn_as_zero(make_sim, hostile):
    sim = make_sim(portfolio="sample")
    fake = hostile(upstream=sim.url)
    day = 86400
    fake.answer("GET", HISTORY, json={
        "timestamp": [1773100800 + i * day for i in range(7)],
        "equity": [None, None, 1000, 1100.5, None, 1050, None],
        "profit_loss": [None, None, 0, 100.5, None, 50, None],
        "profit_loss_pct": [None, None, 0, 0.1005, None, 0.05, None],
        "base_value": 1000, "timeframe": "1D"})
    app = make_app(sim, url=fake.url, intervals=QUIET, stream=False, market_data=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.press("p")
        screen = await equity_shown(pilot, "1M")
        chart = screen.query_one(ValueChart)
        assert [b.close for b in chart.bars] == [Decimal(1000), Decimal("1100.5"), Decimal(1050)]
        text = screen_text(app)
        assert "Start 1,000.00   End 1,050.00   Change +50.00 +5.00%" in text
        assert "High 1,100.50   Low 1,000.00   Base 1,000.00   P&L +50.00 +5.00%" in text
        assert "H 1,100.50  L 1,000.00" in text  # the chart's own range: no zero in it
        assert BASE_MARK in text


async def test_a_failed_read_says_so_and_the_next_read_works(make_sim, hostile):
    sim = make_sim(portfolio="sample")
    fake = hostile(upstream=sim.url)
    fake.answer("GET", HISTORY, status=500, body=b"<html>oops</html>")
    app = make_app(sim, url=fake.url, intervals=QUIET, stream=False, market_data=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.press("p")
        screen = await equity_shown(pilot, "1M")
        assert screen.problem.startswith("cannot read the portfolio history")
        assert "cannot read the portfolio history" in screen_text(app)
        assert screen.query_one(ValueChart).bars == ()
        fake.forget("GET", HISTORY)
        await pilot.press("2")
        await equity_shown(pilot, "1W")
        assert app.screen.summary is not None and not app.screen.problem
        assert "Equity · 1W · 1H" in screen_text(app)
        assert app.is_running


# ---- the chart on its own ---------------------------------------------------------------------

def test_value_bars_skip_nulls_and_what_is_not_a_number():
    times = [datetime(2026, 11, 2, tzinfo=UTC) + timedelta(days=i) for i in range(5)]
    bars = value_bars(times, [None, Decimal(5), Decimal("NaN"), None, Decimal(7)])
    assert [(b.time, b.close) for b in bars] == [(times[1], Decimal(5)), (times[4], Decimal(7))]
    assert all(b.open == b.high == b.low == b.close for b in bars)


class ChartApp(App[None]):
    def compose(self) -> ComposeResult:
        yield ValueChart()


async def test_the_base_is_marked_only_within_the_range():
    times = [datetime(2026, 11, 2, tzinfo=UTC) + timedelta(days=i) for i in range(10)]
    bars = value_bars(times, [Decimal(100 + i * (-1) ** i) for i in range(10)])
    app = ChartApp()
    async with app.run_test(size=(60, 12)) as pilot:
        chart = app.query_one(ValueChart)
        chart.show_values(bars, Decimal(100))
        await pilot.pause()
        lines = ["".join(s.text for s in strip) for strip in chart.build(60, 12)]
        marked = [line for line in lines if BASE_MARK in line]
        assert len(marked) == 1 and chart.chart_style == "line"
        chart.show_values(bars, Decimal(500))  # far above: no mark, and the range is the equity's
        assert not any(BASE_MARK in "".join(s.text for s in strip) for strip in chart.build(60, 12))
        chart.show_values(bars, None)
        assert chart.base is None


# ---- SVG snapshots -------------------------------------------------------------------------

async def equity_1m(pilot: Any) -> None:
    from .test_snapshots import pin_status

    await loaded(pilot)
    pin_status(pilot.app)
    await pilot.press("1", "enter")
    await equity_shown(pilot, "1M")


def test_equity_80x24(make_sim, snap_compare):
    assert snap_compare(sample_app(make_sim)[1], terminal_size=(80, 24), run_before=equity_1m)


def test_equity_120x40(make_sim, snap_compare):
    assert snap_compare(sample_app(make_sim)[1], terminal_size=(120, 40), run_before=equity_1m)
