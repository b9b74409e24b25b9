"""A symbol's detail: the quote with sizes, the day so far, the position and open orders in
it, and a chart (1D / 5D / 1M / 6M / 1Y, candles or a line) that the stream's minute bars
keep current. `b` / `s` open the ticket for it; `a` adds it to the watchlist.

It shows what the app gives it (DetailDesk); the reads happen elsewhere.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any, Callable, Protocol, Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Static

from ...broker.market import AssetInfo, Bar
from ...state.quotes import LivePrice
from ...terms import NEW_YORK
from ...text import clean
from .. import keymap
from ..format import DASH, WARN, money, price, quantity, signed_money, signed_pct, tone, word
from ..widgets.statusbar import bottom_bar
from ..widgets.chart import PriceChart
from ..widgets.orders import order_label
from ..widgets.table import TONE_STYLES
from ..widgets.watchlist import stale_mark

SPANS = ("1D", "5D", "1M", "6M", "1Y")
ORDERS_SHOWN = 2


class DetailDesk(Protocol):
    def live(self, symbol: str) -> tuple[LivePrice | None, float, bool]:
        """(its latest market data, its age in seconds, streamed)."""

    def asset(self, symbol: str) -> AssetInfo | None: ...

    def position(self, symbol: str) -> Any | None: ...

    def open_orders(self, symbol: str) -> list[Any]: ...

    def chart(self, symbol: str, span: str, reply: Callable[[str, Sequence[Bar] | None, Any], None]) -> None:
        """Read the span's bars; reply(timeframe, bars, problem) on the UI thread."""

    def look_at(self, symbol: str | None) -> None:
        """The screen shows `symbol` (it is then streamed first), or nothing any more."""

    def listen(self, symbol: str, on_change: Callable[[], None] | None,
               on_bar: Callable[[Bar], None] | None) -> None:
        """Call on_change when the symbol's figures change and on_bar with each streamed
        minute bar; None for both stops."""

    def ticket(self, side: str, symbol: str) -> None: ...

    def watch(self, symbol: str) -> None: ...

    def with_assets(self, then: Callable[[Any, Any], None]) -> None:
        """Call then(assets, problem) once the day's asset list is read (its name and exchange)."""


def bucket(time: datetime, timeframe: str) -> datetime:
    """The start of the bar of `timeframe` that a minute at `time` belongs to."""
    if timeframe == "1Min":
        return time.replace(second=0, microsecond=0)
    if timeframe == "5Min":
        return time.replace(minute=time.minute - time.minute % 5, second=0, microsecond=0)
    if timeframe == "1Hour":
        return time.replace(minute=0, second=0, microsecond=0)
    day = time.astimezone(NEW_YORK).replace(hour=0, minute=0, second=0, microsecond=0)
    return day.astimezone(time.tzinfo) if time.tzinfo else day


def merged(last: Bar | None, minute: Bar, timeframe: str) -> Bar | None:
    """The chart's newest bar with a streamed minute folded in (None: the minute is older)."""
    start = bucket(minute.time, timeframe)
    if last is not None and last.time == start:
        return replace(last, high=max(last.high, minute.high), low=min(last.low, minute.low), close=minute.close,
                       volume=last.volume + minute.volume)
    if last is not None and start < last.time:
        return None
    return replace(minute, time=start)


def quote_lines(symbol: str, live: LivePrice | None, age: float, streamed: bool,
                asset: AssetInfo | None) -> Text:
    """Three lines: price and change; bid, ask and last with sizes; the day so far."""
    out = Text(no_wrap=True, overflow="ellipsis")
    out.append(clean(symbol, one_line=True), style="bold")
    if asset is not None:
        out.append(f"  {clean(asset.name, one_line=True, limit=50)} · {clean(asset.exchange, one_line=True)}",
                   style="dim")
    out.append("\n")
    if live is None:
        out.append("no quote yet", style="dim")
        return out
    out.append(price(live.price), style="bold")
    change = live.change
    out.append(f"  {signed_money(change) if change is not None else DASH}"
               f" {signed_pct(live.change_pct) if live.change_pct is not None else ''}",
               style=TONE_STYLES.get(tone(change), ""))
    mark = stale_mark(age).strip()
    out.append("   ● live" if streamed else "   ◌ snapshot", style="" if streamed else WARN)
    out.append(f" · {mark} old" if mark else "", style=WARN if mark else "")
    out.append("\n")

    def sized(label: str, figure: Any, size: Any) -> None:
        out.append(f"{label} ", style="dim")
        out.append(price(figure) if figure else DASH)
        if size is not None and figure:
            out.append(f" × {quantity(size)}", style="dim")
        out.append("   ")

    sized("Bid", live.bid, live.bid_size)
    sized("Ask", live.ask, live.ask_size)
    sized("Last", live.last, live.last_size)
    out.append("\n")
    for label, figure in (("Open", live.open), ("High", live.high), ("Low", live.low)):
        out.append(f"{label} ", style="dim")
        out.append(price(figure) + "  ")
    out.append("Vol ", style="dim")
    out.append((quantity(live.volume) if live.volume is not None else DASH) + "  ")
    out.append("Prev close ", style="dim")
    out.append(price(live.prev_close))
    return out


