"""The Orders pane: open orders (bracket legs under their parent), then as `f` cycles, the
closed orders, all orders (Alpaca's history, read as the user scrolls: ui/order_history.py)
and recent fills, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable, Sequence

from textual.app import ComposeResult
from .. import keymap
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive

from ...broker.activity import FillRow
from ...numbers import moment
from ...terms import NEW_YORK
from ...state.orders import order_version
from ...state.slippage import Slip, SlippageBook
from ..format import (
    DASH, basis_points, dec, enum_text, instrument, money, multiplier, ny_time, price, quantity, signed_dollars,
    signed_price, tone, word,
)
from .titles import retitle
from .table import Cell, LiveTable, Row, hidden_note

ORDER_COLUMNS = [
    ("time", "Time", False), ("symbol", "Symbol", False), ("side", "Side", False), ("type", "Type", False),
    ("qty", "Qty", True), ("filled", "Filled", True), ("price", "Price", True), ("tif", "TIF", False),
    ("status", "Status", False),
]
FILL_COLUMNS = [
    ("time", "Time", False), ("symbol", "Symbol", False), ("side", "Side", False), ("qty", "Qty", True),
    ("price", "Price", True), ("value", "Value", True), ("slip", "Slip", True),
]
# Hidden first when the pane is too narrow for every figure whole; symbol and side stay.
ORDER_DROP_ORDER = ("time", "filled", "status", "tif", "type", "price", "qty")
FILL_DROP_ORDER = ("time", "slip", "value", "price", "qty")
SHORT_TYPES = {"market": "mkt", "limit": "lmt", "stop": "stp", "stop_limit": "stp lmt", "trailing_stop": "trail"}


def order_label(order: Any) -> str:
    """An order in a few words for a notification: `SELL 10 AAPL lmt L 250.00`."""
    kind = enum_text(order.type or order.order_type)
    qty = quantity(order.qty) if order.qty is not None else f"${money(order.notional)}"
    return (f"{word(enum_text(order.side)).upper()} {qty} {instrument(order.symbol or '')} "
            f"{SHORT_TYPES.get(kind, word(kind))} {price_text(order)}").replace(" mkt mkt", " mkt")


def price_text(order: Any) -> str:
    bits = []
    if order.stop_price is not None:
        bits.append(f"S {price(order.stop_price)}")
    if order.limit_price is not None:
        bits.append(f"L {price(order.limit_price)}")
    if order.trail_percent is not None:
        bits.append(f"T {quantity(order.trail_percent)}%")
    elif order.trail_price is not None:
        bits.append(f"T {price(order.trail_price)}")
    return " ".join(bits) or "mkt"


def tif_text(order: Any) -> str:
    """Time in force, with `+ext` when the order may fill outside regular hours (a word,
    so it reads without colour)."""
    tif = word(order.time_in_force).upper()
    return f"{tif}+ext" if getattr(order, "extended_hours", False) is True else tif


VIEWS = ("open", "closed", "all", "fills")  # the order `f` goes through them
VIEW_NAMES = {"open": "open orders", "closed": "closed orders", "all": "all orders", "fills": "recent fills"}


def when_text(at: Any, dated: bool) -> str:
    """An order's time: the New York time, with the date in the history views."""
    if not dated:
        return ny_time(at, seconds=False)
    at = moment(at)
    return DASH if at is None else at.astimezone(NEW_YORK).strftime("%m-%d %H:%M")


def _order_cells(order: Any, leg: bool = False, dated: bool = False) -> tuple[Cell, ...]:
    kind = word(order.type or order.order_type)
    side = word(order.side)
    if leg:
        label = "└ take profit" if kind == "limit" else "└ stop loss" if "stop" in kind else "└ leg"
        symbol: Cell = (label, "dim")
    else:
        symbol = (instrument(order.symbol or "", getattr(order, "asset_class", None)), "")
    qty = quantity(order.qty) if order.qty is not None else f"${money(order.notional)}"
    return (
        (when_text(order.submitted_at or order.created_at, dated), "dim" if leg else ""), symbol,
        (side.upper(), "up" if side == "buy" else "down"), (SHORT_TYPES.get(kind, kind), ""),
        (qty, ""), (quantity(order.filled_qty), ""), (price_text(order), ""),
        (tif_text(order), ""), (word(order.status), "warn" if leg else ""),
    )


def order_rows(orders: Sequence[Any], cache: dict[str, tuple[Any, tuple[Cell, ...]]] | None = None,
               dated: bool = False) -> list[Row]:
    """Rows for orders and their legs. With `cache`, an order whose version is unchanged
    keeps its cells: a refresh of 2,000 resting orders then formats next to nothing."""
    cache = {} if cache is None else cache
    rows: list[Row] = []

    def cells(order: Any, leg: bool) -> tuple[Cell, ...]:
        key = str(order.id)
        version = (order_version(order), leg, dated)
        cached = cache.get(key)
        if cached is None or cached[0] != version:
            cached = cache[key] = (version, _order_cells(order, leg=leg, dated=dated))
        return cached[1]

    for order in orders:
        rows.append((str(order.id), cells(order, False)))
        for leg in order.legs or []:
            rows.append((str(leg.id), cells(leg, True)))
    return rows


