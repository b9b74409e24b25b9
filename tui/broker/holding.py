"""The position in the ticket's symbol, and the shares open orders already hold of it.

Alpaca (and the simulator) refuse an order that closes more than the position's
qty_available; the ticket checks that before sending, with the orders that hold the
shares named in the message.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..numbers import number
from ..terms import plain
from ..text import clean
from .order_format import format_qty, order_price


@dataclass(frozen=True)
class Holding:
    """The position in the ticket's symbol, as the server last described it.

    `qty` is signed (a short is negative). `available` is the position's qty_available:
    qty minus the shares open orders already hold for closing it (either sign; None when
    unknown, taken as all of qty). `held_by` names those open orders for the messages,
    e.g. "SELL 10 AAPL lmt 250.00 (id 1a2b3c4d)". Figures from outside go through
    tui.numbers, so an unreadable one never raises: a bad qty is taken as no position."""

    qty: Any = Decimal(0)
    available: Any = None
    held_by: tuple[str, ...] = ()

    @classmethod
    def of(cls, value: Holding | Decimal | int | str | None) -> Holding:
        """A Holding from what callers pass: a Holding, or a bare signed position qty."""
        return value if isinstance(value, Holding) else cls(value)

    @property
    def position(self) -> Decimal:
        """The signed qty, or 0 when it does not read as a number."""
        return number(self.qty) or Decimal(0)

    @property
    def free(self) -> Decimal:
        """Shares an order may close now: the available qty, within 0..|qty|."""
        size = abs(self.position)
        available = number(self.available)
        return size if available is None else min(abs(available), size)

    @property
    def held(self) -> Decimal:
        """Shares open orders hold: |qty| - free."""
        return abs(self.position) - self.free

    def holders(self, limit: int = 3) -> str:
        """The orders that hold shares, for a message: "SELL 10 AAPL lmt 250.00; ... and 2 more"."""
        names = self.held_by if isinstance(self.held_by, (tuple, list)) else (self.held_by,)
        shown = [text for text in (clean(name, one_line=True, limit=80).strip() for name in names) if text]
        if len(shown) > limit:
            return "; ".join(shown[:limit]) + f" and {len(shown) - limit} more"
        return "; ".join(shown)


def _word(value: Any) -> str:
    """An alpaca-py enum's value ("sell"), or the text itself."""
    return clean(getattr(value, "value", value) or "", one_line=True, limit=20).strip().lower()


def hold_text(order: Any) -> str:
    """An open order, as the messages name it: "SELL 10 AAPL lmt 250.00 (id 1a2b3c4d)".
    `order` is an alpaca-py Order (or anything with its attributes)."""
    qty, filled = number(getattr(order, "qty", None)), number(getattr(order, "filled_qty", None)) or Decimal(0)
    parts = [_word(getattr(order, "side", "")).upper()]
    if qty is not None:
        parts.append(format_qty(max(qty - filled, Decimal(0))))
    parts.append(clean(getattr(order, "symbol", "") or "", one_line=True, limit=24))
    kind = _word(getattr(order, "order_type", None) or getattr(order, "type", None))
    limit, stop = number(getattr(order, "limit_price", None)), number(getattr(order, "stop_price", None))
    if kind in ("limit", "stop_limit") and limit is not None:
        parts.append(f"lmt {order_price(limit)}")
    if kind in ("stop", "stop_limit") and stop is not None:
        parts.append(f"stp {order_price(stop)}")
    if kind in ("market", "trailing_stop"):
        parts.append("mkt" if kind == "market" else "trailing stop")
    order_id = clean(getattr(order, "id", "") or "", one_line=True, limit=40)
    text = " ".join(part for part in parts if part)
    return f"{text} (id {order_id[:8]})" if order_id else text


def holding_of(position: Any, open_orders: Any = ()) -> Holding:
    """The Holding for an alpaca-py Position (None: no position) and the account's open
    orders: the position's qty_available, and the open orders on the closing side of its
    symbol that hold shares. Without qty_available (older servers) the available qty is
    the position less what those orders have left to fill."""
    if position is None:
        return Holding()
    qty = number(getattr(position, "qty", None)) or Decimal(0)
    symbol = getattr(position, "symbol", None)
    closing = "sell" if qty > 0 else "buy"
    holders = [o for o in open_orders or () if getattr(o, "symbol", None) == symbol
               and _word(getattr(o, "side", "")) == closing
               and _word(getattr(o, "status", "")) != "held"]  # bracket legs wait as "held" and hold nothing yet
    available = number(getattr(position, "qty_available", None))
    if available is None and holders:
        held = sum((max((number(getattr(o, "qty", None)) or Decimal(0))
                        - (number(getattr(o, "filled_qty", None)) or Decimal(0)), Decimal(0)) for o in holders),
                   Decimal(0))
        available = max(abs(qty) - held, Decimal(0))
    return Holding(qty, available, tuple(hold_text(o) for o in holders))


def short_of_shares(holding: Holding, side: str, qty: Decimal) -> str | None:
    """Why an order closing `qty` of the position would be refused for its size, or None.

    Alpaca (and the simulator) compare an order that reduces the position with the shares
    not held by other open orders ("insufficient qty available"). Orders that open or add to
    a position are not checked here."""
    position = holding.position
    if side == "sell" and position > 0:
        you, verb, cover, then = f"you hold {plain(position)}", "sell", "", "then sell short separately"
    elif side == "buy" and position < 0:
        you, verb, cover, then = f"you are short {plain(-position)}", "buy", " to cover", "then buy separately"
    else:
        return None
    free, held = holding.free, holding.held
    if qty <= free:
        return None
    if held == 0:
        return f"{you}: {verb} at most {plain(free)}{cover}, {then}"
    holders = holding.holders()
    by = f"held by open orders ({holders})" if holders else "held by open orders"
    if free == 0:
        return f"{you}, all {by}: cancel those first"
    return f"{you}, {plain(held)} {by}: {verb} at most {plain(free)}{cover}, or cancel those first"
