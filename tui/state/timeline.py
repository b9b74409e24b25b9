"""What the app saw of each order, in the order it saw it: every trade_updates event (the
stream's word) and every REST answer that showed the order changed (the server's word when
asked). The order detail screen shows it; nothing decides anything from it.

Bounded: ENTRIES_PER_ORDER entries per order (oldest dropped) and ORDERS_KEPT orders (the
one least recently touched forgotten first), so memory stays flat in a long session.
The same event delivered twice is recorded once.

Shared like the account's state (account.py): only the UI thread records; an order's
entries are an immutable tuple replaced whole on each record, so a reader on any thread
that took it has a consistent value. No Textual here.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Callable

from ..numbers import moment

ENTRIES_PER_ORDER = 50
ORDERS_KEPT = 2_000
STREAM, REST = "stream", "rest"
# The app's own marker for an order placed by it: the POST's answer, applied like an event.
SUBMITTED = "submitted"


def _text(value: Any) -> str:
    value = getattr(value, "value", value)
    return "" if value is None else str(value)


@dataclass(frozen=True)
class Entry:
    """One thing seen of an order."""

    seen_at: datetime  # by the app's clock
    source: str  # STREAM or REST
    what: str  # the stream's event (`new`, `fill`…) or, for REST, the status answered
    status: str  # the order's status as it came with it
    filled_qty: str = ""
    filled_avg_price: str = ""
    fill_qty: str = ""  # a fill event's own execution: its qty and price
    fill_price: str = ""
    event_at: datetime | None = None  # Alpaca's timestamp of a stream event
    execution_id: str = ""
    updated_at: datetime | None = None  # the order's updated_at as it came
    seq: int = 0  # the order in which the app recorded it, across orders

    def key(self) -> tuple:
        """What makes two deliveries the same event."""
        return (self.source, self.what, self.status, self.execution_id, self.event_at, self.updated_at,
                self.filled_qty)


@dataclass(frozen=True)
class OrderHistory:
    entries: tuple[Entry, ...] = ()
    latest: Any = None  # the newest order object seen (by updated_at), for an order no longer open
    rest_version: tuple | None = None  # what the last REST answer recorded looked like


def _version(order: Any) -> tuple:
    return (_text(getattr(order, "status", None)), _text(getattr(order, "filled_qty", None)),
            moment(getattr(order, "updated_at", None)))


class Timeline:
    def __init__(self, now: Callable[[], datetime], per_order: int = ENTRIES_PER_ORDER,
                 orders: int = ORDERS_KEPT) -> None:
        self.now = now
        self.per_order = per_order
        self.orders_kept = orders
        self._orders: OrderedDict[str, OrderHistory] = OrderedDict()
        self._listeners: list[Callable[[set[str]], None]] = []
        self._seq = 0

    # ---- reads (any thread) ----

    def entries(self, order_id: str) -> tuple[Entry, ...]:
        history = self._orders.get(str(order_id))
        return history.entries if history is not None else ()

    def latest(self, order_id: str) -> Any:
        """The newest version of the order seen (stream or REST), or None."""
        history = self._orders.get(str(order_id))
        return history.latest if history is not None else None

    def __len__(self) -> int:
        return len(self._orders)

    # ---- listening (UI thread) ----

    def listen(self, callback: Callable[[set[str]], None]) -> None:
        """callback(order ids just recorded) after each batch of records."""
        self._listeners.append(callback)

    def unlisten(self, callback: Callable[[set[str]], None]) -> None:
        if callback in self._listeners:
            self._listeners.remove(callback)

    def changed(self, order_ids: set[str]) -> None:
        if order_ids:
            for callback in list(self._listeners):
                callback(order_ids)

    # ---- recording (UI thread) ----

    def stream_event(self, data: dict, order: Any) -> str | None:
        """A trade_updates event: its data and its order parsed (None when it could not be;
        the raw order's id then still files it). Returns the order id recorded, if any."""
        raw = data.get("order") if isinstance(data.get("order"), dict) else {}
        source_order = order if order is not None else None
        order_id = _text(getattr(order, "id", None)) if order is not None else _text(raw.get("id"))
        if not order_id:
            return None
        event = _text(data.get("event"))

        def field(name: str) -> Any:
            return getattr(order, name, None) if order is not None else raw.get(name)

        entry = Entry(
            seen_at=self.now(), source=REST if event == SUBMITTED else STREAM, what=event,
            status=_text(field("status")), filled_qty=_text(field("filled_qty")),
            filled_avg_price=_text(field("filled_avg_price")),
            fill_qty=_text(data.get("qty")) if event in ("fill", "partial_fill") else "",
            fill_price=_text(data.get("price")) if event in ("fill", "partial_fill") else "",
            event_at=moment(data.get("timestamp")), execution_id=_text(data.get("execution_id")),
            updated_at=moment(field("updated_at")),
        )
        return order_id if self._add(order_id, entry, source_order) else None

    def rest_answer(self, order: Any) -> set[str]:
        """An order (and its legs) as a REST read gave it: recorded when it differs from the
        last REST answer recorded for it. Returns the ids recorded."""
        recorded = set()
        for one in (order, *(getattr(order, "legs", None) or ())):
            order_id = _text(getattr(one, "id", None))
            if not order_id:
                continue
            version = _version(one)
            history = self._orders.get(order_id)
            if history is not None and history.rest_version == version:
                continue
            entry = Entry(seen_at=self.now(), source=REST, what=version[0], status=version[0],
                          filled_qty=version[1], filled_avg_price=_text(getattr(one, "filled_avg_price", None)),
                          updated_at=version[2])
            if self._add(order_id, entry, one, rest_version=version):
                recorded.add(order_id)
        return recorded

    def _add(self, order_id: str, entry: Entry, order: Any, rest_version: tuple | None = None) -> bool:
        history = self._orders.get(order_id) or OrderHistory()
        key = entry.key()
        if any(seen.key() == key for seen in history.entries):
            return False  # delivered twice
        self._seq += 1
        entries = (history.entries + (replace(entry, seq=self._seq),))[-self.per_order:]
        latest = history.latest
        if order is not None and (latest is None or _newer(order, latest)):
            latest = order
        self._orders[order_id] = OrderHistory(entries, latest,
                                              rest_version if rest_version is not None else history.rest_version)
        self._orders.move_to_end(order_id)
        while len(self._orders) > self.orders_kept:
            self._orders.popitem(last=False)
        return True


def _newer(order: Any, than: Any) -> bool:
    """`order` is at least as new as `than` (by updated_at; unknown times count as new)."""
    at, before = moment(getattr(order, "updated_at", None)), moment(getattr(than, "updated_at", None))
    return at is None or before is None or at >= before


def timeline_of(state: Any) -> Timeline:
    """The account state's timeline, made on first use with the state's clock.
    (AccountState does not declare it: account.py is not this feature's to change; it lives
    on the state so that every place that applies events or REST answers records to it.)"""
    found = vars(state).get("timeline")
    if found is None:
        found = vars(state)["timeline"] = Timeline(state.now)
    return found
