"""Slippage of market orders: each fill's price against the quote the user was shown on the
review when they pressed `y`.

The quote is written to the audit journal with the order's intent (`what.quote`), before the
order is sent: the figure is the same after a restart, and it is what the user saw, not a
quote looked up afterwards. Only market orders are measured: a limit order's price is the
user's own.

The reference price is the one the review priced the order at: the ask for a buy, the bid
for a sell, the last trade when that side was missing. Slippage is signed as P&L: negative
when the fill was worse than the reference (a buy paid more than the ask, a sell got less
than the bid), positive when better. In basis points it is per share over the reference.

Averages are weighted by quantity (and basis points by value), so a 1-share fill weighs
what it should against a 1,000-share one.

Pure logic: no Textual, no I/O.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from decimal import Context, Decimal, localcontext
from typing import Any, Iterable, Protocol

from ..numbers import moment, number

BP = Decimal(10_000)
MAX_REMEMBERED = 50_000  # orders with a quote kept in memory: years of manual trading
_EXACT = Context(prec=200)  # bounded inputs: sums and products are never rounded


class FillLike(Protocol):
    order_id: str
    side: str
    qty: Decimal
    price: Decimal


@dataclass(frozen=True)
class ShownQuote:
    """The quote on the review when the order was sent, and the price it was measured at."""

    symbol: str
    side: str  # buy / sell
    reference: Decimal
    bid: Decimal | None = None
    ask: Decimal | None = None
    last: Decimal | None = None
    quoted_at: datetime | None = None  # the quote's own time
    sent_at: datetime | None = None  # when the user sent the order (the server's clock)

    @property
    def priced_at(self) -> str:
        """Which figure the reference is: "ask", "bid" or "last"."""
        touch = self.ask if self.side == "buy" else self.bid
        return ("ask" if self.side == "buy" else "bid") if touch == self.reference else "last"

    def to_record(self) -> dict[str, str | None]:
        """For the journal: numbers as exact text, times in ISO 8601."""
        def text(value: Any) -> str | None:
            return None if value is None else (value.isoformat() if isinstance(value, datetime) else str(value))

        return {"symbol": self.symbol, "side": self.side, "reference": text(self.reference), "bid": text(self.bid),
                "ask": text(self.ask), "last": text(self.last), "quoted_at": text(self.quoted_at),
                "sent_at": text(self.sent_at)}

    @classmethod
    def from_record(cls, raw: Any) -> ShownQuote | None:
        """A journal line's quote, or None when it is not one (hand-edited, torn, junk)."""
        if not isinstance(raw, dict) or not isinstance(raw.get("symbol"), str):
            return None
        return shown_quote(raw.get("side"), raw["symbol"], raw.get("reference"), raw.get("bid"), raw.get("ask"),
                           raw.get("last"), raw.get("quoted_at"), raw.get("sent_at"))


@dataclass(frozen=True)
class Slip:
    """Slippage over `qty` shares: per share and in all signed as P&L, bp over the reference."""

    qty: Decimal
    per_share: Decimal
    amount: Decimal
    value: Decimal  # qty x reference: what the shares were worth at the quote
    fills: int = 1

    @property
    def bp(self) -> Decimal:  # a quotient, for display: 28 digits
        return self.amount / self.value * BP if self.value else Decimal(0)

    @property
    def worse(self) -> bool:
        return self.amount < 0


def measure(quote: ShownQuote, price: Decimal, qty: Decimal) -> Slip:
    """One fill (or an order's average fill) of `qty` at `price` against the quote."""
    with localcontext(_EXACT):
        per_share = quote.reference - price if quote.side == "buy" else price - quote.reference
        return Slip(qty, per_share, per_share * qty, quote.reference * qty)


def measure_order(quote: ShownQuote, order: Any) -> Slip | None:
    """An order's average fill (its filled_qty at filled_avg_price) against the quote;
    None when nothing is filled."""
    qty, price = number(getattr(order, "filled_qty", None)), number(getattr(order, "filled_avg_price", None))
    if qty is None or qty <= 0 or price is None or price <= 0:
        return None
    return measure(quote, price, qty)


