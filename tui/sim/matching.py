"""The matching engine: when open orders execute, at what price, and what a fill changes.

Orders execute against the quotes (buy at the ask, sell at the bid), never against each
other: the simulated market is deep enough for any order. A fill moves cash and the
position, is counted for day trades, becomes a FILL activity and a trade_updates event
(a sell also pays its regulatory fees, fees.py), and releases or cancels the order's
bracket and OCO companions.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import TYPE_CHECKING

from .. import daytrades
from . import market_calendar as cal
from .errors import unprocessable
from .fees import sell_fees
from .fmt import num, round_price
from .model import FRACTION, WORKING_STATUSES, ZERO, CashActivity, FillActivity, Order, Position, activity_id
from .prices import Quote

if TYPE_CHECKING:
    from .engine import Exchange

PARTIAL_FILL_PAUSE = 0.4  # seconds before the rest of a partial fill executes


def match(ex: Exchange, now: datetime, mono: float) -> None:
    """Move every open order on as far as it can go now: accepted, new, (partially) filled."""
    for order in list(ex.book.open.values()):
        if not order.is_open or order.status == "held":
            continue
        if order.status == "accepted":
            if order.time_in_force == "opg":
                if ex.hours.phase(now) is cal.Phase.REGULAR and ex.hours.mode == "nyse":
                    auction(ex, order, now)
                continue
            if order.time_in_force == "cls" or not ex.hours.can_trade(now, order.extended_hours):
                continue
            order.status = "pending_new"
            order.next_fill_at = mono + ex.options.fill_delay
            ex.emit("pending_new", order, now)
        if order.status == "pending_new":
            if mono < order.next_fill_at:
                continue
            order.status = "new"
            order.touch(now)
            ex.emit("new", order, now)
        if order.status in WORKING_STATUSES and mono >= order.next_fill_at:
            _work(ex, order, now, mono)


def auction(ex: Exchange, order: Order, now: datetime) -> None:
    """Opening/closing auction for opg/cls orders: execute entirely, or not at all."""
    quote = ex.prices.quote(order.symbol)
    price = _execution_price(ex, order, quote)
    if order.status == "accepted":
        order.status = "new"
        ex.emit("new", order, now)
    if price is None:
        ex.finish(order, "canceled", now)
        return
    qty = order.remaining if order.qty is not None else (order.notional / price).quantize(FRACTION, ROUND_DOWN)
    _execute(ex, order, qty, price, now)


def trail_stop(order: Order) -> Decimal:
    """A trailing stop's stop price, trailing its high-water mark (a low one for buys)."""
    assert order.hwm is not None
    if order.trail_price is not None:
        offset = order.trail_price
    else:
        offset = order.hwm * (order.trail_percent or ZERO) / 100
    stop = order.hwm - offset if order.side == "sell" else order.hwm + offset
    return round_price(max(stop, Decimal("0.0001")))


def _execution_price(ex: Exchange, order: Order, quote: Quote) -> Decimal | None:
    """The price this order executes at now, or None if it cannot."""
    buy = order.side == "buy"
    touch = quote.ask if buy else quote.bid
    if order.type == "trailing_stop":
        if ex.hours.phase(ex.clock.now()) is not cal.Phase.REGULAR:
            return None  # trailing stops never trigger outside regular hours
        order.hwm = max(order.hwm, quote.last) if not buy else min(order.hwm, quote.last)
        order.stop_price = trail_stop(order)
    if order.type in ("stop", "stop_limit", "trailing_stop") and not order.triggered:
        hit = quote.last >= order.stop_price if buy else quote.last <= order.stop_price
        if not hit:
            return None
        order.triggered = True
    if order.type in ("limit", "stop_limit"):
        assert order.limit_price is not None
        marketable = touch <= order.limit_price if buy else touch >= order.limit_price
        return touch if marketable else None
    return touch


def _work(ex: Exchange, order: Order, now: datetime, mono: float) -> None:
    if order.time_in_force == "cls":
        return
    if not ex.hours.can_trade(now, order.extended_hours):
        return
    quote = ex.prices.quote(order.symbol)
    price = _execution_price(ex, order, quote)
    if price is None:
        if order.time_in_force in ("ioc", "fok"):
            ex.finish(order, "canceled", now)
        return
    qty = order.remaining if order.qty is not None else (order.notional / price).quantize(FRACTION, ROUND_DOWN)
    if order.partial_plan is not None and order.time_in_force not in ("fok",) and not order.filled_qty:
        qty, order.partial_plan = order.partial_plan, None
        order.next_fill_at = mono + PARTIAL_FILL_PAUSE
    _execute(ex, order, qty, price, now)
    if order.time_in_force == "ioc" and order.is_open:
        ex.finish(order, "canceled", now)


def execute_on_demand(ex: Exchange, order: Order, qty: Decimal, now: datetime) -> None:
    """POST /sim/fill (a simulator control, for tests): execute `qty` of a working order now, at
    its limit (the touch for other types) whether the market reaches it or not. A resting
    limit so filled in part stays partially_filled until the market comes to it."""
    if order.status not in WORKING_STATUSES or order.qty is None:
        raise unprocessable(f'order is in "{order.status}" state, not working')
    if not 0 < qty <= order.remaining:
        raise unprocessable(f"qty must be > 0 and at most {num(order.remaining)}")
    quote = ex.prices.quote(order.symbol)
    price = order.limit_price if order.limit_price is not None else (quote.ask if order.side == "buy" else quote.bid)
    _execute(ex, order, qty, price, now)


