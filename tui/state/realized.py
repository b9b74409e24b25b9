"""Realized profit and loss from fills, matched to lots first-in, first-out (FIFO).

Why FIFO: it is Alpaca's default cost-basis (lot relief) method, so the P&L worked out here
is the one the account's tax documents use unless the owner chose another method with
Alpaca. The screen says "FIFO" next to the figures for that reason: with another method
(specific lot, highest cost...) the per-trade numbers would differ, the sum over a closed
position would not.

Rules, per symbol, with fills applied in time order (then by id, for equal times):

* A buy opens a long lot; a sell closes the oldest long lots first. ``sell_short`` opens
  a short lot; a buy closes the oldest short lots first.
* A fill that crosses zero is split: the part up to zero closes, the rest opens a lot on
  the other side (a buy beyond the short opens a long; a sell beyond the long opens a short).
* A fill's side comes from the account's FILL activity, and Alpaca says ``sell_short``
  for a sale that opens a short. So a plain ``sell`` that finds no long lot at all is a
  close of shares bought before the fills we were given (history incomplete): its
  quantity is reported as *unmatched*, with no P&L, never given an invented cost. The same
  goes for closing a starting lot whose price is unknown (``Lot.price`` None, e.g. from
  :func:`lots_before`). A buy can't be told apart from a cover that way: pass starting
  lots for a short held before the fills. A ``sell_short`` that finds long lots (the
  history disagrees with the broker) closes them first, like any sell.
* Partial fills are separate fills, each with its own quantity and price; one fill may
  close several lots and one lot may be closed by several fills.

Realized P&L: a long lot closed at a price: (close - open) x qty; a short: (open - close)
x qty. Days are New York dates (the exchange's day): a close is "same-day" when every
share it closed was opened on its New York date. Totals are by the New York date of the
closing fill.

Arithmetic is exact: sums and products run in a context wide enough for any bounded input
(tui.numbers limits them), so fractional quantities (to 9 decimals) lose nothing. Only the
average open price, a quotient shown for information, is rounded (28 digits).

Pure logic: no Textual, no I/O.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone
from decimal import Context, Decimal, localcontext
from typing import Iterable, Mapping, Protocol

from ..daytrades import side_sign
from ..terms import NEW_YORK

METHOD = "FIFO"  # what the screen shows next to the figures

_ZERO = Decimal(0)
# Inputs are bounded (|x| <= 1e15, at most 64 digits of text), so products and sums of them
# fit in far fewer than 200 digits: nothing is ever rounded.
_EXACT = Context(prec=200)


class FillLike(Protocol):
    """What a fill needs for this module; tui.broker.activity.FillRow is one."""

    id: str
    at: datetime
    symbol: str
    side: str  # buy | sell | sell_short
    qty: Decimal  # > 0, this execution only
    price: Decimal


@dataclass(frozen=True)
class Lot:
    """Shares opened together: ``qty`` signed (long > 0, short < 0).

    ``price`` None: a lot whose cost is unknown (held before the fills we have); closing it
    counts as unmatched. ``opened_at`` None: when it was opened is unknown (never same-day).
    """

    symbol: str
    qty: Decimal
    price: Decimal | None
    opened_at: datetime | None = None
    fill_id: str = ""  # the fill that opened it; "" for a starting lot

    @property
    def short(self) -> bool:
        return self.qty < 0


@dataclass(frozen=True)
class MatchedLot:
    """The part of a lot one closing fill closed."""

    opened_at: datetime | None
    qty: Decimal  # > 0
    price: Decimal  # the lot's open price
    fill_id: str = ""  # the fill that opened the lot


@dataclass(frozen=True)
class Close:
    """What one fill closed, and what it made or lost."""

    fill_id: str
    at: datetime
    symbol: str
    side: str  # the fill's side: sell closes longs, buy closes shorts
    short: bool  # True when it closed (or tried to close) a short
    qty: Decimal  # quantity closed: matched lots + unmatched (not the part that opened a lot)
    lots: tuple[MatchedLot, ...]
    close_price: Decimal
    realized: Decimal  # over the matched lots only
    unmatched: Decimal = _ZERO  # closed with no lot of known cost to match
    order_id: str = ""  # the closing fill's order, when the fill says (an export's column)

    @property
    def day(self) -> date:
        return new_york_day(self.at)

    @property
    def matched(self) -> Decimal:
        with localcontext(_EXACT):
            return sum((lot.qty for lot in self.lots), _ZERO)

    @property
    def open_price(self) -> Decimal | None:
        """The matched lots' quantity-weighted average open price (None if none matched)."""
        matched = self.matched
        if not matched:
            return None
        return self.cost / matched  # default context: 28 significant digits, display only

    @property
    def cost(self) -> Decimal:
        """What the matched lots cost when opened: the sum of qty x open price (exact)."""
        with localcontext(_EXACT):
            return sum((lot.qty * lot.price for lot in self.lots), _ZERO)

    @property
    def same_day_qty(self) -> Decimal:
        """The matched quantity whose lots were opened on this close's New York date."""
        day = self.day
        with localcontext(_EXACT):
            return sum(
                (lot.qty for lot in self.lots if lot.opened_at is not None and new_york_day(lot.opened_at) == day),
                _ZERO,
            )

    @property
    def same_day(self) -> bool:
        """A same-day round trip: everything it closed was opened on the same New York date."""
        return bool(self.lots) and not self.unmatched and self.same_day_qty == self.matched


