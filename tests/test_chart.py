"""The price chart and the watchlist's sparkline: what they draw, at the sizes the app uses.

The sparkline is a pure function (tui/ui/sparkline.py). The chart (tui/ui/widgets/chart.py)
is drawn in a headless app at 76×10 (the detail screen at 80×24) and 116×26, and read back
line by line: the price labels whole, candles coloured up and down, a live bar shown. How
long a draw takes is printed, not asserted (benchmarks measure speed, tests do not).
"""

from __future__ import annotations

import math
import random
import re
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given, strategies as st
from rich.cells import cell_len
from textual.app import App, ComposeResult

from tui.broker.market import Bar
from tui.ui.format import DOWN, UP, price
from tui.ui.sparkline import BLOCKS, FLAT, sparkline
from tui.ui.widgets.chart import EMPTY, PriceChart, price_ticks, resample

OPEN_AT = datetime(2026, 12, 4, 14, 30, tzinfo=timezone.utc)  # 09:30 in New York
SIZES = [(76, 10), (116, 26)]


def bar(i: int, o, h, l, c, *, step=timedelta(minutes=1), volume="100") -> Bar:
    d = Decimal
    return Bar("AAPL", OPEN_AT + i * step, d(str(o)), d(str(h)), d(str(l)), d(str(c)), d(volume))


def walk(count: int, start: Decimal, *, step=timedelta(minutes=1)) -> list[Bar]:
    """`count` bars around `start`, up and down by turns in a slow wave (no randomness)."""
    bars, close = [], start
    tick = start / 2000
    for i in range(count):
        o = close
        c = o + tick * Decimal(round(3 * math.sin(i / 17) + (1 if i % 2 else -1)))
        h, l = max(o, c) + tick, min(o, c) - tick
        bars.append(Bar("X", OPEN_AT + i * step, o, h, l, c, Decimal(100)))
        close = c
    return bars


def market_day(count: int = 390, start: float = 187.0, seed: int = 7) -> list[Bar]:
    """A day of minute bars that looks like one: a seeded random walk, cent prices."""
    rng = random.Random(seed)
    bars, close = [], start
    for i in range(count):
        o = close
        c = o * (1 + rng.gauss(0, 0.0015))
        h, l = max(o, c) * (1 + abs(rng.gauss(0, 0.0006))), min(o, c) * (1 - abs(rng.gauss(0, 0.0006)))
        bars.append(bar(i, *(round(v, 2) for v in (o, h, l, c))))
        close = c
    return bars


# ---- the sparkline ----------------------------------------------------------------------

finite = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False)


@given(st.lists(finite, max_size=200), st.integers(min_value=0, max_value=60))
def test_sparkline_is_at_most_width_blocks(values, width):
    line = sparkline(values, width)
    assert len(line) == min(len(values), width)
    assert set(line) <= set(BLOCKS)


@given(st.lists(finite, min_size=2, max_size=40, unique=True))
def test_sparkline_lowest_is_the_lowest_block_and_highest_the_highest(values):
    line = sparkline(values, 40)
    assert line[values.index(min(values))] == "▁"
    assert line[values.index(max(values))] == "█"


@given(st.lists(finite, min_size=2, max_size=500, unique=True), st.integers(min_value=2, max_value=30))
def test_sparkline_resampled_still_spans_bottom_to_top(values, width):
    line = sparkline(values, width)
    assert len(line) == min(len(values), width)
    if len(set(line)) > 1:
        assert "▁" in line and "█" in line


def test_sparkline_flat_series_is_a_middle_line():
    assert sparkline([Decimal("7.12")] * 5, 10) == FLAT * 5
    assert sparkline([3.0] * 50, 10) == FLAT * 10
    assert FLAT == "▄"


def test_sparkline_empty():
    assert sparkline([], 10) == ""
    assert sparkline([1.0, 2.0], 0) == ""
    assert sparkline([float("nan"), None, Decimal("NaN"), float("inf")], 10) == ""