def _execute(ex: Exchange, order: Order, qty: Decimal, price: Decimal, now: datetime) -> None:
    if order.qty is None:  # a notional order learns its qty when it fills
        order.qty = qty
    position_before = ex.position_qty(order.symbol)
    _apply_to_position(ex, order, qty, price, now)
    order.filled_qty += qty
    order.filled_value += qty * price
    order.touch(now)
    done = order.filled_qty >= order.qty
    order.status = "filled" if done else "partially_filled"
    if done:
        order.filled_at = now
        ex.book.unlist(order)
    ex.prices.record_trade(order.symbol, qty)
    opens_short = order.side == "sell" and position_before <= 0
    side_label = "sell_short" if opens_short else order.side
    ex.day_trades.add(daytrades.Fill(day=ex.hours.trading_date(now), symbol=order.symbol,
                                     side=order.side, qty=qty, at=now))
    execution = ex.execution_id()
    ex.activities.append(FillActivity(
        id=activity_id(now, execution), at=now, order=order, side=side_label, symbol=order.symbol,
        price=price, qty=qty, kind="fill" if done else "partial_fill", leaves_qty=order.remaining,
        cum_qty=order.filled_qty, order_status=order.status,
    ))
    if order.side == "sell":  # sell_short included
        _charge_fees(ex, order.symbol, qty, price, now, execution)
    ex.emit("fill" if done else "partial_fill", order, now, execution_id=execution,
            price=num(price), qty=num(qty), position_qty=num(ex.position_qty(order.symbol)))
    _after_fill(ex, order, done, now)


def _charge_fees(ex: Exchange, symbol: str, qty: Decimal, price: Decimal, now: datetime, execution: str) -> None:
    """A sell's TAF and REG fees: FEE activities, paid from cash, as the seeded past has them.
    Booked a millisecond apart after the fill, so ids keep sorting as time does; their ids
    derive from the execution's, so no random stream moves (ids of later orders stay put)."""
    for n, (sub_type, description, fee) in enumerate(sell_fees(qty, price), start=1):
        at = now + timedelta(milliseconds=n)
        unique = str(uuid.uuid5(uuid.NAMESPACE_OID, f"{execution}:{sub_type}"))
        ex.cash -= fee
        ex.cash_activities.append(CashActivity(
            id=activity_id(at, unique), at=at, activity_type="FEE", net_amount=-fee, description=description,
            symbol=symbol, qty=qty, sub_type=sub_type))


def _after_fill(ex: Exchange, order: Order, done: bool, now: datetime) -> None:
    # A filled entry releases its exit legs.
    if done and order.order_class in ("bracket", "oto") and order.parent_id is None:
        for leg in order.legs:
            if leg.status == "held":
                leg.qty = order.filled_qty
                leg.status = "new"
                leg.touch(now)
                leg.next_fill_at = ex.clock.monotonic() + ex.options.fill_delay
                ex.emit("new", leg, now)
    # One side of an OCO pair executing cancels (or shrinks) the other.
    for peer in ex.book.oco_peers(order):
        if not peer.is_open:
            continue
        if done:
            ex.finish(peer, "canceled", now)
        elif peer.qty is not None and order.qty is not None:
            peer.qty = peer.filled_qty + order.remaining
            peer.touch(now)
            ex.book.changed(peer.symbol)  # a change no event announces


def _apply_to_position(ex: Exchange, order: Order, qty: Decimal, price: Decimal, now: datetime) -> None:
    """Cash and the position after a fill: open, add, reduce, close, or cross through zero."""
    signed = qty if order.side == "buy" else -qty
    ex.cash -= signed * price
    pos = ex.positions.get(order.symbol)
    if pos is None:
        asset = ex.assets[order.symbol]
        ex.positions[order.symbol] = Position(
            symbol=order.symbol, asset_id=asset.id, exchange=asset.exchange, marginable=asset.marginable,
            qty=signed, cost_basis=signed * price, intraday_basis=signed * price, opened_at=now,
        )
        return
    if pos.qty * signed > 0:  # adding to the position
        pos.qty += signed
        pos.cost_basis += signed * price
        pos.intraday_basis += signed * price
        return
    closing = min(abs(signed), abs(pos.qty))
    share = closing / abs(pos.qty)
    pos.cost_basis -= pos.cost_basis * share
    pos.intraday_basis -= pos.intraday_basis * share
    pos.qty += closing if signed > 0 else -closing
    rest = abs(signed) - closing
    if pos.qty == 0:
        del ex.positions[order.symbol]
        if rest:  # crossed through zero: the rest opens the other side
            flip = rest if signed > 0 else -rest
            ex.positions[order.symbol] = Position(
                symbol=pos.symbol, asset_id=pos.asset_id, exchange=pos.exchange, marginable=pos.marginable,
                qty=flip, cost_basis=flip * price, intraday_basis=flip * price, opened_at=now,
            )