def fill_value(fill: FillRow) -> Decimal | None:
    """What a fill was worth: qty × price (× 100 for an option contract), bounded."""
    qty, fill_price = dec(fill.qty), dec(fill.price)
    if qty is None or fill_price is None:
        return None
    return dec(qty * fill_price * multiplier(fill.symbol))


def fill_key(fill: FillRow) -> str:
    return fill.id or f"{fill.order_id}:{fill.at.isoformat()}"


def slip_cell(slip: Slip | None) -> Cell:
    """Per share against the quote shown at send, signed as P&L; blank when not measured
    (a limit order, or one sent from elsewhere)."""
    if slip is None:
        return ("", "")
    return (signed_price(slip.per_share), tone(slip.per_share))


def fill_rows(fills: Sequence[FillRow], slip_of: Callable[[FillRow], Slip | None] | None = None) -> list[Row]:
    return [(fill_key(f), (
        (ny_time(f.at), ""), (instrument(f.symbol), ""),
        ("BUY" if f.side == "buy" else "SELL", "up" if f.side == "buy" else "down"),
        (quantity(f.qty), ""), (price(f.price), ""), (money(fill_value(f)), ""),
        slip_cell(slip_of(f) if slip_of is not None else None),
    )) for f in fills]


def slip_summary(slip: Slip | None) -> str:
    """The fills view's average: "slip -1.2 bp, -$0.30 over 2 market fills"."""
    if slip is None:
        return ""
    fills = f"{slip.fills} mkt fill{'s' if slip.fills != 1 else ''}"
    return f"slip {basis_points(slip.bp)}, {signed_dollars(slip.amount)} on {fills}"


class OrdersTable(LiveTable):
    BINDINGS = keymap.bindings(keymap.ORDERS_TABLE)

    def __init__(self, **kwargs) -> None:
        super().__init__(ORDER_COLUMNS, drop_order=ORDER_DROP_ORDER, **kwargs)

    def on_data_table_row_selected(self, event: LiveTable.RowSelected) -> None:
        open_detail(self, event)


def open_detail(table: LiveTable, event: LiveTable.RowSelected) -> None:
    """Enter (or a click on the selected row): the order's detail, which the app opens. A
    direct call, not an action string: the key is an id from the server."""
    event.stop()
    key = event.row_key.value
    if key:
        table.app.action_order_detail(str(key))  # type: ignore[attr-defined]


class FillsTable(LiveTable):
    def __init__(self, **kwargs) -> None:
        super().__init__(FILL_COLUMNS, drop_order=FILL_DROP_ORDER, **kwargs)

    def on_data_table_row_selected(self, event: LiveTable.RowSelected) -> None:
        """Enter on a fill: its order's detail (the app finds or reads the order)."""
        event.stop()
        pane = next((a for a in self.ancestors if isinstance(a, OrdersPane)), None)
        fill = pane.fills_by_row.get(str(event.row_key.value)) if pane is not None else None
        if fill is not None and fill.order_id:
            self.app.action_fill_order_detail(fill.order_id)  # type: ignore[attr-defined]


class HistoryTable(LiveTable):
    """Closed or all orders, newest first, with their dates."""

    # m here too: an open one (the all view) is modified, a closed one refused in plain words
    BINDINGS = keymap.bindings(k for k in keymap.ORDERS_TABLE if k.id == "modify_order")

    def __init__(self, **kwargs) -> None:
        super().__init__(ORDER_COLUMNS, drop_order=ORDER_DROP_ORDER, **kwargs)

    def on_data_table_row_selected(self, event: LiveTable.RowSelected) -> None:
        open_detail(self, event)