def test_sparkline_skips_what_is_not_a_number():
    line = sparkline([Decimal("1"), float("nan"), None, Decimal("NaN"), float("-inf"), Decimal("3")], 10)
    assert line == "▁█"
    assert sparkline([-1e308, 1e308, -1e308], 3) == "▁█▁"  # the difference overflows a float


def test_sparkline_decimals_and_resampling_to_the_last_of_each_group():
    values = [Decimal(v) for v in (1, 9, 2, 7, 3, 5)]  # groups (1,9) (2,7) (3,5): read 9 7 5
    assert sparkline(values, 3) == "█▅▁"  # 7 is halfway: level 3.5 of 0-7, rounded to ▅


def test_sparkline_module_is_pure():
    """The watchlist's column can be made off the UI thread: no Textual, no Rich."""
    code = "import sys, tui.ui.sparkline; print(','.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert [m for m in out.stdout.strip().split(",") if m.split(".")[0] in ("textual", "rich")] == []


# ---- resampling bars -------------------------------------------------------------------

def test_resample_groups_consecutive_bars_into_ohlc():
    bars = [bar(i, o, h, l, c, volume=str(i + 1)) for i, (o, h, l, c) in enumerate([
        (10, 12, 9, 11), (11, 15, 10, 14), (14, 14, 8, 9), (9, 10, 7, 8),  # one candle
        (8, 9, 6, 7), (7, 20, 7, 19), (19, 19, 18, 18), (18, 18, 1, 2),    # another
        (2, 3, 2, 3), (3, 4, 3, 4),                                       # a partial last one
    ])]
    candles = resample(bars, 3)  # 10 bars, 3 columns: 4 bars a candle
    assert [(c.open, c.high, c.low, c.close) for c in candles] == [
        (10, 15, 7, 8), (8, 20, 1, 2), (2, 4, 2, 4)]
    assert [c.time for c in candles] == [bars[0].time, bars[4].time, bars[8].time]
    assert [c.volume for c in candles] == [1 + 2 + 3 + 4, 5 + 6 + 7 + 8, 9 + 10]


def test_resample_keeps_bars_that_fit():
    bars = walk(20, Decimal("7.12"))
    assert resample(bars, 20) == bars
    assert resample(bars, 100) == bars
    assert resample(bars, 0) == [] and resample([], 10) == []


@given(st.integers(min_value=1, max_value=400), st.integers(min_value=1, max_value=120))
def test_resample_fits_and_keeps_the_extremes(count, columns):
    bars = walk(count, Decimal("100"))
    candles = resample(bars, columns)
    assert 1 <= len(candles) <= columns
    assert candles[0].open == bars[0].open and candles[-1].close == bars[-1].close
    assert max(c.high for c in candles) == max(b.high for b in bars)
    assert min(c.low for c in candles) == min(b.low for b in bars)
    assert sum(c.volume for c in candles) == sum(b.volume for b in bars)


@pytest.mark.parametrize("low, high", [("0.000091", "0.000101"), ("7.05", "7.19"), ("990", "1020"),
                                       ("1700000", "1800000"), ("7.12", "7.13")])
def test_price_ticks_are_round_and_read_differently(low, high):
    ticks = price_ticks(Decimal(low), Decimal(high), 4)
    assert ticks and all(Decimal(low) <= t <= Decimal(high) for t in ticks)
    labels = [price(t) for t in ticks]
    assert len(set(labels)) == len(labels)


# ---- the chart in an app -----------------------------------------------------------------

class ChartApp(App):
    def compose(self) -> ComposeResult:
        yield PriceChart()


def screen_lines(chart: PriceChart) -> list[str]:
    width, height = chart.size
    return ["".join(segment.text for segment in chart.render_line(y)) for y in range(height)]


def axis_labels(lines: list[str]) -> list[str]:
    return [m.group(1) for line in lines if (m := re.search(r"┤ +(\S+)$", line))]


