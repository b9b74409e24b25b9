"""Market values, margin requirements and buying power, as Alpaca computes them.

Pure functions of the positions, the quotes and the open orders: the exchange calls them
for the account body and for every new order's cost check. Only the book's reservation
cache is written (see OrderBook.reservations).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Iterable

from .. import daytrades
from .book import OrderBook
from .model import ZERO, Order, Position
from .prices import PriceBook

MARGIN_MINIMUM = Decimal(2000)  # equity below this: no margin, no short selling
MARKET_COLLAR = Decimal("1.03")  # market buys and short sales reserve buying power at ask plus a collar
INITIAL = Decimal("0.5")  # Reg T initial margin on marginable positions
MAINTENANCE = Decimal("0.3")

Positions = dict[str, Position]


def market_values(positions: Positions, prices: PriceBook) -> tuple[Decimal, Decimal]:
    """(long market value, short market value), the short one negative."""
    long_value = short_value = ZERO
    for pos in positions.values():
        value = pos.qty * prices.quote(pos.symbol).last
        if value >= 0:
            long_value += value
        else:
            short_value += value
    return long_value, short_value


def previous_close_value(positions: Positions, prices: PriceBook) -> Decimal:
    """What the positions were worth at the previous close, shorts counted negative."""
    return sum((pos.qty * prices.day(pos.symbol).prev_close for pos in positions.values()), ZERO)


def requirement(positions: Positions, prices: PriceBook, rate: Decimal) -> Decimal:
    """Margin the positions require at `rate`; a non-marginable position requires its whole value."""
    total = ZERO
    for pos in positions.values():
        value = abs(pos.qty * prices.quote(pos.symbol).last)
        total += value * (rate if pos.marginable else Decimal(1))
    return total


def multiplier(equity: Decimal, last_equity: Decimal, setting: str) -> int:
    """1 (cash), 2 (Reg T) or 4 (day trading), capped by max_margin_multiplier."""
    if equity < MARGIN_MINIMUM or setting == "1":
        return 1
    if setting == "2" or last_equity < daytrades.PDT_EQUITY_THRESHOLD:
        return 2
    return 4


def buying_power(cash: Decimal, equity: Decimal, initial_margin: Decimal, mult: int,
                 reserved: Decimal) -> tuple[Decimal, Decimal, Decimal]:
    """(buying_power, regt_buying_power, non_marginable_buying_power), after what open
    orders reserve."""
    excess = max(ZERO, equity - initial_margin)
    regt = max(ZERO, excess * 2 - reserved) if mult > 1 else max(ZERO, cash - reserved)
    bp = max(ZERO, excess * mult - reserved) if mult > 1 else regt
    non_marginable = max(ZERO, min(cash, equity) - reserved)
    return bp, regt, non_marginable


def order_cost(prices: PriceBook, symbol: str, side: str, otype: str, qty: Decimal | None,
               notional: Decimal | None, limit_price: Decimal | None, stop_price: Decimal | None) -> Decimal:
    """What an order that opens or adds to a position would cost in buying power, the way
    Alpaca estimates it."""
    if notional is not None and qty is None:
        return notional
    if side == "buy" and otype in ("limit", "stop_limit") and limit_price is not None:
        return (qty or ZERO) * limit_price  # the common resting order: no quote needed
    quote = prices.quote(symbol)
    collared = quote.ask * MARKET_COLLAR
    if side == "sell":  # a short sale: its limit or 3% over the ask, whichever is more
        price = max(limit_price or ZERO, collared)
    elif otype in ("limit", "stop_limit") and limit_price is not None:
        price = limit_price
    elif otype == "stop" and stop_price is not None:
        price = max(stop_price, quote.ask)
    else:
        price = collared
    return (qty or ZERO) * price


def reserved(book: OrderBook, prices: PriceBook, positions: Positions, exclude: str | None = None) -> Decimal:
    """Buying power held by open orders that would add exposure (but `exclude`)."""
    total = ZERO
    for symbol, orders in book.by_symbol.items():
        if exclude is None:
            entry = book.reservations.get(symbol)
            if entry is None:
                entry = book.reservations[symbol] = _split_reservations(prices, orders.values(), None)
        else:  # a replacement's check, rare: no cache
            entry = _split_reservations(prices, orders.values(), exclude)
        fixed_buys, moving = entry
        pos = positions.get(symbol)
        position = pos.qty if pos else ZERO
        if position >= 0:
            total += fixed_buys
        for order in moving:
            if position >= 0 if order.side == "buy" else position <= 0:
                total += _reservation(prices, order)
    return total


def _split_reservations(prices: PriceBook, orders: Iterable[Order],
                        exclude: str | None) -> tuple[Decimal, list[Order]]:
    """(what the buy orders among `orders` reserve whatever the quote, the orders whose
    reservation follows the quote), counting only orders that reserve at all."""
    fixed = ZERO
    moving: list[Order] = []
    for order in orders:
        if order.status in ("held", "replaced") or not order.is_open or order.parent_id or order.id == exclude:
            continue
        # The branches of order_cost that read no quote: a notional order, a buy limit.
        if order.side == "buy" and ((order.qty is None and order.notional is not None)
                                    or (order.type in ("limit", "stop_limit") and order.limit_price is not None)):
            fixed += _reservation(prices, order)
        else:
            moving.append(order)
    return fixed, moving


def _reservation(prices: PriceBook, order: Order) -> Decimal:
    qty = order.remaining if order.qty is not None else None  # a notional order reserves its notional
    return order_cost(prices, order.symbol, order.side, order.type, qty, order.notional, order.limit_price,
                      order.stop_price)
