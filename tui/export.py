"""Writers for exports: positions, orders, fills, activities and realized P&L as CSV or JSON.

Pure functions of parsed rows and a file object, for `alpaca-tui export` and (later) the
UI's export key alike; nothing here reads the network or the environment, and nothing
imports Textual.

Columns are named after Alpaca's own fields. Values are raw: numbers as plain decimals
(no thousands separators, no exponent: `1234.5`, `-0.25`), timestamps in ISO 8601 with
their offset, enums as Alpaca's words, a missing or unreadable value as an empty CSV cell
(null in JSON). Numbers are read through tui.numbers (junk becomes empty, never a crash),
text through tui.text.clean (no control characters or escape sequences).

CSV formula injection: a spreadsheet opening the CSV runs a cell that starts with `=`, `+`,
`-` or `@` (or a tab or carriage return, which some treat the same) as a formula, and the
text cells come from the server (a description, a client_order_id someone chose). Such a
text cell gets a leading apostrophe, which spreadsheets show as text. Number cells are
written by this module from Decimals, so a negative number (`-12.5`) is left as it is.
JSON is not a spreadsheet format: its strings are written unchanged.
"""

from __future__ import annotations

import csv
import json
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import IO, Any, Iterable, Mapping, Sequence
from uuid import UUID

from .numbers import moment, number
from .terms import plain
from .text import clean

POSITION_COLUMNS = (
    "symbol", "asset_id", "exchange", "asset_class", "side", "qty", "qty_available", "avg_entry_price",
    "cost_basis", "current_price", "lastday_price", "change_today", "market_value", "unrealized_pl",
    "unrealized_plpc", "unrealized_intraday_pl", "unrealized_intraday_plpc",
)
ORDER_COLUMNS = (
    "id", "client_order_id", "symbol", "asset_class", "side", "type", "order_class", "qty", "notional",
    "filled_qty", "filled_avg_price", "limit_price", "stop_price", "trail_price", "trail_percent",
    "time_in_force", "extended_hours", "status", "position_intent", "created_at", "submitted_at", "filled_at",
    "canceled_at", "expired_at", "failed_at", "replaced_at", "replaced_by", "replaces",
)
FILL_COLUMNS = (
    "id", "activity_type", "transaction_time", "type", "symbol", "side", "qty", "price", "cum_qty",
    "leaves_qty", "order_id", "order_status",
)
ACTIVITY_COLUMNS = (
    "id", "activity_type", "date", "transaction_time", "type", "symbol", "side", "qty", "price",
    "net_amount", "per_share_amount", "cum_qty", "leaves_qty", "order_id", "order_status", "status",
    "description",
)
# One row per closing fill of tui.state.realized (FIFO lots): the fill in Alpaca's words,
# then what it closed. `position_side` is the side of the lots closed (long or short);
# `cost_basis` what the matched lots cost when opened (qty x open price, positive for a
# short too); `realized_pl` and `cost_basis` empty when no lot of known cost was matched.
REALIZED_COLUMNS = (
    "transaction_time", "symbol", "side", "position_side", "qty", "price", "realized_pl", "cost_basis",
    "avg_open_price", "matched_qty", "unmatched_qty", "same_day", "same_day_qty", "method", "id", "order_id",
)
NUMBER_COLUMNS = frozenset({
    "qty", "qty_available", "avg_entry_price", "cost_basis", "current_price", "lastday_price", "change_today",
    "market_value", "unrealized_pl", "unrealized_plpc", "unrealized_intraday_pl", "unrealized_intraday_plpc",
    "notional", "filled_qty", "filled_avg_price", "limit_price", "stop_price", "trail_price", "trail_percent",
    "price", "cum_qty", "leaves_qty", "net_amount", "per_share_amount",
    "realized_pl", "avg_open_price", "matched_qty", "unmatched_qty", "same_day_qty",
})
TIME_COLUMNS = frozenset({
    "created_at", "submitted_at", "filled_at", "canceled_at", "expired_at", "failed_at", "replaced_at",
    "updated_at", "transaction_time",
})
DATE_COLUMNS = frozenset({"date"})
BOOL_COLUMNS = frozenset({"extended_hours", "asset_marginable", "same_day"})
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MAX_CELL = 2000  # characters of one text cell


# ---- rows: Alpaca's field names, raw values ---------------------------------------------------

def position_rows(positions: Iterable[Any]) -> list[dict[str, Any]]:
    """Positions (alpaca-py models, or dicts as Alpaca sends them) as rows of POSITION_COLUMNS."""
    return [row(p, POSITION_COLUMNS) for p in positions]


def order_rows(orders: Iterable[Any]) -> list[dict[str, Any]]:
    """Orders (alpaca-py models or dicts) as rows of ORDER_COLUMNS; a bracket's legs follow
    their parent as rows of their own."""
    out: list[dict[str, Any]] = []
    for order in orders:
        out.append(row(order, ORDER_COLUMNS))
        legs = _get(order, "legs")
        for leg in legs if isinstance(legs, (list, tuple)) else ():
            if leg is not None and not isinstance(leg, (str, bytes, int, float)):
                out.append(row(leg, ORDER_COLUMNS))
    return out