def holding_lines(position: Any | None, orders: Sequence[Any]) -> Text:
    out = Text(no_wrap=True, overflow="ellipsis")
    out.append("Position ", style="dim")
    if position is None:
        out.append("none")
    else:
        out.append(f"{word(position.side)} {quantity(position.qty)} @ {price(position.avg_entry_price)}"
                   f" · value {money(position.market_value)} · P&L ")
        out.append(f"{signed_money(position.unrealized_pl)} {signed_pct(position.unrealized_plpc)}",
                   style=TONE_STYLES.get(tone(position.unrealized_pl), ""))
    out.append("\n")
    out.append("Orders ", style="dim")
    if not orders:
        out.append("none open")
    for index, order in enumerate(orders[:ORDERS_SHOWN]):
        out.append(("  ·  " if index else "") + f"{order_label(order)} ({word(order.status)})")
    if len(orders) > ORDERS_SHOWN:
        out.append(f"  +{len(orders) - ORDERS_SHOWN} more", style="dim")
    return out


class DetailScreen(Screen[None]):
    BINDINGS = keymap.bindings(keymap.DETAIL)

    def __init__(self, symbol: str, desk: DetailDesk) -> None:
        super().__init__(classes="detail")  # no id: a new one may come while the last is leaving
        self.symbol = symbol
        self.desk = desk
        self.span = "1D"
        self.style_name = "candles"
        self.timeframe = ""
        self.bars: list[Bar] = []
        self.loading = ""  # the span being read

    def compose(self) -> ComposeResult:
        with Vertical(id="detail-body"):
            yield Static("", id="detail-quote")
            yield Static("", id="detail-holding")
            yield PriceChart(id="detail-chart")
        yield bottom_bar()

    def on_mount(self) -> None:
        self.desk.look_at(self.symbol)
        self.desk.listen(self.symbol, self.refresh_figures, self._minute)
        self.refresh_figures()
        self.action_span(self.span)
        self.desk.with_assets(lambda _assets, _problem: self.refresh_figures() if self.is_attached else None)

    def on_unmount(self) -> None:
        self.desk.listen(self.symbol, None, None)
        self.desk.look_at(None)

    def refresh_figures(self) -> None:
        live, age, streamed = self.desk.live(self.symbol)
        self.query_one("#detail-quote", Static).update(
            quote_lines(self.symbol, live, age, streamed, self.desk.asset(self.symbol)))
        self.query_one("#detail-holding", Static).update(
            holding_lines(self.desk.position(self.symbol), self.desk.open_orders(self.symbol)))

    # ---- the chart ----

    def action_span(self, span: str) -> None:
        if span not in SPANS:
            return
        self.span = span
        self.loading = span
        self._retitle("reading…")
        self.desk.chart(self.symbol, span, lambda timeframe, bars, problem: self._bars(span, timeframe, bars, problem))

    def _bars(self, span: str, timeframe: str, bars: Sequence[Bar] | None, problem: Any) -> None:
        if span != self.loading or not self.is_attached:
            return  # another span was asked for since
        self.loading = ""
        if bars is None:
            self._retitle(f"cannot read the bars: {problem}")
            return
        self.timeframe, self.bars = timeframe, list(bars)
        self._draw()

    def _draw(self) -> None:
        chart = self.query_one(PriceChart)
        chart.show(self.bars, style=self.style_name)  # the border says what it is
        self._retitle("" if self.bars else "no bars in this span")

    def _retitle(self, note: str) -> None:
        chart = self.query_one(PriceChart)
        keys = " ".join(f"{n}:{s}" if s != self.span else f"[{n}:{s}]" for n, s in enumerate(SPANS, 1))
        chart.border_title = Text(f"{clean(self.symbol, one_line=True)} · {self.span} · {self.style_name}")
        chart.border_subtitle = Text(f"{note + ' · ' if note else ''}{keys} · c candles/line")

    def _minute(self, minute: Bar) -> None:
        if not self.timeframe or self.loading:
            return
        last = self.bars[-1] if self.bars else None
        bar = merged(last, minute, self.timeframe)
        if bar is None:
            return
        if last is not None and bar.time == last.time:
            self.bars[-1] = bar
        else:
            self.bars.append(bar)
        self.query_one(PriceChart).add_bar(bar)

    def action_toggle_style(self) -> None:
        self.style_name = "line" if self.style_name == "candles" else "candles"
        if not self.loading:
            self._draw()
        else:
            self._retitle("reading…")

    # ---- acting on it ----

    def action_buy(self) -> None:
        self.desk.ticket("buy", self.symbol)

    def action_sell(self) -> None:
        self.desk.ticket("sell", self.symbol)

    def action_watch(self) -> None:
        self.desk.watch(self.symbol)

    def action_back(self) -> None:
        self.dismiss(None)