FIGURE = re.compile(r"\d{1,3}(,\d{3})*\.\d+")


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("start", ["0.0001", "7.12", "1007.00", "1790000.00"])
@pytest.mark.parametrize("style", ["candles", "line"])
async def test_price_labels_are_whole(size, start, style):
    bars = walk(390, Decimal(start))
    app = ChartApp()
    async with app.run_test(size=size) as pilot:
        chart = app.query_one(PriceChart)
        chart.show(bars, style=style, label="X · 1D")
        await pilot.pause()
        lines = screen_lines(chart)
    width, height = size
    assert len(lines) == height and all(cell_len(line) == width for line in lines)
    labels = axis_labels(lines)
    assert len(labels) >= 2
    assert price(bars[-1].close) in labels  # the last price, marked on the axis
    for label in labels:
        assert FIGURE.fullmatch(label), label  # whole: nothing cut at either end
    low = min(b.low if style == "candles" else b.close for b in bars)
    high = max(b.high if style == "candles" else b.close for b in bars)
    for label in labels:
        assert low <= Decimal(label.replace(",", "")) <= high
    assert re.match(r"09:3\d ", lines[-1])  # times along the bottom, from the open
    assert lines[0].startswith("X · 1D")


async def test_up_and_down_candles_have_their_colours():
    bars = [bar(0, 10, 11.5, 9.5, 11), bar(1, 11, 11.5, 9.5, 10)]  # up, then down
    app = ChartApp()
    async with app.run_test(size=(76, 10)) as pilot:
        chart = app.query_one(PriceChart)
        chart.show(bars, style="candles", label="X")
        await pilot.pause()
        colours = {}
        for y in range(1, 9):
            x = 0
            for segment in chart.render_line(y):
                for i, char in enumerate(segment.text):
                    if char in "█▀▄│╵╷" and x + i < 60:  # left of the axis
                        colours.setdefault(x + i, set()).add(segment.style.color.name.lower())
                x += cell_len(segment.text)
    assert len(colours) == 2  # two candles, one column each
    first, second = (colours[x] for x in sorted(colours))
    assert first == {UP.lower()} and second == {DOWN.lower()}


async def test_add_bar_replaces_the_live_bar_or_appends():
    bars = walk(30, Decimal("7.12"))
    app = ChartApp()
    async with app.run_test(size=(76, 10)) as pilot:
        chart = app.query_one(PriceChart)
        chart.show(bars, style="candles", label="X")
        await pilot.pause()
        last = bars[-1]
        update = Bar(last.symbol, last.time, last.open, Decimal("9.99"), last.low, Decimal("9.99"), last.volume)
        chart.add_bar(update)
        await pilot.pause()
        assert len(chart.bars) == 30 and chart.bars[-1] == update
        assert "9.99" in axis_labels(screen_lines(chart))
        new = Bar(last.symbol, last.time + timedelta(minutes=1), Decimal("9.99"), Decimal("10.50"),
                  Decimal("9.90"), Decimal("10.25"), Decimal(1))
        chart.add_bar(new)
        await pilot.pause()
        assert len(chart.bars) == 31 and chart.bars[-1] == new
        lines = screen_lines(chart)
        assert "10.25" in axis_labels(lines) and "H 10.50" in lines[0]
        chart.add_bar(bars[3])  # late and out of order: not drawn over the present
        assert chart.bars[-1] == new and len(chart.bars) == 31


async def test_add_bar_to_an_empty_chart_starts_it():
    app = ChartApp()
    async with app.run_test(size=(76, 10)) as pilot:
        chart = app.query_one(PriceChart)
        chart.show([], style="line", label="X · 1D")
        await pilot.pause()
        assert any(EMPTY in line for line in screen_lines(chart))
        chart.add_bar(bar(0, 7, 7.5, 6.5, 7.12))
        await pilot.pause()
        lines = screen_lines(chart)
        assert not any(EMPTY in line for line in lines)
        assert "7.12" in axis_labels(lines)


