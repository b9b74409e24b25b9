"""PriceChart: a symbol's bars as candles or a line, drawn in text cells.

Our own widget rather than textual-plotext (1.0.1, on plotext 5.3.2), which was checked
against Textual 8.2.8 (it installs without moving the pin) and rejected:

- it does not resample: 390 minute candles into ~69 columns overlap into a smear, and its
  candles are whole cells (│ and █), so a 12-row chart has 8 price levels;
- a render costs 30-53 ms for 390 candles (5-11 ms for a line), on the UI thread, on
  every refresh (it re-runs plotext and parses its ANSI output with Text.from_ansi, no
  cache): a focus change or a resize pays it again;
- its labels are not ours: prices to one decimal (189.5), 1,790,000 as 1813323.2, no
  thousands separators; dates as 04/12/2026 09:30, which overlap at 76 columns
  ("12:44 04/12/2026 14:21"); a title row;
- its colours default to terminal palette colours (candles color(1)/color(2), a line
  color(12)); they can be set (candlestick colors=, theme "auto" paints the theme's
  $surface), but only as RGB baked into ANSI text at each build, not through CSS;
- it is not kept up: last release 1.0.1 on 2024-11-30, pinned to plotext <6 while plotext
  6.0 (2026-08) and 6.1 (2026-09) are out; importing it rewrites plotext's global themes.

This widget draws straight into Strips (Textual's line API), cached per size, data and
style, so a refresh that changes nothing costs nothing and a new minute bar costs one
build (about 1-3 ms at 116×26 for 390 bars). Bars are resampled to the width (consecutive
bars grouped into one candle: first open, highest high, lowest low, last close); candles
use half blocks (two price levels a row), the line braille (four a row, two points a
cell). Prices on the right go through format.price() and are never cut: the axis is as
wide as its widest label. Colours come from component classes (up/down from format.UP/
DOWN, as the tables' tones; the rest from the theme), so the theme controls them all.
"""

from __future__ import annotations

import math
from datetime import datetime
from decimal import Decimal
from typing import Literal, Sequence

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip
from textual.widget import Widget

from ...broker.market import Bar
from ...numbers import moment
from ...text import clean
from ..format import DOWN, MONTHS, NY, UP, price
from ..sparkline import resample as resample_values

ChartStyle = Literal["candles", "line"]
EMPTY = "no bars"
LABEL_LIMIT = 60  # characters of the caller's label kept

# Half-block candle cells: (top half, bottom half) → character; 0 nothing, 1 wick, 2 body.
CANDLE_CELLS = {
    (2, 2): "█", (2, 1): "▀", (2, 0): "▀", (1, 2): "▄", (0, 2): "▄",
    (1, 1): "│", (1, 0): "╵", (0, 1): "╷", (0, 0): " ",
}
# Braille dots: BRAILLE[dx][dy] for the two dot columns and four dot rows of a cell.
BRAILLE = ((0x01, 0x02, 0x04, 0x40), (0x08, 0x10, 0x20, 0x80))
NICE_STEPS = (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10))
CENT = Decimal("0.01")


