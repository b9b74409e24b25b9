"""Modifying an open order (PATCH /v2/orders/{id}): which fields may change, the ticket's
form filled in from the order, and what changed, each field as old → new.

Pure logic: no network, no Textual. The new values are checked by the ticket's own
validation (order_validation.validate); a bracket leg, whose entry already vouched for
it, has only its price checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..numbers import number
from ..terms import plain
from ..text import clean
from .delivery import REPLACEABLE
from .holding import Holding, hold_text
from .order_format import format_price, format_qty
from .order_input import parse_price
from .order_plan import OrderPlan
from .order_validation import PRICE_FIELDS, TicketForm

LABELS = {"qty": "Quantity", "limit_price": "Limit", "stop_price": "Stop", "trail": "Trail", "tif": "Time in force"}
WIRE = {"tif": "time_in_force"}  # the form's field -> ReplaceOrderRequest's


def word(value: Any) -> str:
    """An alpaca-py enum's value ("limit"), or the text itself, lower case."""
    return clean(getattr(value, "value", value) or "", one_line=True, limit=40).strip().lower()


@dataclass(frozen=True)
class Change:
    field: str  # the form's field: qty, limit_price, stop_price, trail, tif
    label: str
    old: str
    new: str

    def __str__(self) -> str:
        return f"{self.label} {self.old} → {self.new}"


@dataclass(frozen=True)
class Modification:
    """What the user confirmed: the order, its label, and the changes (for Broker.replace)."""

    order_id: str
    label: str  # "BUY 10 AAPL lmt 250.00 (id 1a2b3c4d)"
    changes: dict[str, Any]  # qty, limit_price, stop_price, trail, time_in_force: only those that change
    rows: tuple[Change, ...]

    @property
    def summary(self) -> str:
        return ", ".join(str(row) for row in self.rows)


def leg_kind(order: Any) -> str:
    """A bracket leg's part: "take_profit" (a limit) or "stop_loss" (a stop)."""
    return "take_profit" if word(getattr(order, "type", None) or getattr(order, "order_type", None)) == "limit" \
        else "stop_loss"


def refusal(order: Any) -> str | None:
    """Why this order cannot be modified, in plain words, or None."""
    status = word(getattr(order, "status", None)) or "unknown"
    if status not in REPLACEABLE:
        return f"This order is {status.replace('_', ' ')}: only open orders can be modified."
    qty = number(getattr(order, "qty", None))
    if qty is None:
        return "A dollar-amount order cannot be modified: cancel it and place a new one."
    if qty != qty.to_integral_value():
        return "A fractional order cannot be modified: cancel it and place a new one."
    return None


def editable(order: Any, leg: bool) -> tuple[str, ...]:
    """The form fields the user may change: a leg's price only; else qty, the prices of
    the order's type and the time in force."""
    kind = word(getattr(order, "type", None) or getattr(order, "order_type", None))
    if leg:
        return ("limit_price",) if kind == "limit" else PRICE_FIELDS.get(kind, ("stop_price",))
    return ("qty", *PRICE_FIELDS.get(kind, ()), "tif")


def trail_text(order: Any) -> str:
    trail_price, trail_percent = number(getattr(order, "trail_price", None)), number(getattr(order, "trail_percent", None))
    if trail_price is not None:
        return plain(trail_price)
    if trail_percent is not None:
        return f"{plain(trail_percent)}%"
    return ""


def form_of(order: Any) -> TicketForm:
    """The ticket's form as the order stands: what the user edits."""
    def figure(name: str) -> str:
        value = number(getattr(order, name, None))
        return plain(value) if value is not None else ""

    return TicketForm(
        symbol=clean(getattr(order, "symbol", "") or "", one_line=True, limit=24), side=word(order.side),
        qty=figure("qty"), order_type=word(getattr(order, "type", None) or getattr(order, "order_type", None)),
        limit_price=figure("limit_price"), stop_price=figure("stop_price"), trail=trail_text(order),
        tif=word(order.time_in_force), extended_hours=bool(getattr(order, "extended_hours", False)))


