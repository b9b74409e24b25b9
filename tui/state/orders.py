"""Orders and fills as events change them: the part of applying a trade_updates event or a
REST answer that is about the account, not the screen.

The stream can deliver an order's events late or twice, and REST can answer with an order
older than the stream's last word on it; the OrderGate (broker/order_events.py) decides
what is news. What to show and say about it is the UI's business (ui/announce.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from ..broker.activity import FillRow, parse_fill
from .account import AccountState
from .timeline import timeline_of

OPEN_STATUSES = frozenset({
    "new", "partially_filled", "accepted", "pending_new", "accepted_for_bidding", "held", "pending_cancel",
    "pending_replace", "calculated", "stopped", "suspended", "done_for_day",
})
FILL_EVENTS = ("fill", "partial_fill")
END_EVENTS = ("canceled", "expired", "rejected", "replaced")
REFUSAL_EVENTS = ("rejected", "order_cancel_rejected", "order_replace_rejected")


def status_of(order: Any) -> str:
    """An order's status as Alpaca spells it (alpaca-py gives an enum, a test a string)."""
    status = getattr(order, "status", None)
    return str(getattr(status, "value", status) or "")


def order_version(order: Any) -> tuple:
    """What changes when an order or one of its legs does (Alpaca moves updated_at on every
    change): the key for reusing its formatted row and for skipping an unchanged refresh."""
    return order.updated_at, order.status, order.filled_qty, tuple(order_version(leg) for leg in order.legs or ())


def is_open(order: Any) -> bool:
    """Still working, or has a leg that is (a filled bracket parent with its exits resting)."""
    return status_of(order) in OPEN_STATUSES or any(status_of(leg) in OPEN_STATUSES for leg in order.legs or ())


@dataclass
class Applied:
    """What a batch of stream events changed."""

    orders_changed: bool = False
    refetch_orders: bool = False  # something only a REST read can settle (a leg, an unreadable order)
    fills: list[tuple[FillRow, str, Any]] = field(default_factory=list)  # (fill, event, order), new ones only
    news: list[tuple[str, Any]] = field(default_factory=list)  # (event, order) admitted, in order


def apply_events(state: AccountState, events: Iterable[tuple[dict, Any]]) -> Applied:
    """Apply trade_updates events — (the event's data, its order parsed or None) — to the
    open orders and the fills, and swap in the new snapshot. UI thread only."""
    snap = state.snapshot
    orders, versions = dict(snap.orders), dict(snap.versions)  # new dicts: a worker may be reading the old
    fills = list(snap.fills)
    legs = {str(leg.id) for parent in orders.values() for leg in parent.legs or []}
    applied = Applied()
    timeline, seen = timeline_of(state), set()
    for data, order in events:
        event = str(data.get("event", ""))
        recorded = timeline.stream_event(data, order)  # every event seen, late ones too
        if recorded:
            seen.add(recorded)
        if order is not None:  # its fills carry only the order id
            state.slippage.link(getattr(order, "client_order_id", None), order.id)
        if order is None:
            applied.refetch_orders = True
        elif state.gate.admit(order):
            order_id = str(order.id)
            if order_id in legs:
                applied.refetch_orders = True  # a leg changed: let REST nest it properly
            else:
                if is_open(order):
                    orders[order_id], versions[order_id] = order, order_version(order)
                else:
                    orders.pop(order_id, None)
                    versions.pop(order_id, None)
                applied.orders_changed = True
            applied.news.append((event, order))
        else:
            continue  # older than what is shown (a late `new` after the fill): ignored
        if event in FILL_EVENTS and isinstance(data.get("order"), dict) \
                and state.gate.first_execution(data.get("execution_id")):
            fill = _fill_of(data)
            if fill is not None:
                fills = [fill] + [f for f in fills if f.id != fill.id]
                applied.fills.append((fill, event, order))
        elif event in REFUSAL_EVENTS:
            applied.refetch_orders = True
    changes: dict[str, Any] = {}
    if applied.orders_changed:
        changes.update(orders=orders, versions=versions)
    if applied.fills:
        changes["fills"] = tuple(fills)
    if changes:
        state.swap(**changes)
    timeline.changed(seen)
    return applied


def _fill_of(data: dict) -> FillRow | None:
    raw = data["order"]
    return parse_fill({"id": data.get("execution_id", ""), "transaction_time": data.get("timestamp"),
                       "symbol": raw.get("symbol"), "side": raw.get("side"), "qty": data.get("qty"),
                       "price": data.get("price"), "order_id": raw.get("id")})


def accept_orders(state: AccountState, orders: dict[str, Any], versions: dict[str, tuple]) -> None:
    """Open orders read by REST (fresh dicts from the worker). An answer older than the
    stream's fill or cancel of an order would bring it back: such orders are left out."""
    for order_id in [i for i, o in orders.items() if state.gate.is_final(i, o.updated_at)]:
        del orders[order_id], versions[order_id]
    timeline, seen, before = timeline_of(state), set(), state.snapshot.versions
    for order_id, order in orders.items():
        state.slippage.link(getattr(order, "client_order_id", None), order_id)
        if before.get(order_id) != versions.get(order_id):
            seen |= timeline.rest_answer(order)
    state.swap(orders=orders, versions=versions)
    timeline.changed(seen)


def accept_order(state: AccountState, order: Any) -> None:
    """One order read by REST (the order detail's read): recorded on its timeline. The
    open orders are left to the orders read, which nests legs and drops ended orders."""
    timeline = timeline_of(state)
    timeline.changed(timeline.rest_answer(order))


@dataclass
class Following:
    """Orders this app sent (id -> what the user saw, `BUY 10 AAPL`) and those it asked to
    cancel: their end is said in their own words, and a cancel says who asked for it."""

    sent: dict[str, str] = field(default_factory=dict)
    cancels: set[str] = field(default_factory=set)


def parse_order(raw: Any) -> Any:
    """A stream event's order as alpaca-py's Order, or None if it cannot be one (an unknown
    enum or shape: a REST refresh then settles it). Runs on the stream's thread."""
    from alpaca.trading.models import Order  # alpaca-py's imports are slow: not at start-up

    if not isinstance(raw, dict):
        return None
    try:
        return Order(**raw)
    except Exception:
        return None
