"""Which trade_updates events may change what the app shows.

The stream can deliver an order's events late or twice: a `new` that arrives after the
order's `fill` must not put it back among the open orders, and a fill sent twice (same
execution id) must be counted and announced once. `OrderGate` remembers, per order, the
newest state applied (by the order's `updated_at`, then by how far along its life the
status is) and every execution id seen; terminal states never reopen. No Textual here.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime
from typing import Any

from ..numbers import moment

TERMINAL = frozenset({"filled", "canceled", "expired", "rejected", "replaced"})
# How far along its life a status is: a later event of the same moment never goes back.
STAGE = {
    "pending_new": 0, "accepted": 1, "accepted_for_bidding": 1, "new": 2, "held": 2, "calculated": 2,
    "pending_replace": 3, "pending_cancel": 3, "partially_filled": 4, "stopped": 4, "done_for_day": 5,
    "suspended": 5,
}
FINAL_STAGE = 9
MEMORY = 50_000  # orders and executions remembered (a day of heavy trading; oldest forgotten first)


def _status(order: Any) -> str:
    return str(getattr(getattr(order, "status", None), "value", getattr(order, "status", "")) or "")


def _stage(status: str) -> int:
    return FINAL_STAGE if status in TERMINAL else STAGE.get(status, 2)


class OrderGate:
    def __init__(self, memory: int = MEMORY) -> None:
        self._memory = memory
        self._orders: OrderedDict[str, tuple[datetime | None, int]] = OrderedDict()
        self._executions: OrderedDict[str, None] = OrderedDict()

    def admit(self, order: Any) -> bool:
        """True if `order` (a parsed Order) is newer than what was applied for it: apply it."""
        order_id = str(getattr(order, "id", ""))
        at, stage = moment(getattr(order, "updated_at", None)), _stage(_status(order))
        last = self._orders.get(order_id)
        if last is not None:
            last_at, last_stage = last
            if last_stage == FINAL_STAGE and stage != FINAL_STAGE:
                return False  # done orders never reopen
            if at is not None and last_at is not None:
                if at < last_at or (at == last_at and stage < last_stage):
                    return False
            elif stage < last_stage:
                return False
        self._remember(self._orders, order_id, (at, stage))
        return True

    def is_final(self, order_id: str, updated_at: Any = None) -> bool:
        """The stream already saw this order end (no earlier than `updated_at`): a REST
        answer that still lists it as open is older than what the screen knows."""
        last = self._orders.get(order_id)
        if last is None or last[1] != FINAL_STAGE:
            return False
        at = moment(updated_at)
        return at is None or last[0] is None or last[0] >= at

    def first_execution(self, execution_id: Any) -> bool:
        """True the first time an execution id is seen (an empty id is never a duplicate)."""
        key = str(execution_id or "")
        if not key:
            return True
        if key in self._executions:
            return False
        self._remember(self._executions, key, None)
        return True

    def _remember(self, store: OrderedDict, key: str, value: Any) -> None:
        store[key] = value
        store.move_to_end(key)
        while len(store) > self._memory:
            store.popitem(last=False)