def combine(slips: Iterable[Slip]) -> Slip | None:
    """The average of several: per share weighted by quantity, bp by value."""
    slips = list(slips)
    if not slips:
        return None
    with localcontext(_EXACT):
        qty = sum((s.qty for s in slips), Decimal(0))
        amount = sum((s.amount for s in slips), Decimal(0))
        value = sum((s.value for s in slips), Decimal(0))
    if qty <= 0:
        return None
    return Slip(qty, amount / qty, amount, value, sum(s.fills for s in slips))  # the average: 28 digits


def _side(side: str) -> str:
    return "buy" if side == "buy" else "sell"  # sell_short is a sell


class SlippageBook:
    """The quotes shown when this app sent market orders, by client_order_id and, once the
    server has named the order, by order id. Written by the UI thread and by the worker
    that reads the journal at start: a lock keeps the two apart."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_client: dict[str, ShownQuote] = {}
        self._by_order: dict[str, ShownQuote] = {}

    def __len__(self) -> int:
        return len(self._by_client)

    def sent(self, client_order_id: str, quote: ShownQuote) -> None:
        with self._lock:
            self._by_client[client_order_id] = quote
            if len(self._by_client) > MAX_REMEMBERED:  # the oldest go first (dicts keep order)
                del self._by_client[next(iter(self._by_client))]

    def link(self, client_order_id: Any, order_id: Any) -> bool:
        """The server named the order: its fills (which carry only the order id) are
        measured from now on. True when this added something."""
        if not client_order_id or not order_id:
            return False
        with self._lock:
            quote = self._by_client.get(str(client_order_id))
            if quote is None or str(order_id) in self._by_order:
                return False
            self._by_order[str(order_id)] = quote
            if len(self._by_order) > MAX_REMEMBERED:
                del self._by_order[next(iter(self._by_order))]
            return True

    def merge(self, other: SlippageBook) -> None:
        """Add what another book knows (the journal's, read on a worker) to this one."""
        with other._lock:
            by_client, by_order = dict(other._by_client), dict(other._by_order)
        with self._lock:
            self._by_client = {**by_client, **self._by_client}
            self._by_order = {**by_order, **self._by_order}

    def quote(self, order_id: Any, client_order_id: Any = None) -> ShownQuote | None:
        """The quote of an order by its id, or by its client_order_id when the server's
        answer naming it was never seen (lost, or the app stopped before it came)."""
        found = self._by_order.get(str(order_id)) if order_id else None
        if found is None and client_order_id:
            found = self._by_client.get(str(client_order_id))
        return found

    def of_fill(self, fill: FillLike) -> Slip | None:
        """A fill of a measured order, if it is one (and on the order's side)."""
        quote = self.quote(fill.order_id)
        if quote is None or _side(fill.side) != quote.side:
            return None
        return measure(quote, fill.price, fill.qty)

    def of_fills(self, fills: Iterable[FillLike]) -> Slip | None:
        return combine(slip for slip in map(self.of_fill, fills) if slip is not None)

    @classmethod
    def from_journal(cls, records: Iterable[dict[str, Any]]) -> SlippageBook:
        """The journal's order intents that carry a quote, linked to the order ids their
        outcomes name (records: this endpoint's and mode's, in file order)."""
        book = cls()
        by_intent: dict[str, str] = {}  # intent id -> client_order_id
        for record in records:
            event, intent = record.get("event"), record.get("intent")
            if event == "intent" and record.get("action") == "order":
                what = record.get("what")
                quote = ShownQuote.from_record(what.get("quote")) if isinstance(what, dict) else None
                client_id = record.get("client_order_id")
                if quote is not None and isinstance(client_id, str) and client_id:
                    book.sent(client_id, quote)
                    by_intent[str(intent)] = client_id
            elif event == "outcome" and str(intent) in by_intent:
                book.link(by_intent[str(intent)], record.get("order_id"))
        return book


def shown_quote(side: Any, symbol: str, reference: Any, bid: Any, ask: Any, last: Any, quoted_at: Any,
                sent_at: Any) -> ShownQuote | None:
    """The quote to keep for an order the review priced at `reference`; None without one."""
    reference = number(reference)
    if reference is None or reference <= 0 or side not in ("buy", "sell"):
        return None
    return ShownQuote(symbol, side, reference, number(bid), number(ask), number(last), moment(quoted_at),
                      moment(sent_at))
