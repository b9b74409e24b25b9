"""Fills, as the account's FILL activities report them, and the day-trade count built from them.

The live service stopped sending `daytrade_count` on 2026-07-06 (docs/api-facts.md §8), so the
app counts day trades itself from the fills of the last 5 trading days.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Iterable, Mapping

from ..daytrades import DayTradeCounter, Fill
from ..numbers import moment, number
from ..terms import NEW_YORK, SIDES

FILL_SIDES = (*SIDES, "sell_short")  # a FILL activity's side: a sell that opened a short says so
WINDOW_DAYS = 5


@dataclass(frozen=True)
class FillRow:
    id: str
    at: datetime
    symbol: str
    side: str  # buy | sell | sell_short
    qty: Decimal
    price: Decimal
    order_id: str

    @property
    def day(self) -> date:
        return self.at.astimezone(NEW_YORK).date()


def parse_fill(raw: Any) -> FillRow | None:
    """One FILL activity (or a trade_updates fill), or None when it is not one we can read.
    Quantity, price and time are bounded (tui.numbers): a fill of `1e500000` shares, a NaN
    price or a time in the year 9999 is skipped, never computed with."""
    if not isinstance(raw, dict):
        return None
    side = str(raw.get("side", "")).lower()
    qty, price, at = number(raw.get("qty")), number(raw.get("price")), moment(raw.get("transaction_time"))
    symbol = raw.get("symbol")
    if side not in FILL_SIDES or qty is None or qty <= 0 or price is None or at is None:
        return None
    if not isinstance(symbol, str) or not symbol:
        return None
    return FillRow(str(raw.get("id", "")), at, symbol, side, qty, price, str(raw.get("order_id", "")))


def fill_of(activity: Any) -> FillRow | None:
    """A FILL activity (tui.broker.activities.TradeActivity) as realized P&L takes it; None
    when it is not one or a figure is missing."""
    from .activities import TradeActivity

    if not isinstance(activity, TradeActivity):
        return None
    a = activity
    if (a.transaction_time is None or not a.symbol or a.side not in FILL_SIDES or a.qty is None or a.qty <= 0
            or a.price is None):
        return None
    return FillRow(a.id or "", a.transaction_time, a.symbol, a.side, a.qty, a.price, a.order_id or "")


def parse_fills(raw: Iterable[Any]) -> list[FillRow]:
    """Readable fills, newest first; anything malformed is skipped."""
    rows = [row for row in map(parse_fill, raw) if row is not None]
    rows.sort(key=lambda r: r.at, reverse=True)
    return rows


def window_days(trading_days: Iterable[date], today: date, days: int = WINDOW_DAYS) -> list[date]:
    """The last `days` trading days up to today (today counts even if it is not one)."""
    past = sorted({d for d in trading_days if d < today})
    return past[-(days - 1):] + [today] if days > 1 else [today]


class DayTradeBook:
    """The day trades in the window, and whether a new order would complete another."""

    def __init__(self, fills: Iterable[FillRow], window: list[date], positions: Mapping[str, Decimal]) -> None:
        start = min(window) if window else None
        chosen = sorted((f for f in fills if start is None or f.day >= start), key=lambda f: f.at)
        # Positions before the first fill = positions now minus what the fills did.
        overnight: dict[str, Decimal] = defaultdict(Decimal, {s: Decimal(q) for s, q in positions.items()})
        for fill in chosen:
            overnight[fill.symbol] -= fill.qty if fill.side == "buy" else -fill.qty
        self._counter = DayTradeCounter(overnight)
        for fill in chosen:
            self._counter.add(Fill(fill.day, fill.symbol, fill.side, fill.qty, fill.at))
        self.window = window
        self.count = self._counter.count(window)

    def would_day_trade(self, day: date, symbol: str, side: str, qty: Decimal | None) -> bool:
        try:
            return self._counter.would_day_trade(day, symbol, side, qty)
        except ValueError:  # a query for a day before the last fill: clock skew, not a day trade
            return False