@dataclass(frozen=True)
class Totals:
    """Realized P&L over some New York dates, overall and per symbol."""

    start: date
    end: date
    realized: Decimal = _ZERO
    by_symbol: Mapping[str, Decimal] = field(default_factory=dict)
    closes: int = 0  # closing fills counted
    unmatched: Mapping[str, Decimal] = field(default_factory=dict)  # qty closed without a known cost

    @property
    def complete(self) -> bool:
        """False when some closes in the range had no known cost (the total leaves them out)."""
        return not self.unmatched


@dataclass(frozen=True)
class Realized:
    """The result of :func:`realize`: every close in time order, and the lots still open."""

    closes: tuple[Close, ...]
    open_lots: Mapping[str, tuple[Lot, ...]]  # per symbol, oldest first; symbols with none left out

    def between(self, start: date, end: date) -> Totals:
        """Totals over New York dates start..end, both included."""
        return totals(self.closes, start, end)

    def on(self, day: date) -> Totals:
        return totals(self.closes, day, day)

    def today(self, now: datetime | date) -> Totals:
        """Totals for the New York date of ``now`` (a datetime, or a New York date)."""
        day = _day_of(now)
        return totals(self.closes, day, day)

    def week(self, now: datetime | date) -> Totals:
        """Totals from Monday of ``now``'s New York week through ``now``'s date."""
        day = _day_of(now)
        return totals(self.closes, week_start(day), day)

    def position(self, symbol: str) -> Decimal:
        """The signed quantity of the open lots (long > 0, short < 0)."""
        with localcontext(_EXACT):
            return sum((lot.qty for lot in self.open_lots.get(symbol, ())), _ZERO)

    def cost(self, symbol: str) -> Decimal | None:
        """Signed cost of the open lots (sum of qty x price); None if any lot's price is unknown."""
        lots = self.open_lots.get(symbol, ())
        if any(lot.price is None for lot in lots):
            return None
        with localcontext(_EXACT):
            return sum((lot.qty * lot.price for lot in lots), _ZERO)  # type: ignore[operator]

    def unrealized(self, symbol: str, price: Decimal) -> Decimal | None:
        """P&L of the open lots if closed at ``price``; None if any lot's price is unknown."""
        cost = self.cost(symbol)
        if cost is None:
            return None
        with localcontext(_EXACT):
            return self.position(symbol) * price - cost


