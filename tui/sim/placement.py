"""Placing orders: a new order with its legs, and a replacement taking an old order's place.

The checks come first (rules.py); what is placed here has passed them. Every order placed
is registered in the book and announced on trade_updates, but for held bracket legs,
which announce "new" when their entry fills and releases them.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_DOWN, Decimal
from typing import TYPE_CHECKING

from . import matching
from .assets import Asset
from .model import FRACTION, Order
from .requests import OrderSpec

if TYPE_CHECKING:
    from .engine import Exchange


def intent_for(side: str, position: Decimal) -> str:
    """Alpaca's position_intent for an order on `side` against the position it meets at
    acceptance: a buy covers a short or opens/adds to a long; a sell closes a long or opens a short."""
    if side == "buy":
        return "buy_to_close" if position < 0 else "buy_to_open"
    return "sell_to_close" if position > 0 else "sell_to_open"


def _leg_intent(parent: Order, leg_side: str) -> str:
    """Bracket/OTO exits close what their entry opens; an OCO's stop-loss closes what its
    take-profit does (both are exits of the same position)."""
    if parent.order_class == "oco":
        return parent.position_intent or intent_for(leg_side, Decimal(0))
    return "sell_to_close" if leg_side == "sell" else "buy_to_close"


def new_order(ex: Exchange, spec: OrderSpec, asset: Asset, now: datetime, side: str, otype: str,
              limit_price: Decimal | None, stop_price: Decimal | None, status: str,
              client_order_id: str | None = None, parent: Order | None = None) -> Order:
    """One order (or a leg of `parent`) from the request, registered but not announced.
    Its position_intent is the client's, else decided now from the position, as Alpaca does."""
    if parent is not None:
        intent = _leg_intent(parent, side)
    else:
        intent = spec.position_intent or intent_for(side, ex.position_qty(asset.symbol))
    order = Order(
        id=ex.uuid(),
        client_order_id=client_order_id or ex.uuid(),
        symbol=asset.symbol,
        asset_id=asset.id,
        side=side,
        type=otype,
        time_in_force=spec.time_in_force,
        order_class=spec.order_class,
        status=status,
        created_at=now,
        updated_at=now,
        submitted_at=now,
        qty=spec.qty,
        notional=spec.notional,
        limit_price=limit_price,
        stop_price=stop_price,
        trail_price=spec.trail_price if parent is None else None,
        trail_percent=spec.trail_percent if parent is None else None,
        extended_hours=spec.extended_hours,
        position_intent=intent,
        expires_at=ex.hours.expiry(now, spec.time_in_force, spec.extended_hours),
        parent_id=parent.id if parent else None,
    )
    return ex.book.register(order)


def place(ex: Exchange, spec: OrderSpec, asset: Asset, now: datetime) -> Order:
    """The order a checked request asks for, its legs, and maybe a plan to fill it partially first."""
    tradable_now = ex.hours.can_trade(now, spec.extended_hours) and spec.time_in_force not in ("opg", "cls")
    status = "pending_new" if tradable_now else "accepted"
    order = new_order(ex, spec, asset, now, spec.side, spec.type, spec.limit_price, spec.stop_price,
                      status, spec.client_order_id)
    if order.type == "trailing_stop":
        quote = ex.prices.quote(order.symbol)
        order.hwm = quote.last
        order.stop_price = matching.trail_stop(order)
    exit_side = "sell" if spec.side == "buy" else "buy"
    if spec.order_class in ("bracket", "oto"):
        leg_status = "held"
        if spec.take_profit_limit is not None:
            order.legs.append(new_order(ex, spec, asset, now, exit_side, "limit", spec.take_profit_limit,
                                        None, leg_status, parent=order))
        if spec.stop_loss_stop is not None:
            leg_type = "stop_limit" if spec.stop_loss_limit is not None else "stop"
            order.legs.append(new_order(ex, spec, asset, now, exit_side, leg_type, spec.stop_loss_limit,
                                        spec.stop_loss_stop, leg_status, parent=order))
    elif spec.order_class == "oco":
        # The request's limit is the take-profit; the stop-loss is the leg. Both work at once.
        leg_type = "stop_limit" if spec.stop_loss_limit is not None else "stop"
        order.legs.append(new_order(ex, spec, asset, now, spec.side, leg_type, spec.stop_loss_limit,
                                    spec.stop_loss_stop, status, parent=order))
    rng = ex.fills_rng
    if rng.random() < ex.options.partial_fill_share and order.qty is not None and order.qty >= 2:
        whole = order.qty == order.qty.to_integral_value()
        share = Decimal(str(round(rng.uniform(0.2, 0.8), 2)))
        part = (order.qty * share).to_integral_value(ROUND_DOWN) if whole else (order.qty * share).quantize(FRACTION)
        if 0 < part < order.qty:
            order.partial_plan = part
    order.next_fill_at = ex.clock.monotonic() + ex.options.fill_delay
    ex.emit(status, order, now)
    for leg in order.legs:
        if leg.status != "held":  # "held" is no trade_updates event: held legs announce "new" when released
            ex.emit(leg.status, leg, now)
    return order


def replace(ex: Exchange, old: Order, whole: OrderSpec, now: datetime) -> Order:
    """A new order in `old`'s place, as the checked replacement `whole` describes it: it takes
    over the old one's legs (or its place among its parent's) and the old one ends "replaced"."""
    tif = whole.time_in_force
    new = Order(
        id=ex.uuid(),
        client_order_id=whole.client_order_id or ex.uuid(),
        symbol=old.symbol, asset_id=old.asset_id, side=old.side, type=old.type, time_in_force=tif,
        order_class=old.order_class, status=old.status if old.status in ("held", "accepted") else "new",
        created_at=now, updated_at=now, submitted_at=now, qty=whole.qty, notional=old.notional,
        limit_price=whole.limit_price, stop_price=whole.stop_price, trail_price=whole.trail_price,
        trail_percent=whole.trail_percent, hwm=old.hwm, extended_hours=old.extended_hours,
        position_intent=old.position_intent,
        expires_at=ex.hours.expiry(now, tif, old.extended_hours) if tif != old.time_in_force else old.expires_at,
        replaces=old.id, parent_id=old.parent_id, legs=old.legs,
    )
    if new.type == "trailing_stop":
        new.stop_price = matching.trail_stop(new)
    ex.book.register(new)
    for leg in new.legs:
        leg.parent_id = new.id
    if old.parent_id:
        parent = ex.book.orders[old.parent_id]
        parent.legs = [new if leg.id == old.id else leg for leg in parent.legs]
    old.legs = []
    old.status, old.replaced_by, old.replaced_at = "replaced", new.id, now
    ex.book.unlist(old)
    old.touch(now)
    ex.emit("replaced", old, now)
    if new.status != "held":
        ex.emit(new.status, new, now)
    return new
