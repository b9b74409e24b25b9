"""The Positions pane: one row per holding and a totals row; the title carries the count."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Sequence

from textual.binding import Binding

from ..format import dec, enum_text, money, price, quantity, signed_money, signed_pct, tone
from .table import LiveTable, Row, TableUpdate
from .titles import retitle

TOTAL_KEY = "__total__"

COLUMNS = [
    ("symbol", "Symbol", False), ("side", "Side", False), ("qty", "Qty", True), ("avg", "Avg", True),
    ("price", "Price", True), ("value", "Mkt value", True), ("pl", "Unrl P&L", True), ("plpc", "%", True),
    ("today", "Today", True),
]


def position_rows(positions: Sequence[Any]) -> list[Row]:
    rows: list[Row] = []
    total_value = total_pl = total_today = Decimal(0)
    total_cost = Decimal(0)
    for p in sorted(positions, key=lambda p: p.symbol):
        side = enum_text(p.side)
        rows.append((p.symbol, (
            (p.symbol, ""), (side, "down" if side == "short" else ""), (quantity(p.qty), ""),
            (price(p.avg_entry_price), ""), (price(p.current_price), ""), (money(p.market_value), ""),
            (signed_money(p.unrealized_pl), tone(p.unrealized_pl)),
            (signed_pct(p.unrealized_plpc), tone(p.unrealized_plpc)),
            (signed_money(p.unrealized_intraday_pl), tone(p.unrealized_intraday_pl)),
        )))
        total_value += dec(p.market_value) or 0
        total_pl += dec(p.unrealized_pl) or 0
        total_today += dec(p.unrealized_intraday_pl) or 0
        total_cost += abs(dec(p.cost_basis) or 0)
    if positions:
        plpc = total_pl / total_cost if total_cost else None
        rows.append((TOTAL_KEY, (
            ("Total", "total"), ("", ""), ("", ""), ("", ""), ("", ""), (money(total_value), "total"),
            (signed_money(total_pl), tone(total_pl)), (signed_pct(plpc), tone(plpc)),
            (signed_money(total_today), tone(total_today)),
        )))
    return rows


class PositionsTable(LiveTable):
    BORDER_TITLE = "Positions"
    BINDINGS = [
        Binding("x", "app.close_position", "Close", priority=True, id="close_position"),
    ]

    def __init__(self, **kwargs) -> None:
        super().__init__(COLUMNS, **kwargs)
        self.count: int | None = None

    def show(self, positions: Sequence[Any], update: TableUpdate) -> None:
        """update: position_rows(positions) through a RowDiffer, made off the UI thread."""
        self.count = len(positions)
        retitle(self, f"Positions ({self.count})")
        self.apply(update)

    @property
    def selected_symbol(self) -> str | None:
        key = self.selected_key
        return None if key in (None, TOTAL_KEY) else key
