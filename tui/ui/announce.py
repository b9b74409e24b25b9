"""What the toasts say when orders fill or end, gathered so a burst is one toast."""

from __future__ import annotations

from collections import Counter
from typing import Any, Callable

from ..broker.activity import FillRow
from ..state.orders import END_EVENTS, Following
from ..text import show_symbol
from . import toasts
from .format import price, quantity
from .widgets.orders import order_label

FILL_TOAST_DELAY = 0.3  # seconds to gather a burst of fills into one notification


class Announcer:
    def __init__(self, notify: Callable[..., None], set_timer: Callable[..., Any], following: Following) -> None:
        self._notify, self._set_timer, self.following = notify, set_timer, following
        self._unannounced: list[tuple[FillRow, str]] = []

    @property
    def waiting(self) -> int:
        """Fills gathered and not yet said."""
        return len(self._unannounced)

    def fill(self, fill: FillRow, event: str, order: Any) -> None:
        """One toast per burst of fills (a close-all fills many orders at once)."""
        if event == "fill":
            note = "filled"
            self.following.sent.pop(str(order.id), None)
        else:
            note = f"partially filled: {quantity(order.filled_qty)} of {quantity(order.qty)}"
        self._unannounced.append((fill, note))
        if len(self._unannounced) == 1:
            self._set_timer(FILL_TOAST_DELAY, self.say_fills)

    def say_fills(self) -> None:
        fills, self._unannounced = self._unannounced, []
        if len(fills) == 1:
            f, note = fills[0]
            self._notify(f"{f.side.upper()} {quantity(f.qty)} {show_symbol(f.symbol)} @ {price(f.price)} · {note}",
                         title="Filled" if note == "filled" else "Partially filled", timeout=4)
        elif fills:
            symbols = ", ".join(dict.fromkeys(show_symbol(f.symbol) for f, _ in fills))
            self._notify(f"{len(fills)} fills: {symbols}", title="Filled", timeout=4)

    def ends(self, news: list[tuple[str, Any]]) -> None:
        """Orders that ended other than by a fill (fills have their own toast): canceled,
        expired, rejected, replaced. A storm of them is one toast."""
        ends = [(event, order) for event, order in news if event in END_EVENTS]
        if len(ends) > 3:
            counts = Counter(event for event, _ in ends)
            self._notify(", ".join(f"{n} {event}" for event, n in counts.items()),
                         title=f"{len(ends)} orders ended", timeout=6)
            return
        for event, order in ends:
            order_id = str(order.id)
            label = self.following.sent.pop(order_id, None) or order_label(order)
            by_us = order_id in self.following.cancels
            self.following.cancels.discard(order_id)
            reason = "" if event != "canceled" else " (by this app)" if by_us else " (not by this app)"
            self._notify(f"{label}: {event}{reason} · order {toasts.short_id(order_id)}", title=f"Order {event}",
                         severity="warning" if event in ("rejected", "expired") else "information", timeout=6)
