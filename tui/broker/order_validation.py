"""The ticket's form (TicketForm) checked against Alpaca's documented order rules.

`validate` returns an OrderPlan, or one short message per wrong form field. The rules
mirror the simulator's server-side checks (tui/sim/requests.py, engine.py) so a plan that
passes here is never rejected for its parameters, nor for its size: closing orders are
checked against qty_available (see tui.broker.holding).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable

from ..terms import ORDER_TYPES, SIDES, TIME_IN_FORCE, plain
from .holding import Holding, short_of_shares
from .order_format import CENT
from .order_input import choice, parse_positive, parse_price
from .order_plan import TYPE_NAMES, OrderPlan

PRICE_FIELDS = {
    "market": (),
    "limit": ("limit_price",),
    "stop": ("stop_price",),
    "stop_limit": ("stop_price", "limit_price"),
    "trailing_stop": ("trail",),
}

DAY_OR_GTC = ("day", "gtc")
QTY_STEP = Decimal("1e-9")

SYMBOL_PATTERN = re.compile(r"[A-Z0-9][A-Z0-9./]*")


def tifs_for(order_type: str) -> tuple[str, ...]:
    """The time-in-force values Alpaca accepts for an order type (none for an unknown type)."""
    if order_type in ("market", "limit"):
        return TIME_IN_FORCE
    if order_type in ("stop", "stop_limit", "trailing_stop"):
        return DAY_OR_GTC
    return ()


@dataclass
class TicketForm:
    """Exactly what the user typed; every text field is a str."""

    symbol: str = ""
    side: str = "buy"
    qty: str = ""
    notional: str = ""  # dollars; qty XOR notional
    order_type: str = "market"
    limit_price: str = ""
    stop_price: str = ""
    trail: str = ""  # "1.50" -> trail_price 1.50 ; "2%" or "2.5 %" -> trail_percent
    tif: str = "day"
    extended_hours: bool = False
    take_profit: str = ""  # bracket take-profit limit price (optional)
    stop_loss: str = ""  # bracket stop-loss stop price (optional)


@dataclass(frozen=True)
class AssetFacts:
    """From GET /v2/assets/{symbol}; the UI fills it in when known."""

    symbol: str
    tradable: bool = True
    fractionable: bool = True
    shortable: bool = True
    easy_to_borrow: bool = True


def validate(
    form: TicketForm, asset: AssetFacts | None = None, holding: Holding | Decimal | None = None
) -> OrderPlan | dict[str, str]:
    """The plan, or {form field: message} with every field that is wrong (first problem each).

    `holding` is the position in the symbol: a Holding, or (older callers) its signed qty."""
    errors: dict[str, str] = {}

    def fail(field: str, message: str) -> None:
        errors.setdefault(field, message)

    hold = Holding.of(holding)
    position = hold.position

    symbol = form.symbol.strip().upper()
    if not symbol:
        fail("symbol", "enter a symbol")
    elif not SYMBOL_PATTERN.fullmatch(symbol):
        fail("symbol", "a symbol has only letters, digits, '.' and '/'")
    # Facts about another symbol (a stale lookup) say nothing about this one.
    facts = asset if asset is not None and asset.symbol.strip().upper() == symbol else None
    if facts is not None and not facts.tradable:
        fail("symbol", f"{symbol} is not tradable")

    side = choice(form.side)
    if side not in SIDES:
        fail("side", "choose buy or sell")
    order_type = choice(form.order_type)
    known_type = order_type in ORDER_TYPES
    if not known_type:
        fail("order_type", f"unknown order type: {form.order_type.strip()!r}")
    tif = choice(form.tif)
    if tif not in TIME_IN_FORCE:
        fail("tif", f"unknown time in force: {form.tif.strip()!r}")
    elif known_type and tif not in tifs_for(order_type):
        fail("tif", f"{TYPE_NAMES[order_type]} orders must be DAY or GTC")

    # ---- size: a share quantity or a dollar amount
    qty, qty_error = parse_positive(form.qty, "quantity")
    notional, notional_error = parse_positive(form.notional, "dollar amount", dollars=True)
    if qty_error:
        fail("qty", qty_error)
    if notional_error:
        fail("notional", notional_error)
    if not form.qty.strip() and not form.notional.strip():
        fail("qty", "enter a quantity or a dollar amount")
    elif form.qty.strip() and form.notional.strip():
        fail("notional", "give a quantity or a dollar amount, not both")
        qty = notional = None  # neither is usable until the user picks one
    if qty is not None and qty != qty.quantize(QTY_STEP):
        fail("qty", "quantity: at most 9 decimals")
        qty = None
    if notional is not None:
        if notional < 1:
            fail("notional", "dollar amount must be at least $1.00")
        elif notional != notional.quantize(CENT):
            fail("notional", "dollar amount: at most 2 decimals (cents)")
        if known_type and order_type != "market":
            fail("notional", "dollar amounts need a market order")
        if tif in TIME_IN_FORCE and tif != "day":
            fail("tif", "dollar-amount orders must be DAY orders")
    fractional_qty = qty is not None and qty != qty.to_integral_value()
    size_field = "notional" if notional is not None else "qty"
    if fractional_qty:
        if tif in TIME_IN_FORCE and tif != "day":
            fail("tif", "fractional orders must be DAY orders")
        if order_type == "trailing_stop":
            fail("qty", "trailing stops need a whole-share quantity")
    fractional = fractional_qty or notional is not None
    if fractional and facts is not None and not facts.fractionable:
        fail(size_field, f"{symbol} cannot be traded in fractions")

    # ---- prices the order type needs; fields for other types are ignored (the UI hides them)
    needed = PRICE_FIELDS.get(order_type, ())
    type_name = TYPE_NAMES.get(order_type, order_type)
    limit_price = stop_price = trail_price = trail_percent = None
    if "limit_price" in needed:
        limit_price, error = parse_price(form.limit_price, "limit price")
        if error or not form.limit_price.strip():
            fail("limit_price", error or f"{type_name} orders need a limit price")
    if "stop_price" in needed:
        stop_price, error = parse_price(form.stop_price, "stop price")
        if error or not form.stop_price.strip():
            fail("stop_price", error or f"{type_name} orders need a stop price")
    if "trail" in needed:
        trail_text = form.trail.strip()
        if not trail_text:
            fail("trail", "trailing stops need a trail: an amount like 1.50 or a percent like 2%")
        elif trail_text.endswith("%"):
            trail_percent, error = parse_positive(trail_text[:-1], "trail percent")
            if trail_percent is None:
                fail("trail", error or "not a number: '%'")
            elif not trail_percent < 100:  # the simulator, like Alpaca, wants 0 < percent < 100
                fail("trail", "trail percent must be below 100")
                trail_percent = None
        else:
            trail_price, error = parse_price(trail_text, "trail")
            if error:
                fail("trail", error)

    # ---- bracket / one-triggers-other legs
    take_profit, error = parse_price(form.take_profit, "take-profit")
    if error:
        fail("take_profit", error)
    stop_loss, error = parse_price(form.stop_loss, "stop-loss")
    if error:
        fail("stop_loss", error)
    leg_fields = [f for f in ("take_profit", "stop_loss") if getattr(form, f).strip()]
    for field in leg_fields:
        if fractional:
            fail(field, "take-profit and stop-loss need a whole-share quantity")
        if order_type == "trailing_stop":
            fail(field, "trailing stops cannot have a take-profit or stop-loss")
        if tif in TIME_IN_FORCE and tif not in DAY_OR_GTC:
            fail(field, "take-profit and stop-loss need a DAY or GTC order")
    if side in SIDES:
        check_leg_prices(side, order_type, limit_price, stop_price, take_profit, stop_loss, fail)

    if form.extended_hours:
        if order_type != "limit" or tif not in DAY_OR_GTC:
            fail("extended_hours", "extended hours needs a DAY or GTC limit order")
        elif leg_fields:
            fail("extended_hours", "extended hours orders cannot have a take-profit or stop-loss")

    # ---- the position and the asset: only shares not held by open orders, no flips,
    # shorts only where allowed
    closing = (side == "sell" and position > 0) or (side == "buy" and position < 0)
    if closing and qty is not None:
        problem = short_of_shares(hold, side, qty)
        if problem:
            fail("qty", problem)
    elif closing and notional is not None and hold.free == 0:
        # The share count of a dollar amount is only known at the quote (the review checks
        # it there); with every share held, any amount is refused.
        fail("notional", short_of_shares(hold, side, QTY_STEP) or "no shares available")
    if side == "sell" and position <= 0 and (qty is not None or notional is not None):  # opens or adds to a short
        if facts is not None and not (facts.shortable and facts.easy_to_borrow):
            fail(size_field, f"{symbol} cannot be sold short")
        elif notional is not None:
            fail("notional", "a dollar amount cannot be sold short: enter whole shares")
        elif fractional:
            fail("qty", "fractional shares cannot be sold short")

    if errors:
        return errors
    return OrderPlan(
        symbol=symbol,
        side=side,
        order_type=order_type,
        tif=tif,
        qty=Decimal(plain(qty)) if qty is not None else None,  # "1,000.50" -> 1000.5
        notional=notional,
        limit_price=limit_price,
        stop_price=stop_price,
        trail_price=trail_price,
        trail_percent=trail_percent,
        extended_hours=bool(form.extended_hours),
        take_profit=take_profit,
        stop_loss=stop_loss,
    )


def check_leg_prices(
    side: str,
    order_type: str,
    limit_price: Decimal | None,
    stop_price: Decimal | None,
    take_profit: Decimal | None,
    stop_loss: Decimal | None,
    fail: Callable[[str, str], None],
) -> None:
    """Exits of a buy sell higher (take-profit) or lower (stop-loss) than the entry; a sell's
    exits mirror that. The entry is the limit price, else the stop price; a market entry has
    no known price here, so only the legs are compared with each other. Alpaca wants a cent
    of room between each leg and the entry."""
    if order_type in ("limit", "stop_limit"):
        base, base_name = limit_price, "limit price"
    elif order_type == "stop":
        base, base_name = stop_price, "stop price"
    else:
        base, base_name = None, ""
    buying = side == "buy"
    if base is not None:
        if take_profit is not None and (take_profit < base + CENT if buying else take_profit > base - CENT):
            fail("take_profit", f"take-profit must be {'above' if buying else 'below'} the {base_name} for a {side}")
        if stop_loss is not None and (stop_loss > base - CENT if buying else stop_loss < base + CENT):
            fail("stop_loss", f"stop-loss must be {'below' if buying else 'above'} the {base_name} for a {side}")
    if take_profit is not None and stop_loss is not None and (take_profit <= stop_loss if buying else take_profit >= stop_loss):
        fail("take_profit", f"take-profit must be {'above' if buying else 'below'} the stop-loss for a {side}")