class OrdersPane(Vertical):
    """Open orders, closed orders, all orders or recent fills; the title says which, and
    always carries the open-order count."""

    BINDINGS = keymap.bindings(keymap.ORDERS_PANE)
    view: reactive[str] = reactive("open")

    @dataclass
    class ViewChanged(Message):
        """`f` moved the pane to another view: the app reads the history for closed and all."""

        view: str

    @dataclass
    class NearEnd(Message):
        """The cursor in the history is `row` of `rows`: time to read the next page."""

        row: int
        rows: int

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.order_count: int | None = None
        self.fill_count = 0
        self.fill_slip: Slip | None = None  # the fills' average slippage, of those measured
        self.fills_by_row: dict[str, FillRow] = {}
        self.orders_by_row: dict[str, Any] = {}
        self.history_by_row: dict[str, Any] = {}
        self.history_note = ""  # "3 symbols · 2026-11-01..", "loading…", a failure
        self.history_more = False
        self.stale_note = ""  # e.g. "last data 12s ago", while the orders cannot be refreshed
        self._row_cache: dict[str, tuple[Any, tuple[Cell, ...]]] = {}
        self._history_cache: dict[str, tuple[Any, tuple[Cell, ...]]] = {}

    def compose(self) -> ComposeResult:
        yield OrdersTable(id="orders-table")
        yield HistoryTable(id="history-table")
        yield FillsTable(id="fills-table")

    def on_mount(self) -> None:
        self.query_one(FillsTable).display = False
        self.query_one(HistoryTable).display = False
        self._retitle()

    @property
    def showing_fills(self) -> bool:
        return self.view == "fills"

    @showing_fills.setter
    def showing_fills(self, showing: bool) -> None:
        self.view = "fills" if showing else "open"

    def _retitle(self) -> None:
        count = "…" if self.order_count is None else str(self.order_count)
        following = VIEW_NAMES[VIEWS[(VIEWS.index(self.view) + 1) % len(VIEWS)]]
        if self.view == "fills":
            title = f"Orders ({count}) · Recent fills ({self.fill_count})"
            if self.fill_slip is not None:
                title += f" · {slip_summary(self.fill_slip)}"
        elif self.view == "open":
            title = f"Orders ({count})"
        else:
            shown = len(self.history_by_row)
            title = f"Orders ({count}) · {self.view} ({shown:,}{'+' if self.history_more else ''})"
        hidden = hidden_note(self.active_table.hidden_columns) if self.is_mounted else ""
        history = self.history_note if self.view in ("closed", "all") else ""
        subtitle = " · ".join(bit for bit in (self.stale_note, history, hidden, f"f: {following}") if bit)
        retitle(self, title, subtitle)

    def on_live_table_columns_hidden(self, event: LiveTable.ColumnsHidden) -> None:
        event.stop()
        self._retitle()

    def on_data_table_row_highlighted(self, event: LiveTable.RowHighlighted) -> None:
        if event.data_table is self.query_one(HistoryTable):
            self.post_message(self.NearEnd(event.cursor_row, event.data_table.row_count))

    def mark_stale(self, note: str) -> None:
        if note != self.stale_note:
            self.stale_note = note
            self._retitle()

    def show_orders(self, orders: Sequence[Any]) -> None:
        # The title counts the rows it lists: orders and their bracket legs (which a cancel-all
        # cancels, and counts, too).
        self.order_count = sum(1 + len(order.legs or []) for order in orders)
        self.orders_by_row = {}
        for order in orders:
            self.orders_by_row[str(order.id)] = order
            for leg in order.legs or []:
                self.orders_by_row[str(leg.id)] = leg
        rows = order_rows(orders, self._row_cache)
        live = {key for key, _ in rows}
        self._row_cache = {key: value for key, value in self._row_cache.items() if key in live}
        self.query_one(OrdersTable).sync(rows)
        self._retitle()

    def show_history(self, orders: Sequence[Any], more: bool, note: str) -> None:
        """The closed or all view's orders so far (each page adds to them)."""
        self.history_by_row = {}
        for order in orders:
            self.history_by_row[str(order.id)] = order
            for leg in order.legs or []:
                self.history_by_row[str(leg.id)] = leg
        rows = order_rows(orders, self._history_cache, dated=True)
        live = {key for key, _ in rows}
        self._history_cache = {key: value for key, value in self._history_cache.items() if key in live}
        self.history_more, self.history_note = more, note
        table = self.query_one(HistoryTable)
        table.sync(rows)
        if not orders:
            table.move_cursor(row=0)  # a new view or filter starts at the newest order
        self._retitle()

    def show_fills(self, fills: Sequence[FillRow], slippage: SlippageBook | None = None) -> None:
        """slippage: the quotes market orders were sent at, to measure their fills by."""
        self.fill_count = len(fills)
        self.fills_by_row = {fill_key(f): f for f in fills}
        self.fill_slip = slippage.of_fills(fills) if slippage is not None else None
        self.query_one(FillsTable).sync(fill_rows(fills, slippage.of_fill if slippage is not None else None))
        self._retitle()

    @property
    def active_table(self) -> LiveTable:
        if self.view == "fills":
            return self.query_one(FillsTable)
        if self.view in ("closed", "all"):
            return self.query_one(HistoryTable)
        return self.query_one(OrdersTable)

    @property
    def selected_order(self) -> Any | None:
        """The order under the cursor: an open one, or one of the history's."""
        if self.view == "open":
            key = self.query_one(OrdersTable).selected_key
            return self.orders_by_row.get(key) if key else None
        if self.view in ("closed", "all"):
            key = self.query_one(HistoryTable).selected_key
            return self.history_by_row.get(key) if key else None
        return None

    def action_toggle_fills(self) -> None:
        """`f`: the next view (the key's id predates the history views)."""
        self.view = VIEWS[(VIEWS.index(self.view) + 1) % len(VIEWS)]

    def watch_view(self, old: str, view: str) -> None:
        had_focus = self.has_focus_within if self.is_mounted else False
        self.query_one(FillsTable).display = view == "fills"
        self.query_one(HistoryTable).display = view in ("closed", "all")
        self.query_one(OrdersTable).display = view == "open"
        if view not in ("closed", "all"):
            self.history_by_row, self._history_cache, self.history_more, self.history_note = {}, {}, False, ""
            self.query_one(HistoryTable).sync([])
        self._retitle()
        if had_focus:
            self.active_table.focus()
        self.post_message(self.ViewChanged(view))