def resample(bars: Sequence[Bar], columns: int) -> list[Bar]:
    """At most `columns` bars: consecutive bars grouped evenly from the first (so groups
    stay put as bars are appended), each group one bar: its first open and time, highest
    high, lowest low, last close, summed volume."""
    count = len(bars)
    if columns <= 0 or count == 0:
        return []
    per = -(-count // columns)
    if per == 1:
        return list(bars)
    out = []
    for start in range(0, count, per):
        group = bars[start:start + per]
        first = group[0]
        out.append(Bar(
            symbol=first.symbol, time=first.time, open=first.open,
            high=max(b.high for b in group), low=min(b.low for b in group),
            close=group[-1].close, volume=sum((b.volume for b in group), Decimal(0)),
        ))
    return out


def price_ticks(low: Decimal, high: Decimal, count: int) -> list[Decimal]:
    """Round prices between low and high, as near `count` of them as a 1-2-2.5-5 step
    gives (never a step under a cent from $1 up, where price() shows cents)."""
    span = high - low
    if span <= 0 or count < 1:
        return []
    exponent = (span / count).adjusted()
    cents = max(abs(low), abs(high)) >= 1
    best: tuple[int, Decimal] | None = None
    for shift in (-1, 0, 1):
        for mantissa in NICE_STEPS:
            step = mantissa.scaleb(exponent + shift)
            if cents and step < CENT:
                continue
            fits = math.floor(high / step) - math.ceil(low / step) + 1
            if best is None or abs(fits - count) < best[0] or (abs(fits - count) == best[0] and step > best[1]):
                best = (abs(fits - count), step)
    step = best[1] if best else CENT
    return [step * k for k in range(math.ceil(low / step), math.floor(high / step) + 1)]


def time_label(at: datetime, span_days: float) -> str:
    """A time-axis label: 09:30 within a day, 04 Dec within some months, Dec 2026 beyond."""
    ny = at.astimezone(NY)
    if span_days <= 1:
        return f"{ny:%H:%M}"
    if span_days <= 200:
        return f"{ny.day:02d} {MONTHS[ny.month - 1]}"
    return f"{MONTHS[ny.month - 1]} {ny.year}"


class PriceChart(Widget):
    """Bars as candles or a line, a price axis on the right and times along the bottom."""

    COMPONENT_CLASSES = {
        "price-chart--up", "price-chart--down", "price-chart--flat", "price-chart--axis",
        "price-chart--label", "price-chart--empty",
    }
    DEFAULT_CSS = f"""
    PriceChart {{
        height: 1fr;
        min-height: 4;
    }}
    PriceChart > .price-chart--up {{ color: {UP}; }}
    PriceChart > .price-chart--down {{ color: {DOWN}; }}
    PriceChart > .price-chart--flat {{ color: $text; }}
    PriceChart > .price-chart--axis {{ color: $text-muted; }}
    PriceChart > .price-chart--label {{ color: $text; text-style: bold; }}
    PriceChart > .price-chart--empty {{ color: $text-muted; text-style: italic; }}
    """

    def __init__(self, *, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._bars: list[Bar] = []
        self._style: ChartStyle = "candles"
        self._label = ""
        self._version = 0  # bumped by every change of bars, style or label
        self._cache_key: tuple | None = None
        self._lines: list[Strip] = []

    # ---- the API ----------------------------------------------------------------------

    @property
    def bars(self) -> tuple[Bar, ...]:
        return tuple(self._bars)

    @property
    def chart_style(self) -> ChartStyle:
        return self._style

    def show(self, bars: Sequence[Bar], *, style: ChartStyle = "candles", label: str = "") -> None:
        """Replace what is shown: `bars` oldest first."""
        if style not in ("candles", "line"):
            raise ValueError(f"chart style {style!r}: candles or line")
        self._bars = list(bars)
        self._style = style
        self._label = clean(label, one_line=True, limit=LABEL_LIMIT)
        self._changed()

    def add_bar(self, bar: Bar) -> None:
        """A live bar: it replaces the last one when it has the same time, else it is
        appended. One older than the last is ignored (a late, out-of-order message).
        The bar is of the chart's timeframe: for 1D that is the minute bar itself; for
        coarser charts the caller folds the minute bar into the current period's bar first
        (same time, high/low widened, close updated) and passes that."""
        bars = self._bars
        if bars and bar.time == bars[-1].time:
            bars[-1] = bar
        elif not bars or bar.time > bars[-1].time:
            bars.append(bar)
        else:
            return
        self._changed()

    def _changed(self) -> None:
        self._version += 1
        self.refresh()

    # ---- Textual ----------------------------------------------------------------------

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._cache_key = None  # a theme change: the component styles are new

    def render_line(self, y: int) -> Strip:
        width, height = self.size
        key = (width, height, self._version, self.app.theme)
        if key != self._cache_key:
            self._lines = self.build(width, height)
            self._cache_key = key
        if 0 <= y < len(self._lines):
            return self._lines[y]
        return Strip.blank(width, self.rich_style)

    # ---- drawing ----------------------------------------------------------------------

    def _styles(self) -> dict[str, Style]:
        styles = {name: self.get_component_rich_style(f"price-chart--{name}", partial=True)
                  for name in ("up", "down", "flat", "axis", "label", "empty")}
        styles["base"] = self.rich_style
        return styles

    def build(self, width: int, height: int) -> list[Strip]:
        """Every line of the chart at this size (what render_line caches)."""
        if width <= 0 or height <= 0:
            return []
        styles = self._styles()
        has_header = height >= 4
        has_times = height >= 3
        plot_rows = height - has_header - has_times
        lines: list[list[tuple[str, str]]] = []  # per line: (text, style name) runs

        bars = self._bars
        header = self._header(bars, width)
        if not bars:
            body = [[(" " * width, "")] for _ in range(plot_rows + has_times)]
            middle = plot_rows // 2
            text = EMPTY[:width]
            pad = (width - len(text)) // 2
            body[middle] = [(" " * pad, ""), (text, "empty"), (" " * (width - pad - len(text)), "")]
            lines = ([header] if has_header else []) + body
            return [self._strip(line, width, styles) for line in lines]

        candles = self._style == "candles"
        if candles:
            low = min(b.low for b in bars)
            high = max(b.high for b in bars)
        else:
            low = min(b.close for b in bars)
            high = max(b.close for b in bars)
        if high == low:  # a flat series: a band around it, so it sits mid-chart
            pad = abs(high) / 200 if high else Decimal(1)
            low, high = low - pad, high + pad
        top, bottom = float(high), float(low)

        def row_of(value: float) -> int:
            return min(plot_rows - 1, max(0, int((top - value) / (top - bottom) * plot_rows)))

        # The price axis: round prices, and the last price over any of them on its row.
        last = bars[-1].close
        last_row = row_of(float(last))
        labels: dict[int, tuple[str, str]] = {}
        shown: set[str] = set()
        for tick in price_ticks(low, high, max(2, min(plot_rows // 2, 8))):
            row = row_of(float(tick))
            text = price(tick)
            if row == last_row or row in labels or text in shown:
                continue
            labels[row] = (text, "axis")
            shown.add(text)
        first_open = bars[0].open if candles else bars[0].close
        tone = "up" if last > first_open else "down" if last < first_open else "flat"
        labels[last_row] = (price(last), f"{tone} reverse")
        label_width = max(cell_len(text) for text, _ in labels.values())
        axis_width = label_width + 2  # the axis line, a space, the label (right-aligned)
        if width - axis_width < 2:
            axis_width, labels = 0, {}
        plot_width = width - axis_width

        grid: list[list[str]] = [[" "] * plot_width for _ in range(plot_rows)]
        tones: list[list[str]] = [[""] * plot_width for _ in range(plot_rows)]
        if candles:
            index_at = self._draw_candles(bars, grid, tones, top, bottom)
        else:
            index_at = self._draw_line(bars, grid, tones, top, bottom, tone)

        for r in range(plot_rows):
            line = _runs(grid[r], tones[r])
            if axis_width:
                text, style = labels.get(r, ("", "axis"))
                mark = "┤" if r in labels else "│"
                line.append((mark, "axis"))
                if r in labels:
                    line.append((" ", ""))
                    line.append((text.rjust(label_width), style))
                else:
                    line.append((" " * (label_width + 1), ""))
            lines.append(line)
        if has_times:
            lines.append(self._times(bars, index_at, plot_width, width))
        if has_header:
            lines.insert(0, header)
        return [self._strip(line, width, styles) for line in lines]

    def _draw_candles(self, bars: Sequence[Bar], grid: list[list[str]], tones: list[list[str]],
                      top: float, bottom: float):
        rows, width = len(grid), len(grid[0])
        candles = resample(bars, width)
        per = -(-len(bars) // width)
        pitch = max(1, width // len(candles))
        levels = rows * 2
        scale = levels / (top - bottom)

        def level(value: Decimal) -> int:
            return min(levels - 1, max(0, int((top - float(value)) * scale)))

        for i, bar in enumerate(candles):
            x = i * pitch + pitch // 2
            if x >= width:
                break
            wick_top, wick_bottom = level(bar.high), level(bar.low)
            body_top, body_bottom = level(max(bar.open, bar.close)), level(min(bar.open, bar.close))
            tone = "up" if bar.close > bar.open else "down" if bar.close < bar.open else "flat"
            for r in range(wick_top // 2, wick_bottom // 2 + 1):
                halves = []
                for s in (2 * r, 2 * r + 1):
                    halves.append(2 if body_top <= s <= body_bottom else 1 if wick_top <= s <= wick_bottom else 0)
                grid[r][x] = CANDLE_CELLS[halves[0], halves[1]]
                tones[r][x] = tone
        count = len(bars)
        return lambda col: min(count - 1, (col // pitch) * per)

    def _draw_line(self, bars: Sequence[Bar], grid: list[list[str]], tones: list[list[str]],
                   top: float, bottom: float, tone: str):
        rows, width = len(grid), len(grid[0])
        dots_x, dots_y = width * 2, rows * 4
        closes = [float(b.close) for b in bars]
        count = len(closes)
        if count >= dots_x:
            points = resample_values(closes, dots_x)
        elif count == 1:
            points = closes
        else:  # fewer closes than dot columns: spread over the width, joined straight
            points = []
            for x in range(dots_x):
                at = x * (count - 1) / (dots_x - 1)
                i = min(count - 2, int(at))
                points.append(closes[i] + (closes[i + 1] - closes[i]) * (at - i))
        scale = dots_y / (top - bottom)
        bits = [[0] * width for _ in range(rows)]
        previous = None
        for x, value in enumerate(points):
            y = min(dots_y - 1, max(0, int((top - value) * scale)))
            low, high = (y, y) if previous is None else (min(y, previous), max(y, previous))
            for dy in range(low, high + 1):
                bits[dy // 4][x // 2] |= BRAILLE[x % 2][dy % 4]
            previous = y
        for r in range(rows):
            for c in range(width):
                if bits[r][c]:
                    grid[r][c] = chr(0x2800 + bits[r][c])
                    tones[r][c] = tone
        if count >= dots_x:  # a cell's first dot column starts at this bar's group
            return lambda col: min(count - 1, 2 * col * count // dots_x)
        return lambda col: min(count - 1, round(2 * col * (count - 1) / max(1, dots_x - 1)))

    def _times(self, bars: Sequence[Bar], index_at, plot_width: int, width: int) -> list[tuple[str, str]]:
        """A few time labels under the plot, left-aligned on the column they name."""
        first, last = moment(bars[0].time), moment(bars[-1].time)
        if first is None or last is None:
            return [(" " * width, "")]
        span_days = (last - first).total_seconds() / 86400
        row = [" "] * width
        label_length = len(time_label(first, span_days))
        spacing = max(label_length + 3, plot_width // 4)
        col = 0
        while col + label_length <= plot_width:
            at = moment(bars[index_at(col)].time)
            if at is not None:
                text = time_label(at, span_days)
                row[col:col + len(text)] = text
            col += spacing
        return [("".join(row), "axis")]

    def _header(self, bars: Sequence[Bar], width: int) -> list[tuple[str, str]]:
        """The caller's label on the left; the high and low shown on the right."""
        label = set_cell_size(self._label, min(width, cell_len(self._label)))
        right = ""
        if bars:
            if self._style == "candles":
                high, low = max(b.high for b in bars), min(b.low for b in bars)
            else:
                high, low = max(b.close for b in bars), min(b.close for b in bars)
            right = f"H {price(high)}  L {price(low)}"
        gap = width - cell_len(label) - len(right)
        if gap < 2:
            right, gap = "", width - cell_len(label)
        return [(label, "label"), (" " * gap, ""), (right, "axis")]

    @staticmethod
    def _strip(runs: list[tuple[str, str]], width: int, styles: dict[str, Style]) -> Strip:
        """One line from its runs, over the widget's own style (its background)."""
        segments = []
        for text, name in runs:
            if not text:
                continue
            if name.endswith(" reverse"):
                style = styles[name.split()[0]] + Style(reverse=True, bold=True)
            else:
                style = styles.get(name) if name else None
            segments.append(Segment(text, style))
        return Strip(segments).adjust_cell_length(width).apply_style(styles["base"])


def _runs(chars: list[str], tones: list[str]) -> list[tuple[str, str]]:
    """A row of cells as runs of one style each (fewer segments to write)."""
    runs: list[tuple[str, str]] = []
    start = 0
    for i in range(1, len(chars) + 1):
        if i == len(chars) or tones[i] != tones[start]:
            runs.append(("".join(chars[start:i]), tones[start]))
            start = i
    return runs


# ---- a series of values (an account's equity) -------------------------------------------------

BASE_MARK = "┄"


def value_bars(times: Sequence[datetime], values: Sequence[Decimal | None], name: str = "") -> list[Bar]:
    """Points of a series as flat bars (open = high = low = close) for a line chart; None
    points (not known then) are skipped, never drawn as zero."""
    return [Bar(symbol=name, time=at, open=value, high=value, low=value, close=value, volume=Decimal(0))
            for at, value in zip(times, values) if value is not None and value.is_finite()]


class ValueChart(PriceChart):
    """A PriceChart of one series drawn as a line, with a reference value (a base) marked
    across the plot as a dotted line when it falls within the chart's range."""

    def __init__(self, *, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._base: Decimal | None = None

    @property
    def base(self) -> Decimal | None:
        return self._base

    def show_values(self, bars: Sequence[Bar], base: Decimal | None = None, label: str = "") -> None:
        self._base = base if base is not None and base.is_finite() else None
        self.show(bars, style="line", label=label)

    def _draw_line(self, bars: Sequence[Bar], grid: list[list[str]], tones: list[list[str]],
                   top: float, bottom: float, tone: str):
        index_at = super()._draw_line(bars, grid, tones, top, bottom, tone)
        base = self._base
        rows = len(grid)
        if base is not None and bottom <= float(base) <= top and rows:
            row = min(rows - 1, max(0, int((top - float(base)) / (top - bottom) * rows)))
            for col, cell in enumerate(grid[row]):
                if cell == " ":
                    grid[row][col] = BASE_MARK
                    tones[row][col] = "axis"
        return index_at
