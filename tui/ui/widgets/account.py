"""The Account pane: equity, cash, buying power, day P&L, market values and any blocks.

No figure is ever cut: the grid is laid out for the width it is drawn at, in the first
of a few layouts that fits (Day P&L and its % side by side, then the % on a line of its
own, then one figure a line)."""

from __future__ import annotations

from typing import Any, Iterator

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from .. import keymap
from ..format import DOWN, dec, money, signed_money, signed_pct, tone
from .table import TONE_STYLES

Figure = tuple[str, str, str]  # (label, text, tone)
Lines = list[tuple["Figure | None", ...]]  # a line: one figure (or None) per column
GAP = 2  # cells between two label/figure pairs of a line
SPACINGS = (2, 1)  # cells between a label and its figure: roomy when it fits, tight when not
REALIZED_LABEL = "Realized"


def _figure(text: str, figure_tone: str = "") -> Text:
    return Text(text, style=TONE_STYLES.get(figure_tone, ""), justify="right", no_wrap=True)


def account_figures(account: Any) -> tuple[list[Figure], list[Figure], tuple[Figure, Figure], list[str]]:
    """(left column, right column, (day P&L, day %), blocks), every figure bounded."""
    equity, last = dec(account.equity), dec(account.last_equity)
    day_pl = dec(equity - last) if equity is not None and last is not None else None
    day_pct = dec(day_pl / last) if day_pl is not None and last else None
    left = [("Equity", money(equity), ""), ("Cash", money(account.cash), ""),
            ("Buy power", money(account.buying_power), "")]
    right = [("Long MV", money(account.long_market_value), ""), ("Short MV", money(account.short_market_value), "")]
    day = (("Day P&L", signed_money(day_pl), tone(day_pl)), ("Day %", signed_pct(day_pct), tone(day_pct)))
    blocks = [label for flag, label in (
        (account.trading_blocked, "TRADING BLOCKED"), (account.account_blocked, "ACCOUNT BLOCKED"),
        (account.trade_suspended_by_user, "TRADING SUSPENDED"),
    ) if flag]
    return left, right, day, blocks


def realized_figure(realized: Any, complete: bool = True) -> Figure:
    """Today's realized P&L (FIFO): `…` while it is worked out, `—` when it cannot be,
    a `*` when some of today's closes were of shares of unknown cost (left out)."""
    if realized is None:
        return (REALIZED_LABEL, "…", "dim")
    text = signed_money(realized)
    return (REALIZED_LABEL, text + ("" if complete or text == "—" else "*"), tone(realized))


def _columns(*columns: list[Figure]) -> Lines:
    height = max(len(column) for column in columns)
    return [tuple(column[i] if i < len(column) else None for column in columns) for i in range(height)]


class AccountView:
    """The account's figures as a grid chosen for the width it is given."""

    def __init__(self, account: Any, realized: Figure | None = None) -> None:
        self.left, self.right, self.day, self.blocks = account_figures(account)
        self.realized = realized  # today's realized P&L, beside the day's P&L; None: not shown

    def shown(self) -> tuple:
        """Everything the view can show, to skip identical redraws."""
        return tuple(self.left), tuple(self.right), self.day, tuple(self.blocks), self.realized

    def layouts(self) -> Iterator[tuple[int, int, Lines]]:
        """(width needed, spacing, lines), widest first: three columns (the day's P&L and
        realized P&L in the middle, the market values right), then two (the day's figures
        above the market values), the % on a line of its own (Realized then under Buy
        power), then one figure a line."""
        pnl, pct = self.day
        combined = (pnl[0], f"{pnl[1]} {pct[1]}", pnl[2])
        realized = [self.realized] if self.realized is not None else []
        shapes: list[Lines] = []
        if realized:
            shapes.append(_columns(self.left, [combined, *realized], self.right))
            # narrower, still three lines: the market values share one ("L/S MV")
            (_, long_mv, _), (_, short_mv, _) = self.right
            shapes.append(_columns(self.left, [combined, *realized, ("L/S MV", f"{long_mv} {short_mv}", "")]))
        shapes.append(_columns(self.left, [combined, *realized, *self.right]))
        # the % on its own line: Realized under the left column, which has a line to spare
        shapes.append(_columns([*self.left, *realized], [pnl, pct, *self.right]))
        shapes.append(_columns([*self.left, pnl, pct, *realized, *self.right]))
        for lines in shapes:
            for spacing in SPACINGS:
                yield self._width(lines, spacing), spacing, lines

    @staticmethod
    def _width(lines: Lines, spacing: int) -> int:
        def pair(index: int) -> int:
            figures = [line[index] for line in lines if line[index] is not None]
            if not figures:
                return 0
            return max(cell_len(f[0]) for f in figures) + spacing + max(cell_len(f[1]) for f in figures)

        widths = [pair(i) for i in range(len(lines[0]))]
        return sum(widths) + GAP * (len([w for w in widths if w]) - 1)

    def table(self, width: int) -> Table:
        chosen = None
        for needed, spacing, lines in self.layouts():
            chosen = spacing, lines
            if needed <= width:
                break
        assert chosen is not None
        spacing, lines = chosen
        count = len(lines[0])
        grid = Table.grid(padding=(0, spacing))
        for _ in range(count):
            grid.add_column(style="dim", no_wrap=True)
            grid.add_column(justify="right", no_wrap=True)
        for line in lines:
            cells: list[Any] = []
            for index, figure in enumerate(line):
                last = index == count - 1
                pad = "" if last else " " * (GAP - spacing)  # the grid's padding gives the rest
                cells += [figure[0], _figure(figure[1] + pad, figure[2])] if figure else ["", ""]
            grid.add_row(*cells)
        return grid

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self.table(options.max_width)
        if self.blocks:  # a line of its own (wrapped if need be), never widening a column
            yield Text(" · ".join(self.blocks), style=f"bold {DOWN}")

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(1, options.max_width)


class AccountPane(Static, can_focus=True):
    BORDER_TITLE = "Account"
    BINDINGS = keymap.bindings(k for k in keymap.EQUITY if k.id == "account_equity")  # Enter: the equity chart

    def __init__(self, **kwargs) -> None:
        super().__init__("loading…", **kwargs)
        self._shown: tuple | None = None
        self.view: AccountView | None = None
        self.account: Any = None
        self.realized: Figure | None = None

    def show_realized(self, realized: Figure | None) -> None:
        """Today's realized P&L (realized_figure), shown beside the day's P&L."""
        self.realized = realized
        if self.account is not None:
            self.show(self.account)

    def show(self, account: Any) -> None:
        self.account = account
        view = AccountView(account, self.realized)
        # What the view shows, to skip identical redraws and the screen's re-layout when
        # only figures changed: the layout (and height) moves only with their widths.
        shown = view.shown()
        if shown == self._shown:
            return
        shape = None if self._shown is None else tuple(len(str(x)) for x in _flatten(self._shown))
        resized = shape != tuple(len(str(x)) for x in _flatten(shown))
        self._shown, self.view = shown, view
        self.update(view, layout=resized)


def _flatten(shown: tuple) -> Iterator[Any]:
    for item in shown:
        if isinstance(item, tuple):
            yield from _flatten(item)
        else:
            yield item
