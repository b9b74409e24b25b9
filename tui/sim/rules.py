"""The checks a new or replacing order passes against the account, in the order Alpaca reports them.

requests.py checks what a request says by itself; these need the account: the asset, the
position, the open orders, buying power, day trades. They only read the exchange: an
order that fails leaves no trace.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_DOWN, Decimal
from typing import TYPE_CHECKING

from .. import daytrades
from . import margin
from . import market_calendar as cal
from .assets import Asset
from .book import OrderBook
from .errors import PDT_DENIED, forbidden, unprocessable
from .fmt import money, num
from .model import FRACTION, WORKING_STATUSES, ZERO, Order
from .prices import PriceBook
from .requests import OrderSpec, ReplaceSpec, check_fractional, check_prices_for_type, check_time_in_force

if TYPE_CHECKING:
    from .engine import Exchange

TICK = Decimal("0.01")
# What a PATCH may replace: an order still working or waiting (a held bracket exit is
# replaced by price before its entry fills). Orders on their way to a cancel or another
# replacement, or stopped at the venue, are not.
REPLACEABLE = frozenset({"new", "partially_filled", "accepted", "pending_new", "held"})  # a bracket's exits stand at least a cent from its entry


def check_submission(ex: Exchange, spec: OrderSpec, now: datetime) -> Asset:
    """Every rule a new order must pass; returns the asset it trades."""
    if ex.config["suspend_trade"]:
        raise forbidden("new orders are rejected by user request")
    asset = ex.assets.get(spec.symbol)
    if asset is None:
        raise unprocessable(f'asset "{spec.symbol}" not found')
    if not asset.tradable:
        raise unprocessable(f'asset "{spec.symbol}" is not tradable')
    if spec.fractional and (not asset.fractionable or not ex.config["fractional_trading"]):
        raise unprocessable(f'asset "{spec.symbol}" is not fractionable')
    if spec.client_order_id is not None and spec.client_order_id in ex.book.by_client_id:
        raise unprocessable("client_order_id must be unique")
    if spec.time_in_force == "opg" and ex.hours.mode == "nyse" and ex.hours.phase(now) is cal.Phase.REGULAR:
        raise unprocessable("opg orders must be submitted before the market opens")
    _check_bracket_prices(spec, ex.prices)
    qty = order_qty(spec, ex.prices)
    _check_position_rules(ex, spec, asset, qty)
    _check_wash_trade(spec, ex.book)
    _check_buying_power(ex, spec, asset)
    _check_pdt(ex, spec, now)
    return asset


def check_replacement(ex: Exchange, old: Order, spec: ReplaceSpec) -> OrderSpec:
    """What replacing `old` with `spec` asks for, as a whole order, once it passes the rules.

    A replacement is a new order in the old one's place: the same rules apply, with the old
    order's claim on shares and buying power released. Legs are exits their parent already
    vouched for."""
    if not old.is_open:
        raise unprocessable("unable to replace order, order is not open")
    if old.status not in REPLACEABLE:
        raise unprocessable("order is not replaceable")
    if _unchanged(old, spec):
        raise forbidden("order parameters are not changed")
    if spec.client_order_id is not None and spec.client_order_id in ex.book.by_client_id:
        raise unprocessable("client_order_id must be unique")
    limit_price = spec.limit_price if spec.limit_price is not None else old.limit_price
    stop_price = spec.stop_price if spec.stop_price is not None else old.stop_price
    trail_price, trail_percent = old.trail_price, old.trail_percent
    if spec.trail is not None:
        if old.type != "trailing_stop":
            raise unprocessable("trail is only allowed for trailing stop orders")
        trail_price, trail_percent = (spec.trail, None) if old.trail_price is not None else (None, spec.trail)
    if spec.limit_price is not None and old.type not in ("limit", "stop_limit"):
        raise unprocessable(f"limit_price is not allowed for {old.type} orders")
    if spec.stop_price is not None and old.type not in ("stop", "stop_limit"):
        raise unprocessable(f"stop_price is not allowed for {old.type} orders")
    check_prices_for_type(old.type, limit_price, stop_price if old.type != "trailing_stop" else None,
                          trail_price, trail_percent)
    qty = spec.qty if spec.qty is not None else old.qty
    if qty is not None and old.filled_qty:
        if qty <= old.filled_qty:
            raise unprocessable("qty must be greater than filled_qty")
        qty -= old.filled_qty
    whole = OrderSpec(
        symbol=old.symbol, side=old.side, type=old.type, time_in_force=spec.time_in_force or old.time_in_force,
        qty=qty, notional=old.notional, limit_price=limit_price, stop_price=stop_price, trail_price=trail_price,
        trail_percent=trail_percent, extended_hours=old.extended_hours, client_order_id=spec.client_order_id,
        order_class=old.order_class, position_intent=old.position_intent,
    )
    check_time_in_force(whole)
    check_fractional(whole)
    if not old.parent_id:
        asset = ex.assets[old.symbol]
        _check_position_rules(ex, whole, asset, order_qty(whole, ex.prices), exclude=old.id)
        _check_wash_trade(whole, ex.book)
        _check_buying_power(ex, whole, asset, exclude=old.id)
    return whole


def _unchanged(old: Order, spec: ReplaceSpec) -> bool:
    """A replacement that asks for nothing new (Alpaca answers it 403)."""
    trail = old.trail_price if old.trail_price is not None else old.trail_percent
    asked = ((spec.qty, old.qty), (spec.limit_price, old.limit_price), (spec.stop_price, old.stop_price),
             (spec.trail, trail), (spec.time_in_force, old.time_in_force))
    return spec.client_order_id is None and all(new is None or new == was for new, was in asked)


def order_qty(spec: OrderSpec, prices: PriceBook) -> Decimal:
    """The qty the order will trade; for notional orders an estimate at the quote."""
    if spec.qty is not None:
        return spec.qty
    quote = prices.quote(spec.symbol)
    price = quote.ask if spec.side == "buy" else quote.bid
    return (spec.notional / price).quantize(FRACTION, ROUND_DOWN)


def _check_bracket_prices(spec: OrderSpec, prices: PriceBook) -> None:
    if spec.order_class not in ("bracket", "oto"):
        return
    quote = prices.quote(spec.symbol)
    base = spec.limit_price or spec.stop_price or (quote.ask if spec.side == "buy" else quote.bid)
    if spec.side == "buy":
        if spec.take_profit_limit is not None and spec.take_profit_limit < base + TICK:
            raise unprocessable(f"take_profit.limit_price must be >= base_price + 0.01 (base_price: {num(base)})")
        if spec.stop_loss_stop is not None and spec.stop_loss_stop > base - TICK:
            raise unprocessable(f"stop_loss.stop_price must be <= base_price - 0.01 (base_price: {num(base)})")
    else:
        if spec.take_profit_limit is not None and spec.take_profit_limit > base - TICK:
            raise unprocessable(f"take_profit.limit_price must be <= base_price - 0.01 (base_price: {num(base)})")
        if spec.stop_loss_stop is not None and spec.stop_loss_stop < base + TICK:
            raise unprocessable(f"stop_loss.stop_price must be >= base_price + 0.01 (base_price: {num(base)})")


def _check_position_rules(ex: Exchange, spec: OrderSpec, asset: Asset, qty: Decimal,
                          exclude: str | None = None) -> None:
    """Shares must be there to sell, shorts must be allowed, and no order may flip the
    position from long to short or back. `exclude` is an order being replaced."""
    position = ex.position_qty(spec.symbol)
    held = ex.book.held_for_orders(spec.symbol, spec.side, exclude)
    reduces = (position > 0 and spec.side == "sell") or (position < 0 and spec.side == "buy")
    if reduces:
        available = max(ZERO, abs(position) - held)
        if qty > available:
            raise forbidden(
                f"insufficient qty available for order (requested: {num(qty)}, available: {num(available)})",
                available=num(available), existing_qty=num(abs(position)), held_for_orders=num(held),
                symbol=spec.symbol,
            )
        return
    if spec.side == "sell":
        # Opening or adding to a short.
        if not ex.shorting_enabled():
            raise forbidden("account is not allowed to short")
        if not asset.shortable or not asset.easy_to_borrow:
            raise unprocessable(f'asset "{spec.symbol}" cannot be sold short')
        if spec.fractional:
            raise unprocessable("fractional orders cannot be sold short")


def _check_wash_trade(spec: OrderSpec, book: OrderBook) -> None:
    """Refuse an order that could execute against our own open opposite-side order."""
    new_market = spec.type in ("market", "stop", "trailing_stop")
    for order in book.open_on(spec.symbol):
        if order.side == spec.side or order.status not in WORKING_STATUSES | {"accepted", "pending_new"}:
            continue
        open_market = order.type in ("market", "stop", "trailing_stop")
        crosses = False
        if not new_market and not open_market and spec.limit_price is not None and order.limit_price is not None:
            buy_limit, sell_limit = (
                (spec.limit_price, order.limit_price) if spec.side == "buy" else (order.limit_price, spec.limit_price)
            )
            crosses = buy_limit >= sell_limit
        if new_market or open_market or crosses:
            raise forbidden(
                "potential wash trade detected. use complex orders",
                reject_reason="opposite side market/stop order exists" if (new_market or open_market)
                else "opposite side limit order exists",
                existing_order_id=order.id,
            )


def _check_buying_power(ex: Exchange, spec: OrderSpec, asset: Asset, exclude: str | None = None) -> None:
    position = ex.position_qty(spec.symbol)
    adds_exposure = (spec.side == "buy" and position >= 0) or (spec.side == "sell" and position <= 0)
    if not adds_exposure:
        return
    cost = margin.order_cost(ex.prices, spec.symbol, spec.side, spec.type, spec.qty, spec.notional,
                             spec.limit_price, spec.stop_price)
    bp, _regt, non_marginable = ex.buying_power(exclude)
    available = bp if asset.marginable else non_marginable
    if cost > available:
        raise forbidden("insufficient buying power", buying_power=money(available), cost_basis=money(cost))


def _check_pdt(ex: Exchange, spec: OrderSpec, now: datetime) -> None:
    if ex.options.pdt != "legacy":
        return
    day = ex.hours.first_fill_date(now, spec.extended_hours)
    completes = ex.day_trades.would_day_trade(day, spec.symbol, spec.side, spec.qty)
    if daytrades.pdt_blocks(ex.daytrade_count(now), ex.last_equity, completes):
        raise PDT_DENIED
