"""The account's equity over a period (GET /v2/account/portfolio/history): a line of equity
with the base value marked, and beneath it the period's change, high and low, start and end,
the answer's own P&L, and a sparkline of that P&L. Periods 1D / 1W / 1M / 3M / 1A (keys
1-5), each read at its timeframe. Opened by Enter on the Account pane or `p`.

It shows what the app gives it (EquityDesk); the read happens on a worker thread, with the
broker's timeouts, and comes back as a message.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Callable, Protocol

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static

from ...broker.history import PortfolioHistory
from .. import keymap
from ..format import DASH, money, signed_money, signed_pct, tone
from ..sparkline import sparkline
from ..widgets.statusbar import bottom_bar
from ..widgets.chart import ValueChart, value_bars
from ..widgets.table import TONE_STYLES

if TYPE_CHECKING:
    from ..app import AlpacaApp

# period -> the timeframe it is read at (Alpaca allows intraday timeframes up to 30 days)
PERIODS = {"1D": "5Min", "1W": "1H", "1M": "1D", "3M": "1D", "1A": "1D"}
Reply = Callable[[PortfolioHistory | None, Any], None]


class EquityDesk(Protocol):
    def history(self, period: str, timeframe: str, reply: Reply) -> None:
        """Read the portfolio history; reply(history, problem) on the UI thread."""


@dataclass
class EquityAnswer(Message):
    """A portfolio-history read came back (history on success, problem on failure)."""

    reply: Reply
    history: PortfolioHistory | None = None
    problem: Any = None


class AppEquityDesk:
    """The desk over the app: one thread worker a read; the answer is posted to the app,
    whose handler calls the reply."""

    def __init__(self, app: AlpacaApp) -> None:
        self.app = app

    def history(self, period: str, timeframe: str, reply: Reply) -> None:
        from ...broker.errors import describe

        app = self.app

        def run() -> None:
            try:
                history = app.broker.portfolio_history(period, timeframe)
            except Exception as err:
                app.post_message(EquityAnswer(reply, None, describe(err)))
                return
            app.post_message(EquityAnswer(reply, history, None))

        app.run_worker(run, thread=True, group="equity", name=f"equity {period}", exit_on_error=False)


@dataclass(frozen=True)
class Summary:
    """What the figures under the chart say (None where nothing is known)."""

    points: int
    start: Decimal | None
    end: Decimal | None
    change: Decimal | None
    change_pct: Decimal | None
    high: Decimal | None
    low: Decimal | None
    base: Decimal | None
    pnl: Decimal | None
    pnl_pct: Decimal | None


def _known(values: tuple[Decimal | None, ...]) -> list[Decimal]:
    return [v for v in values if v is not None and v.is_finite()]


def summarize(history: PortfolioHistory) -> Summary:
    equity = _known(history.equity)
    start, end = (equity[0], equity[-1]) if equity else (None, None)
    change = end - start if start is not None and end is not None else None
    change_pct = change / start if change is not None and start else None
    pnl, pnl_pct = _known(history.profit_loss), _known(history.profit_loss_pct)
    return Summary(len(equity), start, end, change, change_pct, max(equity, default=None), min(equity, default=None),
                   history.base_value, pnl[-1] if pnl else None, pnl_pct[-1] if pnl_pct else None)


def summary_lines(summary: Summary, history: PortfolioHistory, width: int) -> Text:
    """Three lines: start, end and the change; high, low, base and the answer's P&L; the P&L's sparkline."""
    out = Text(no_wrap=True, overflow="ellipsis")

    def figure(label: str, text: str, style: str = "") -> None:
        out.append(f"{label} ", style="dim")
        out.append(text, style=style)
        out.append("   ")

    figure("Start", money(summary.start))
    figure("End", money(summary.end), "bold")
    figure("Change", f"{signed_money(summary.change)} {signed_pct(summary.change_pct)}",
           TONE_STYLES.get(tone(summary.change), ""))
    out.append("\n")
    figure("High", money(summary.high))
    figure("Low", money(summary.low))
    figure("Base", money(summary.base))
    figure("P&L", f"{signed_money(summary.pnl)} {signed_pct(summary.pnl_pct)}", TONE_STYLES.get(tone(summary.pnl), ""))
    out.append("\n")
    out.append("P&L ", style="dim")
    line = sparkline(history.profit_loss, max(1, width - 6))
    out.append(line or DASH, style=TONE_STYLES.get(tone(summary.pnl), ""))
    return out


class EquityScreen(Screen[None]):
    BINDINGS = keymap.bindings(k for k in keymap.EQUITY if k.id.startswith("equity_"))
    DEFAULT_CSS = """
    #equity-chart {
        height: 1fr;
        border: round $primary 50%;
        border-title-color: $text;
        border-title-style: bold;
        border-subtitle-color: $text-muted;
    }
    #equity-summary {
        height: 3;
        padding: 0 1;
    }
    """

    def __init__(self, desk: EquityDesk, period: str = "1M") -> None:
        super().__init__(classes="equity")
        self.desk = desk
        self.period = period if period in PERIODS else "1M"
        self.timeframe = PERIODS[self.period]
        self.loading = ""  # the period being read
        self.history: PortfolioHistory | None = None
        self.summary: Summary | None = None
        self.problem: str = ""

    def compose(self) -> ComposeResult:
        with Vertical(id="equity-body"):
            yield ValueChart(id="equity-chart")
            yield Static("", id="equity-summary")
        yield bottom_bar()

    def on_mount(self) -> None:
        self.action_period(self.period)

    def on_resize(self) -> None:
        self._show_summary()

    def action_period(self, period: str) -> None:
        if period not in PERIODS:
            return
        self.period, self.timeframe = period, PERIODS[period]
        self.loading = period
        self._retitle("reading…")
        self.desk.history(period, self.timeframe, lambda history, problem: self._read(period, history, problem))

    def _read(self, period: str, history: PortfolioHistory | None, problem: Any) -> None:
        if period != self.loading or not self.is_attached:
            return  # another period was asked for since
        self.loading = ""
        if history is None:
            self.problem = f"cannot read the portfolio history: {problem}"
            self.history, self.summary = None, None
            self.query_one(ValueChart).show_values([], None)
            self._show_summary()
            self._retitle(self.problem)
            return
        self.problem = ""
        self.history, self.summary = history, summarize(history)
        if history.timeframe:
            self.timeframe = history.timeframe
        bars = value_bars(history.timestamp, history.equity, "equity")
        self.query_one(ValueChart).show_values(bars, history.base_value)
        self._show_summary()
        self._retitle("" if bars else "no equity in this period")

    def _show_summary(self) -> None:
        static = self.query_one("#equity-summary", Static)
        if self.history is None or self.summary is None:
            static.update(Text(self.problem or "", no_wrap=True, overflow="ellipsis"))
            return
        static.update(summary_lines(self.summary, self.history, max(10, self.size.width - 2)))

    def _retitle(self, note: str) -> None:
        chart = self.query_one(ValueChart)
        keys = " ".join(f"{n}:{p}" if p != self.period else f"[{n}:{p}]" for n, p in enumerate(PERIODS, 1))
        chart.border_title = Text(f"Equity · {self.period} · {self.timeframe}")
        base = f"┄ base {money(self.summary.base)} · " if self.summary and self.summary.base is not None else ""
        chart.border_subtitle = Text(f"{note + ' · ' if note else ''}{base}{keys}")

    def action_back(self) -> None:
        self.dismiss(None)
