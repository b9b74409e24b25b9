"""The Positions pane: one row per holding and a totals row; the title carries the count."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Mapping, Sequence

from .. import keymap
from ..messages import SymbolChosen

from ..format import dec, instrument, money, price, quantity, signed_money, signed_pct, tone, word
from .table import LiveTable, Row, TableUpdate, hidden_note
from .titles import retitle

TOTAL_KEY = "__total__"

COLUMNS = [
    ("symbol", "Symbol", False), ("side", "Side", False), ("qty", "Qty", True), ("avg", "Avg", True),
    ("price", "Price", True), ("value", "Mkt value", True), ("pl", "Unrl P&L", True), ("plpc", "%", True),
    ("today", "Today", True),
]
# Hidden first when the pane is too narrow for every figure whole. Side can go early: a
# short's quantity carries its minus. The symbol always stays.
DROP_ORDER = ("side", "avg", "today", "plpc", "pl", "value", "price", "qty")


def _total(values: list[Decimal | None]) -> Decimal | None:
    """A sum of bounded figures, bounded again; unknown if any part is (a total that
    silently leaves a position out would be a wrong figure, not a smaller one)."""
    if any(value is None for value in values):
        return None
    return dec(sum(values, Decimal(0)))


def position_cells(p: Any, mark: str = "") -> tuple:
    """One position's cells; `mark` follows the price when it is old (" 15s")."""
    side = word(p.side)
    qty = quantity(p.qty)
    if side == "short" and qty[:1] not in ("-", "—"):
        qty = "-" + qty  # Alpaca signs a short's qty; never let a short read as long
    return (
        (instrument(p.symbol, getattr(p, "asset_class", None)), ""), (side, "down" if side == "short" else ""),
        (qty, ""), (price(p.avg_entry_price), ""), (price(p.current_price) + mark, "dim" if mark else ""),
        (money(p.market_value), ""),
        (signed_money(p.unrealized_pl), tone(p.unrealized_pl)),
        (signed_pct(p.unrealized_plpc), tone(p.unrealized_plpc)),
        (signed_money(p.unrealized_intraday_pl), tone(p.unrealized_intraday_pl)),
    )


def position_figures(p: Any) -> tuple[Decimal | None, ...]:
    """(market value, unrealized P&L, today's P&L, |cost basis|): what the totals add up."""
    cost = dec(p.cost_basis)
    return dec(p.market_value), dec(p.unrealized_pl), dec(p.unrealized_intraday_pl), \
        None if cost is None else abs(cost)


Cached = tuple[Any, str, tuple, tuple]  # (position, mark, cells, figures)


def position_rows(positions: Sequence[Any], marks: Mapping[str, str] | None = None,
                  cache: dict[str, list[Cached]] | None = None) -> list[Row]:
    """The table's rows and a totals row. marks: symbol -> its price's age note. cache:
    symbol -> the rows made for it by the last calls (two: the positions read and the ones
    shown may be either), reused while position and mark are the same (a tick reprices a
    few positions; the other 990 rows are not built again)."""
    rows: list[Row] = []
    values: list[Decimal | None] = []
    pls: list[Decimal | None] = []
    todays: list[Decimal | None] = []
    costs: list[Decimal | None] = []
    marks = marks or {}
    kept: dict[str, list[Cached]] = {}
    for p in sorted(positions, key=lambda p: str(p.symbol)):
        symbol = str(p.symbol)
        mark = marks.get(symbol, "")
        earlier = cache.get(symbol, []) if cache is not None else []
        entry = next((e for e in earlier if e[0] is p and e[1] == mark), None)
        if entry is None:
            entry = (p, mark, position_cells(p, mark), position_figures(p))
        kept[symbol] = [entry] + [e for e in earlier if e is not entry][:1]
        _, _, cells, (value, pl, today, cost) = entry
        rows.append((symbol, cells))
        values.append(value)
        pls.append(pl)
        todays.append(today)
        costs.append(cost)
    if cache is not None:
        cache.clear()
        cache.update(kept)
    if positions:
        total_value, total_pl, total_today, total_cost = map(_total, (values, pls, todays, costs))
        plpc = dec(total_pl / total_cost) if total_pl is not None and total_cost else None
        rows.append((TOTAL_KEY, (
            ("Total", "total"), ("", ""), ("", ""), ("", ""), ("", ""), (money(total_value), "total"),
            (signed_money(total_pl), tone(total_pl)), (signed_pct(plpc), tone(plpc)),
            (signed_money(total_today), tone(total_today)),
        )))
    return rows


class PositionsTable(LiveTable):
    BORDER_TITLE = "Positions"
    BINDINGS = keymap.bindings(keymap.POSITIONS)

    def __init__(self, **kwargs) -> None:
        super().__init__(COLUMNS, drop_order=DROP_ORDER, footer_keys=(TOTAL_KEY,), **kwargs)
        self.count: int | None = None
        self.stale_note = ""  # e.g. "last data 12s ago", while the positions cannot be refreshed

    def show(self, positions: Sequence[Any], update: TableUpdate) -> None:
        """update: position_rows(positions) through a RowDiffer, made off the UI thread."""
        self.count = len(positions)
        retitle(self, f"Positions ({self.count})")
        self.apply(update)

    def mark_stale(self, note: str) -> None:
        if note != self.stale_note:
            self.stale_note = note
            self._resubtitle()

    def on_live_table_columns_hidden(self, event: LiveTable.ColumnsHidden) -> None:
        event.stop()
        self._resubtitle()

    def _resubtitle(self) -> None:
        retitle(self, subtitle=" · ".join(bit for bit in (self.stale_note, hidden_note(self.hidden_columns)) if bit))

    def on_data_table_row_selected(self, event: LiveTable.RowSelected) -> None:
        event.stop()
        key = event.row_key.value
        if key and key != TOTAL_KEY:
            self.post_message(SymbolChosen(key))

    @property
    def selected_symbol(self) -> str | None:
        key = self.selected_key
        return None if key in (None, TOTAL_KEY) else key