def fill_rows(fills: Iterable[Any]) -> list[dict[str, Any]]:
    """FILL activities (tui.broker.activities.TradeActivity) as rows of FILL_COLUMNS."""
    return [row(f, FILL_COLUMNS) for f in fills]


def activity_rows(activities: Iterable[Any]) -> list[dict[str, Any]]:
    """Activities of any type as rows of ACTIVITY_COLUMNS (fields a type lacks are empty)."""
    return [row(a, ACTIVITY_COLUMNS) for a in activities]


def realized_rows(closes: Iterable[Any], method: str = "FIFO") -> list[dict[str, Any]]:
    """Closes (tui.state.realized.Close, whose METHOD `method` is: not imported, this module
    stays below the account state) as rows of REALIZED_COLUMNS, exact: no figure is rounded
    but the average open price (a quotient, to 28 digits)."""
    out = []
    for close in closes:
        matched = bool(close.lots)
        out.append(row({
            "transaction_time": close.at, "symbol": close.symbol, "side": close.side,
            "position_side": "short" if close.short else "long", "qty": close.qty, "price": close.close_price,
            "realized_pl": close.realized if matched else None, "cost_basis": close.cost if matched else None,
            "avg_open_price": close.open_price, "matched_qty": close.matched, "unmatched_qty": close.unmatched,
            "same_day": close.same_day, "same_day_qty": close.same_day_qty, "method": method,
            "id": close.fill_id or None, "order_id": close.order_id or None,
        }, REALIZED_COLUMNS))
    return out


def row(item: Any, columns: Sequence[str]) -> dict[str, Any]:
    """`item`'s fields named in `columns`, each as a raw value: Decimal, datetime, date,
    str, bool or None."""
    return {name: value(name, _get(item, name)) for name in columns}


def value(name: str, raw: Any) -> Any:
    """One field as exported: bounded numbers, aware times, clean text."""
    if isinstance(raw, Enum):
        raw = raw.value
    if raw is None:
        return None
    if name in NUMBER_COLUMNS:
        return number(raw)
    if name in TIME_COLUMNS:
        return moment(raw)
    if name in BOOL_COLUMNS:
        return raw if isinstance(raw, bool) else None
    if name in DATE_COLUMNS:
        if isinstance(raw, datetime):
            return moment(raw)
        return raw if isinstance(raw, date) else None
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, UUID):
        return str(raw)
    if isinstance(raw, (dict, list, tuple)):
        return None
    return clean(raw, one_line=True, limit=MAX_CELL)


def _get(item: Any, name: str) -> Any:
    if isinstance(item, Mapping):
        return item.get(name)
    return getattr(item, name, None)


# ---- writers -----------------------------------------------------------------------------------

def text_of(cell: Any) -> str:
    """A value as text: Decimal plain, times ISO 8601, booleans as Alpaca writes them."""
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "true" if cell else "false"
    if isinstance(cell, Decimal):
        return plain(cell)
    if isinstance(cell, (datetime, date)):
        return cell.isoformat()
    return str(cell)


def csv_cell(cell: Any) -> str:
    """A CSV cell: text that a spreadsheet would take for a formula gets a leading
    apostrophe (see the module docstring); numbers, times and booleans as they are."""
    text = text_of(cell)
    if isinstance(cell, str) and text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def write_csv(rows: Iterable[Mapping[str, Any]], columns: Sequence[str], out: IO[str]) -> int:
    """Rows as CSV with a header line of `columns`; returns the number of rows written.
    Open a file with newline="" (the csv module writes its own line ends)."""
    writer = csv.writer(out)
    writer.writerow(columns)
    count = 0
    for item in rows:
        writer.writerow([csv_cell(item.get(name)) for name in columns])
        count += 1
    return count


def write_json(rows: Iterable[Mapping[str, Any]], columns: Sequence[str], out: IO[str]) -> int:
    """Rows as a JSON list of objects with the keys in `columns`; numbers as strings, as
    Alpaca sends them (a float would lose digits), missing values as null."""
    items = [{name: (None if item.get(name) is None else
                     item.get(name) if isinstance(item.get(name), bool) else text_of(item.get(name)))
              for name in columns} for item in rows]
    json.dump(items, out, indent=2, ensure_ascii=False)
    out.write("\n")
    return len(items)


WRITERS = {"csv": write_csv, "json": write_json}


def write(rows: Iterable[Mapping[str, Any]], columns: Sequence[str], out: IO[str], fmt: str = "csv") -> int:
    """`rows` in `fmt` (csv or json) to `out`; returns the number of rows."""
    try:
        writer = WRITERS[fmt]
    except KeyError:
        raise ValueError(f"format must be csv or json, not {fmt!r}") from None
    return writer(rows, columns, out)
