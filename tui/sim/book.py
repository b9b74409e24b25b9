"""The order book: every order the account placed, and the indexes the engine reads them by.

It knows orders only, no quotes or positions: which are open, on which symbol, under which
client order id, and which shares the open ones already claim.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Iterable

from .errors import not_found
from .model import ZERO, Order


class OrderBook:
    def __init__(self) -> None:
        self.orders: dict[str, Order] = {}
        self.open: dict[str, Order] = {}  # the ones the matcher and reservations look at
        # The same orders by symbol (kept by register and unlist): the checks a new order
        # goes through look at its symbol's orders only, not at the whole book.
        self.by_symbol: dict[str, dict[str, Order]] = {}
        self.by_client_id: dict[str, Order] = {}
        # Per symbol, what its open orders reserve in buying power (margin.reserved fills it
        # in): the part no quote moves and the orders whose part does. Every submit needs the
        # sum over the whole book; this keeps it from costing a pass over every resting order.
        # An entry is dropped whenever one of the symbol's orders changes (changed()).
        self.reservations: dict[str, tuple[Decimal, list[Order]]] = {}

    def changed(self, symbol: str) -> None:
        """One of the symbol's orders changed: what they reserve is counted again."""
        self.reservations.pop(symbol, None)

    def register(self, order: Order) -> Order:
        self.orders[order.id] = order
        self.open[order.id] = order
        self.by_symbol.setdefault(order.symbol, {})[order.id] = order
        self.changed(order.symbol)
        self.by_client_id[order.client_order_id] = order
        return order

    def archive(self, order: Order) -> Order:
        """A closed order from the account's past (seeded): listed, never open."""
        self.orders[order.id] = order
        self.by_client_id[order.client_order_id] = order
        return order

    def unlist(self, order: Order) -> None:
        """Out of the open book (filled, finished or replaced)."""
        self.open.pop(order.id, None)
        self.changed(order.symbol)
        same = self.by_symbol.get(order.symbol)
        if same is not None:
            same.pop(order.id, None)
            if not same:
                del self.by_symbol[order.symbol]

    def open_on(self, symbol: str) -> Iterable[Order]:
        return self.by_symbol.get(symbol, {}).values()

    def get(self, order_id: str) -> Order:
        order = self.orders.get(order_id)
        if order is None:
            raise not_found("order not found")
        return order

    def get_by_client_id(self, client_order_id: str) -> Order:
        order = self.by_client_id.get(client_order_id)
        if order is None:
            raise not_found("order not found")
        return order

    def held_for_orders(self, symbol: str, side: str, exclude: str | None = None) -> Decimal:
        """Shares that open orders on `side` already claim (an OCO pair claims them once), but
        for the group of order `exclude`."""
        held: dict[str, Decimal] = {}
        for order in self.open_on(symbol):
            group = order.parent_id or order.id  # legs of one bracket or OCO share their parent
            if order.side != side or not order.is_open or order.status == "held" or group == exclude:
                continue
            held[group] = max(held.get(group, ZERO), order.remaining if order.qty is not None else ZERO)
        return sum(held.values(), ZERO)

    def oco_peers(self, order: Order) -> list[Order]:
        """The orders one fill of `order` cancels or shrinks: the other side of its OCO pair,
        or the other exit of its bracket."""
        if order.order_class == "oco":
            parent = self.orders[order.parent_id] if order.parent_id else order
            group = [parent, *parent.legs]
        elif order.order_class == "bracket" and order.parent_id:
            group = list(self.orders[order.parent_id].legs)
        else:
            return []
        return [o for o in group if o.id != order.id]

    def query(self, status: str = "open", limit: int = 50, after: datetime | None = None,
              until: datetime | None = None, direction: str = "desc", nested: bool = False,
              symbols: Iterable[str] | None = None, side: str | None = None) -> list[Order]:
        """GET /v2/orders: the orders that match, newest first unless `direction` is asc."""
        wanted = {s.strip().upper() for s in symbols if s.strip()} if symbols else None
        chosen = []
        for order in (self.open if status == "open" and not nested else self.orders).values():
            if nested and order.parent_id:
                continue  # legs travel inside their parent
            # Nested, a parent stands for its legs too: a filled entry with working exits is open.
            is_open = order.is_open or (nested and any(leg.is_open for leg in order.legs))
            if status == "open" and not is_open:
                continue
            if status == "closed" and is_open:
                continue
            if wanted is not None and order.symbol not in wanted:
                continue
            if side and order.side != side:
                continue
            if after and order.submitted_at <= after:
                continue
            if until and order.submitted_at >= until:
                continue
            chosen.append(order)
        chosen.sort(key=lambda o: (o.submitted_at, o.id), reverse=direction != "asc")
        return chosen[:limit]