def own_holding(holding: Holding, order: Any) -> Holding:
    """The holding with this order's own claim released: its replacement takes the old one's
    place, so the shares the old one holds are free for it."""
    position = holding.position
    side = word(order.side)
    closes = (side == "sell" and position > 0) or (side == "buy" and position < 0)
    if not closes or word(order.status) == "held":
        return holding
    left = max((number(order.qty) or Decimal(0)) - (number(getattr(order, "filled_qty", None)) or Decimal(0)),
               Decimal(0))
    mine = hold_text(order)
    return Holding(holding.qty, min(holding.free + left, abs(position)),
                   tuple(h for h in holding.held_by if h != mine))


def _money(value: Decimal | None) -> str:
    return format_price(value) if value is not None else "—"


def changes_of(order: Any, plan: OrderPlan, fields: tuple[str, ...]) -> Modification | dict[str, str] | None:
    """What the checked plan changes of the order (None: nothing), or {field: message}."""
    rows: list[Change] = []
    wire: dict[str, Any] = {}

    def changed(field: str, old: Any, new: Any, old_text: str, new_text: str, value: Any) -> None:
        if new is not None and new != old:
            rows.append(Change(field, LABELS[field], old_text, new_text))
            wire[WIRE.get(field, field)] = value

    if "qty" in fields:
        old = number(order.qty)
        if plan.qty is not None and plan.qty != plan.qty.to_integral_value():
            return {"qty": "whole shares only when modifying an order"}
        changed("qty", old, plan.qty, format_qty(old) if old is not None else "—",
                format_qty(plan.qty) if plan.qty is not None else "", plan.qty)
    for field in ("limit_price", "stop_price"):
        if field in fields:
            old = number(getattr(order, field, None))
            new = getattr(plan, field)
            changed(field, old, new, _money(old), _money(new), new)
    if "trail" in fields:
        old_price, old_percent = number(getattr(order, "trail_price", None)), number(getattr(order, "trail_percent", None))
        if old_percent is not None and plan.trail_price is not None:
            return {"trail": "this order trails by a percent: give one, like 2%"}
        if old_price is not None and plan.trail_percent is not None:
            return {"trail": "this order trails by an amount: give one, like 1.50"}
        if old_percent is not None:
            changed("trail", old_percent, plan.trail_percent, f"{plain(old_percent)}%",
                    f"{plain(plan.trail_percent)}%" if plan.trail_percent is not None else "", plan.trail_percent)
        else:
            changed("trail", old_price, plan.trail_price, _money(old_price), _money(plan.trail_price),
                    plan.trail_price)
    if "tif" in fields:
        old_tif = word(order.time_in_force)
        changed("tif", old_tif, plan.tif, old_tif.upper(), plan.tif.upper(), plan.tif)
    if not rows:
        return None
    return Modification(str(order.id), hold_text(order), wire, tuple(rows))


def leg_changes(order: Any, form: TicketForm, fields: tuple[str, ...]) -> Modification | dict[str, str] | None:
    """A bracket leg's new price, checked (a price in cents, above 0)."""
    errors: dict[str, str] = {}
    prices: dict[str, Decimal | None] = {"limit_price": None, "stop_price": None}
    for field in fields:
        text = getattr(form, field, "")
        value, error = parse_price(text, LABELS[field].lower() + " price")
        if error or value is None:
            errors[field] = error or f"enter the {LABELS[field].lower()} price"
        prices[field] = value
    if errors:
        return errors
    plan = OrderPlan(symbol=form.symbol, side=form.side, order_type=form.order_type, tif=form.tif, qty=None,
                     notional=None, limit_price=prices["limit_price"], stop_price=prices["stop_price"],
                     trail_price=None, trail_percent=None, extended_hours=False, take_profit=None, stop_loss=None)
    return changes_of(order, plan, fields)