def new_york_day(at: datetime) -> date:
    """The New York date of a moment (a naive time is taken as UTC, as tui.numbers does)."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    return at.astimezone(NEW_YORK).date()


def week_start(day: date) -> date:
    """The Monday of ``day``'s week."""
    return day - timedelta(days=day.weekday())


def _day_of(now: datetime | date) -> date:
    return new_york_day(now) if isinstance(now, datetime) else now


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=timezone.utc) if at.tzinfo is None else at


def _decimal(value: object) -> Decimal:
    """A Decimal as given; anything else through its text (a float 0.1 stays 0.1)."""
    return value if isinstance(value, Decimal) else Decimal(str(value))


class _Open:
    """A lot being consumed: what is left of it, as a positive quantity."""

    __slots__ = ("lot", "left")

    def __init__(self, lot: Lot) -> None:
        self.lot, self.left = lot, abs(lot.qty)


def realize(fills: Iterable[FillLike], starting: Iterable[Lot] = ()) -> Realized:
    """Match ``fills`` (any order) to lots FIFO; ``starting`` lots are held before them.

    Starting lots come before every fill's lot, in the order given, per symbol; give the
    lots of one symbol all long or all short.
    """
    books: dict[str, deque[_Open]] = {}
    for lot in starting:
        if lot.qty:
            books.setdefault(lot.symbol, deque()).append(_Open(lot))
    closes: list[Close] = []
    ordered = sorted(fills, key=lambda f: (_utc(f.at), str(f.id)))
    with localcontext(_EXACT):
        for fill in ordered:
            close = _apply(books.setdefault(fill.symbol, deque()), fill)
            if close is not None:
                closes.append(close)
    open_lots = {
        symbol: tuple(replace(o.lot, qty=o.left if not o.lot.short else -o.left) for o in book)
        for symbol, book in books.items()
        if book
    }
    return Realized(tuple(closes), open_lots)


def _apply(book: deque[_Open], fill: FillLike) -> Close | None:
    """Apply one fill to one symbol's lots (exact context in force); the close it made, if any."""
    direction = side_sign(fill.side)
    qty, price = _decimal(fill.qty), _decimal(fill.price)
    if qty <= 0:
        raise ValueError(f"fill {fill.id!r}: qty must be > 0, got {qty}")
    at = _utc(fill.at)
    side = str(getattr(fill.side, "value", fill.side)).lower()
    holding_short = bool(book) and book[0].lot.short
    closing_short = direction > 0  # a buy closes shorts, a sell closes longs
    matched: list[MatchedLot] = []
    unmatched = _ZERO
    realized = _ZERO
    left = qty
    if book and holding_short == closing_short:  # the fill closes (part of) what is held
        while left and book:
            head = book[0]
            take = min(left, head.left)
            lot = head.lot
            if lot.price is None:
                unmatched += take
            else:
                matched.append(MatchedLot(lot.opened_at, take, lot.price, lot.fill_id))
                gain = (price - lot.price) * take
                realized += -gain if lot.short else gain
            head.left -= take
            left -= take
            if not head.left:
                book.popleft()
    closed = qty - left
    if left:
        if side == "sell" and not closed:
            # A plain sell with no long lot: Alpaca would have said sell_short for an
            # opening short, so the shares were bought before the fills we have.
            unmatched += left
            closed = qty
        else:  # a fresh position, or the part past zero of a crossing fill
            book.append(_Open(Lot(fill.symbol, left * direction, price, at, str(fill.id))))
    if not closed:
        return None
    return Close(
        fill_id=str(fill.id), at=at, symbol=fill.symbol, side=side, short=closing_short,
        qty=closed, lots=tuple(matched), close_price=price, realized=realized, unmatched=unmatched,
        order_id=str(getattr(fill, "order_id", "") or ""),
    )