async def test_line_uses_braille_and_candles_half_blocks():
    bars = walk(390, Decimal("187.00"))
    app = ChartApp()
    async with app.run_test(size=(76, 10)) as pilot:
        chart = app.query_one(PriceChart)
        chart.show(bars, style="line", label="X")
        await pilot.pause()
        line_text = "".join(screen_lines(chart))
        chart.show(bars, style="candles", label="X")
        await pilot.pause()
        candle_text = "".join(screen_lines(chart))
    assert any("\u2801" <= ch <= "\u28ff" for ch in line_text)
    assert any(ch in "▀▄" for ch in candle_text) and not any("\u2801" <= ch <= "\u28ff" for ch in candle_text)


async def test_a_flat_day_and_a_single_bar_draw():
    app = ChartApp()
    async with app.run_test(size=(76, 10)) as pilot:
        chart = app.query_one(PriceChart)
        for style in ("candles", "line"):
            chart.show([bar(i, 5, 5, 5, 5) for i in range(50)], style=style, label="X")
            await pilot.pause()
            assert "5.00" in axis_labels(screen_lines(chart))
            chart.show([bar(0, 5, 6, 4, 5.5)], style=style, label="X")
            await pilot.pause()
            assert "5.50" in axis_labels(screen_lines(chart))


async def test_tiny_sizes_do_not_fail():
    app = ChartApp()
    async with app.run_test(size=(76, 10)) as pilot:
        chart = app.query_one(PriceChart)
        chart.show(walk(390, Decimal("1790000")), style="candles", label="X")
        await pilot.pause()
        for width in range(0, 20):
            for height in range(0, 5):
                lines = chart.build(width, height)
                assert len(lines) == (height if width else 0)
                assert all(line.cell_length == width for line in lines)


async def test_a_theme_change_redraws_in_its_colours():
    app = ChartApp()
    async with app.run_test(size=(76, 10)) as pilot:
        chart = app.query_one(PriceChart)
        chart.show(market_day(), style="candles", label="X")
        app.theme = "textual-dark"
        await pilot.pause()
        dark = {segment.style.bgcolor for segment in chart.render_line(1)}
        app.theme = "textual-light"
        await pilot.pause()
        light = {segment.style.bgcolor for segment in chart.render_line(1)}
    assert len(dark) == len(light) == 1 and dark != light  # one background, the theme's


@pytest.mark.parametrize("style", ["candles", "line"])
async def test_draw_time_for_a_day_of_minute_bars(style):
    """A sanity print of a draw's cost (390 minute bars at 116×26); only a generous bound."""
    bars = walk(390, Decimal("187.00"))
    app = ChartApp()
    async with app.run_test(size=(116, 26)) as pilot:
        chart = app.query_one(PriceChart)
        chart.show(bars, style=style, label="X")
        await pilot.pause()
        started = time.perf_counter()
        for _ in range(10):
            chart.build(116, 26)
        each = (time.perf_counter() - started) / 10
    print(f"\nPriceChart {style}: 390 bars at 116×26 in {each * 1000:.2f} ms")
    assert each < 2.0  # seconds: a hang, not a benchmark


# ---- an SVG snapshot at 80×24 --------------------------------------------------------------

class DetailApp(App):
    """The chart as the detail screen will hold it at 80×24: in a pane, two charts high."""

    CSS = """
    PriceChart { border: round $primary 50%; height: 1fr; }
    """

    def compose(self) -> ComposeResult:
        yield PriceChart(id="candles")
        yield PriceChart(id="line")

    def on_mount(self) -> None:
        bars = market_day()
        self.query_one("#candles", PriceChart).show(bars, style="candles", label="AAPL · 1D · candles")
        self.query_one("#line", PriceChart).show(bars, style="line", label="AAPL · 1D · line")


def test_chart_80x24(snap_compare):
    assert snap_compare(DetailApp(), terminal_size=(80, 24))
