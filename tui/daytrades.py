"""Day-trade counting under the legacy FINRA pattern-day-trader (PDT) rule.

Shared by the simulator (``--pdt legacy``: report ``daytrade_count``, reject the order that
would make the 4th day trade) and the UI (the live service stopped sending the count on
2026-07-06, so the UI computes it from fills). It works on plain fills and knows no market
calendar: the caller says which trading day each fill belongs to and which days form the
5-day window.

Rule as implemented, per symbol (it reproduces every example in the API notes):

* Shares held overnight are closed first, so closing them is never a day trade.
* A closing fill (one that reduces the position) completes a day trade when it closes shares
  opened today *and* there has been an opening fill since the last counted day trade.
  Consecutive closing fills after the same opening run therefore count once:
  buy 500, sell 100, sell 100, sell 300 -> 1; buy 100, sell 100, buy 100, sell 100 -> 2.
* Shorts are symmetric (sell short, then buy to cover).
* A fill that crosses zero (Alpaca forbids it, but be robust) closes up to zero and opens
  the remainder on the other side.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Iterable, Mapping

PDT_EQUITY_THRESHOLD = Decimal("25000")  # protection applies below this last_equity
PDT_MAX_DAY_TRADES = 3  # day trades allowed in the window; the 4th flags the account

_ZERO = Decimal(0)


def side_sign(side: str) -> int:
    """+1 for buys, -1 for sells; fill activities also say ``sell_short``."""
    s = str(getattr(side, "value", side)).lower()
    if s == "buy":
        return 1
    if s in ("sell", "sell_short"):
        return -1
    raise ValueError(f"unknown side {side!r}")


@dataclass(frozen=True)
class Fill:
    """One execution. ``qty`` is per execution (not cumulative) and must be > 0."""

    day: date  # trading day the fill belongs to (caller computes it in New York time)
    symbol: str
    side: str  # "buy" | "sell" ("sell_short" accepted)
    qty: Decimal
    at: datetime | None = None  # ordering/reference only

    def __post_init__(self) -> None:
        if not isinstance(self.qty, Decimal):  # tolerate str/int/float from JSON
            object.__setattr__(self, "qty", Decimal(str(self.qty)))
        if self.qty <= 0:
            raise ValueError(f"fill qty must be > 0, got {self.qty}")
        side_sign(self.side)  # validate early


class _SymbolState:
    __slots__ = ("day", "pos", "carried", "armed")

    def __init__(self, pos: Decimal) -> None:
        self.day: date | None = None
        self.pos = pos  # signed position now
        self.carried = pos  # signed part of pos held since before ``day`` (closed first)
        self.armed = False  # an opening fill happened since the last counted day trade

    def roll(self, day: date) -> None:
        """Move to ``day``: everything held now becomes overnight shares."""
        if self.day is not None and day < self.day:
            raise ValueError(f"fill for {day} after one for {self.day}: feed fills in time order")
        if day != self.day:
            self.day, self.carried, self.armed = day, self.pos, False


class DayTradeCounter:
    """Feed fills in time order with :meth:`add`; query with :meth:`count`.

    ``overnight`` gives signed positions (short < 0) held before the first fill of each
    symbol. After that the counter carries each symbol's end-of-day position into the
    next trading day it sees a fill or query for.
    """

    def __init__(self, overnight: Mapping[str, Decimal] | None = None) -> None:
        self._overnight = {s: Decimal(str(q)) for s, q in (overnight or {}).items()}
        self._symbols: dict[str, _SymbolState] = {}
        self._per_day: dict[date, int] = defaultdict(int)

    def _state(self, symbol: str) -> _SymbolState:
        st = self._symbols.get(symbol)
        if st is None:
            st = self._symbols[symbol] = _SymbolState(self._overnight.get(symbol, _ZERO))
        return st

    def add(self, fill: Fill) -> bool:
        """Apply one fill; True if it completed a new day trade."""
        st = self._state(fill.symbol)
        st.roll(fill.day)
        direction, qty = side_sign(fill.side), fill.qty
        counted = False
        if st.pos and (st.pos > 0) != (direction > 0):  # closing (part of) the position
            closing = min(qty, abs(st.pos))
            from_carried = min(closing, abs(st.carried))
            if closing > from_carried and st.armed:  # closes shares opened today
                self._per_day[fill.day] += 1
                st.armed, counted = False, True
            st.pos += direction * closing
            st.carried += direction * from_carried
            qty -= closing
        if qty:  # opening: a fresh position, or the part past zero of a crossing fill
            st.pos += direction * qty
            st.armed = True
        return counted

    def count(self, window: Iterable[date]) -> int:
        """Day trades on the given trading days (e.g. the last 5, today included)."""
        return sum(self._per_day.get(d, 0) for d in set(window))

    def position(self, symbol: str) -> Decimal:
        """Current signed position the counter has tracked for ``symbol``."""
        st = self._symbols.get(symbol)
        return st.pos if st else self._overnight.get(symbol, _ZERO)

    def would_day_trade(self, day: date, symbol: str, side: str, qty: Decimal | None = None) -> bool:
        """Would a fill of ``side`` on ``day`` now complete a NEW day trade?

        ``qty`` None means "large enough" (closes the whole position): the conservative
        answer for PDT protection. With a qty, a sale that only closes overnight shares
        is not a day trade.
        """
        direction, st = side_sign(side), self._symbols.get(symbol)
        if st is None or not st.pos or (st.pos > 0) == (direction > 0):
            return False  # nothing to close: the fill would open
        if st.day is None or day > st.day:
            return False  # a new day: everything held is overnight
        if day < st.day:
            raise ValueError(f"query for {day} after fills for {st.day}")
        closing = abs(st.pos) if qty is None else min(Decimal(str(qty)), abs(st.pos))
        return st.armed and closing > abs(st.carried)  # reaches shares opened today


def count_day_trades(
    fills: Iterable[Fill], window: Iterable[date], overnight: Mapping[str, Decimal] | None = None
) -> int:
    """Day trades within ``window`` from a batch of fills, e.g. the account's FILL activities.

    Fills are sorted by day (and by ``at`` when every fill has one), so a newest-first
    activity listing works; without ``at`` the order within a day is taken as given.
    ``overnight`` is the signed position per symbol before the earliest fill.
    """
    fills = list(fills)
    if all(f.at is not None for f in fills):
        fills.sort(key=lambda f: (f.day, f.at))
    else:
        fills.sort(key=lambda f: f.day)
    counter = DayTradeCounter(overnight)
    for f in fills:
        counter.add(f)
    return counter.count(window)


def is_pattern_day_trader(count: int) -> bool:
    """4 or more day trades in the 5-day window flag the account."""
    return count > PDT_MAX_DAY_TRADES


def pdt_blocks(count: int, last_equity: Decimal, completes_day_trade: bool) -> bool:
    """True = reject the order with 403 / 40310100 (legacy PDT protection).

    ``count`` is the day trades already in the window; the order is blocked when it would
    complete another one, making it the 4th (or later), and ``last_equity`` (equity at the
    previous close) is below $25,000.
    """
    return (
        completes_day_trade
        and count >= PDT_MAX_DAY_TRADES
        and Decimal(str(last_equity)) < PDT_EQUITY_THRESHOLD
    )