def totals(closes: Iterable[Close], start: date, end: date) -> Totals:
    """Realized P&L of the closes whose New York date is within start..end (inclusive)."""
    by_symbol: dict[str, Decimal] = {}
    unmatched: dict[str, Decimal] = {}
    count = 0
    with localcontext(_EXACT):
        total = _ZERO
        for close in closes:
            if not start <= close.day <= end:
                continue
            count += 1
            total += close.realized
            by_symbol[close.symbol] = by_symbol.get(close.symbol, _ZERO) + close.realized
            if close.unmatched:
                unmatched[close.symbol] = unmatched.get(close.symbol, _ZERO) + close.unmatched
    return Totals(start, end, total, by_symbol, count, unmatched)


def positions_before(positions: Mapping[str, Decimal], fills: Iterable[FillLike]) -> dict[str, Decimal]:
    """Each symbol's signed position before ``fills``: now minus what the fills did."""
    before: dict[str, Decimal] = {symbol: _decimal(qty) for symbol, qty in positions.items()}
    with localcontext(_EXACT):
        for fill in fills:
            before[fill.symbol] = before.get(fill.symbol, _ZERO) - side_sign(fill.side) * _decimal(fill.qty)
    return {symbol: qty for symbol, qty in sorted(before.items()) if qty}


def lots_before(positions: Mapping[str, Decimal], fills: Iterable[FillLike]) -> list[Lot]:
    """Lots of unknown cost for what was held before ``fills`` (as DayTradeBook works it
    out). Pass them to :func:`realize` so that closing shares held from before is reported
    unmatched rather than mistaken for an opening (a buy covering an older short, say);
    :func:`lots_held` finds their cost when the fills before can be read."""
    return [Lot(symbol, qty, None) for symbol, qty in positions_before(positions, fills).items()]


def lots_held(positions: Mapping[str, Decimal], newest_first: Iterable[FillLike]) -> tuple[list[Lot], dict[str, Decimal]]:
    """The FIFO lots behind ``positions`` held at some moment, from the fills before it
    read newest first; stops reading once every position is accounted for.

    With FIFO the lots still open are the newest openings: closes always take the oldest.
    So walking back from the moment, each fill's opening part (a buy's shares above zero
    for a long, a sell's below zero for a short, the position worked back fill by fill)
    is a lot until they add up to the position; the oldest is cut to fit. Returns (lots,
    oldest first per symbol, and what the fills ran out before accounting for: symbol →
    quantity, whose closing will count as unmatched)."""
    held = {symbol: _decimal(qty) for symbol, qty in positions.items() if qty}
    need = {symbol: abs(qty) for symbol, qty in held.items()}
    after = dict(held)  # each symbol's position after the fill being looked at
    found: dict[str, list[Lot]] = {}
    with localcontext(_EXACT):
        for fill in newest_first:
            if not any(need.values()):
                break
            symbol = fill.symbol
            if not need.get(symbol):
                continue
            direction, qty = side_sign(fill.side), _decimal(fill.qty)
            position = after[symbol]
            after[symbol] = position - direction * qty
            # the part of this fill that opened on the side held at the moment
            opened = min(qty, max(position * direction, _ZERO)) if (position > 0) == (held[symbol] > 0) else _ZERO
            take = min(opened, need[symbol])
            if take > 0:
                need[symbol] -= take
                signed = take if held[symbol] > 0 else -take
                found.setdefault(symbol, []).append(Lot(symbol, signed, _decimal(fill.price), _utc(fill.at), str(fill.id)))
    lots = [lot for symbol in sorted(found) for lot in reversed(found[symbol])]
    missing = {symbol: (qty if held[symbol] > 0 else -qty) for symbol, qty in need.items() if qty}
    lots += [Lot(symbol, qty, None) for symbol, qty in missing.items()]  # cost unknown, held longest
    return _oldest_first(lots), missing


def _oldest_first(lots: list[Lot]) -> list[Lot]:
    """Per symbol: lots of unknown cost (held before every fill read) first, then by time."""
    return sorted(lots, key=lambda lot: (lot.symbol, lot.opened_at is not None,
                                         lot.opened_at or datetime.min.replace(tzinfo=timezone.utc)))
