"""The Account pane: equity, cash, buying power, day P&L, market values and any blocks."""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from ..format import DOWN, dec, money, signed_money, signed_pct, tone
from .table import TONE_STYLES


def _figure(text: str, figure_tone: str = "") -> Text:
    return Text(text, style=TONE_STYLES.get(figure_tone, ""), justify="right", no_wrap=True)


def account_table(account: Any) -> Table:
    equity, last = dec(account.equity), dec(account.last_equity)
    day_pl = equity - last if equity is not None and last is not None else None
    day_pct = day_pl / last if day_pl is not None and last else None
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="dim", no_wrap=True)
    grid.add_column(justify="right", no_wrap=True)
    grid.add_column(style="dim", no_wrap=True)
    grid.add_column(justify="right", no_wrap=True)
    grid.add_row("Equity", _figure(money(equity)), "Day P&L",
                 _figure(f"{signed_money(day_pl)} {signed_pct(day_pct)}", tone(day_pl)))
    grid.add_row("Cash", _figure(money(account.cash)), "Long MV", _figure(money(account.long_market_value)))
    grid.add_row("Buy power", _figure(money(account.buying_power)), "Short MV",
                 _figure(money(account.short_market_value)))
    blocks = [label for flag, label in (
        (account.trading_blocked, "TRADING BLOCKED"), (account.account_blocked, "ACCOUNT BLOCKED"),
        (account.trade_suspended_by_user, "TRADING SUSPENDED"),
    ) if flag]
    if blocks:
        grid.add_row(Text(" · ".join(blocks), style=f"bold {DOWN}"), "", "", "")
    return grid


class AccountPane(Static, can_focus=True):
    BORDER_TITLE = "Account"

    def __init__(self, **kwargs) -> None:
        super().__init__("loading…", **kwargs)
        self._shown: tuple | None = None
        self._rows = 0

    def show(self, account: Any) -> None:
        table = account_table(account)
        # What the grid shows, to skip identical redraws and the screen's re-layout
        # when only figures changed (the height moves only with the number of rows).
        shown = tuple(str(cell) for column in table.columns for cell in column.cells)
        if shown == self._shown:
            return
        resized = self._shown is None or table.row_count != self._rows
        self._shown, self._rows = shown, table.row_count
        self.update(table, layout=resized)
