"""Alpaca's order rules, written from its documentation and not from tui/broker/ticket.py:
the oracle test_ticket_properties.py checks every accepted plan against (alpaca_problems),
and what alpaca-py puts on the wire (wire_body)."""

from __future__ import annotations

import json
import re
from decimal import Decimal

from tui.broker.ticket import AssetFacts, Holding, OrderPlan, TicketForm

from .ticket_inputs import holding_truth

D = Decimal


# ---- Alpaca's rules, from its documentation (independent of the module) ----------------------

SYMBOL = re.compile(r"[A-Z0-9][A-Z0-9./]*", re.ASCII)
ENTRY_PRICES = {
    "market": set(),
    "limit": {"limit_price"},
    "stop": {"stop_price"},
    "stop_limit": {"stop_price", "limit_price"},
    "trailing_stop": {"trail"},
}
ALL_TIFS = {"day", "gtc", "opg", "cls", "ioc", "fok"}


def decimal_places(value: Decimal) -> int:
    """Decimals of an exact value, trailing zeros ignored (no context rounding involved)."""
    sign, digits, exponent = value.as_tuple()
    digits = list(digits)
    while exponent < 0 and digits and digits[-1] == 0:
        digits.pop()
        exponent += 1
    return max(0, -exponent)


def sub_penny(price: Decimal) -> bool:
    """Alpaca: at most 2 decimals at $1 and above, 4 below, else 422 'sub-penny increment'."""
    return decimal_places(price) > (2 if price >= 1 else 4)


def as_typed(text: str, dollars: bool = False) -> Decimal:
    """The number a person meant by `text`: padding, a leading '$' and thousands commas dropped."""
    text = text.strip()
    if dollars and text.startswith("$"):
        text = text[1:].strip()
    return Decimal(text.replace(",", ""))


def alpaca_problems(plan: OrderPlan, form: TicketForm, asset: AssetFacts | None, holding: Decimal | Holding,
                    ) -> list[str]:
    """Every reason Alpaca would refuse `plan`, or why it is not the order the form asked for."""
    problems: list[str] = []
    position, available = holding_truth(holding)

    def need(ok: bool, why: str) -> None:
        if not ok:
            problems.append(why)

    # what was asked for
    need(plan.symbol == form.symbol.strip().upper(), f"symbol {plan.symbol!r} is not what was typed")
    need(bool(SYMBOL.fullmatch(plan.symbol)), f"symbol {plan.symbol!r} is not a ticker")
    need(plan.side in ("buy", "sell") and plan.side == form.side.strip().lower(), f"side {plan.side!r}")
    need(plan.order_type in ENTRY_PRICES and plan.order_type == form.order_type.strip().lower(),
         f"type {plan.order_type!r}")
    need(plan.tif in ALL_TIFS and plan.tif == form.tif.strip().lower(), f"time in force {plan.tif!r}")
    need(plan.extended_hours is bool(form.extended_hours), "extended_hours differs from the form")

    # size: qty > 0 or notional >= $1, never both
    need((plan.qty is None) != (plan.notional is None), "exactly one of qty and notional")
    fractional = plan.notional is not None
    if plan.qty is not None:
        need(plan.qty.is_finite() and plan.qty > 0, f"qty {plan.qty} must be > 0")
        need(decimal_places(plan.qty) <= 9, f"qty {plan.qty}: more than 9 decimals")
        need(plan.qty == as_typed(form.qty), f"qty {plan.qty} is not the {form.qty!r} typed")
        fractional = plan.qty != int(plan.qty)
    if plan.notional is not None:
        need(plan.notional.is_finite() and plan.notional >= 1, f"notional {plan.notional} below $1")
        need(decimal_places(plan.notional) <= 2, f"notional {plan.notional}: more than cents")
        need(plan.notional == as_typed(form.notional, dollars=True), f"notional {plan.notional} is not what was typed")
        need(plan.order_type == "market", "notional needs a market order")

    # fractional orders: DAY, simple, no trailing stop
    if fractional:
        need(plan.tif == "day", "fractional orders must be DAY orders")
        need(plan.take_profit is None and plan.stop_loss is None, "fractional orders must be simple")
        need(plan.order_type != "trailing_stop", "fractional trailing stop")

    # prices: exactly the ones the type uses, each > 0 and not sub-penny
    trail = plan.trail_price if plan.trail_price is not None else plan.trail_percent
    present = {name for name, value in [("limit_price", plan.limit_price), ("stop_price", plan.stop_price),
                                        ("trail", trail)] if value is not None}
    need(present == ENTRY_PRICES[plan.order_type], f"{plan.order_type} order with prices {sorted(present)}")
    need(plan.trail_price is None or plan.trail_percent is None, "both trail_price and trail_percent")
    for name in ("limit_price", "stop_price", "trail_price", "take_profit", "stop_loss"):
        price = getattr(plan, name)
        if price is not None:
            need(price.is_finite() and price > 0, f"{name} {price} must be > 0")
            need(not sub_penny(price), f"{name} {price} is a sub-penny price")
    if plan.trail_percent is not None:
        need(plan.trail_percent.is_finite() and 0 < plan.trail_percent < 100, f"trail percent {plan.trail_percent}")
    for name, text in [("limit_price", form.limit_price), ("stop_price", form.stop_price), ("trail_price", form.trail),
                       ("take_profit", form.take_profit), ("stop_loss", form.stop_loss)]:
        if getattr(plan, name) is not None:
            need(getattr(plan, name) == as_typed(text, dollars=True), f"{name} is not the {text!r} typed")
    if plan.trail_percent is not None:
        need(plan.trail_percent == as_typed(form.trail.strip().removesuffix("%")),
             f"trail is not the {form.trail!r} typed")

    # time in force per type
    if plan.order_type in ("stop", "stop_limit", "trailing_stop"):
        need(plan.tif in ("day", "gtc"), f"{plan.order_type} orders must be DAY or GTC")
    if plan.extended_hours:
        need(plan.order_type == "limit" and plan.tif in ("day", "gtc"), "extended hours needs a DAY/GTC limit")
        need(plan.take_profit is None and plan.stop_loss is None, "extended hours with legs")

    # bracket / OTO legs: DAY or GTC, not on a trailing stop, exits on the right side of the entry
    need((plan.take_profit is None) == (not form.take_profit.strip()), "take-profit differs from the form")
    need((plan.stop_loss is None) == (not form.stop_loss.strip()), "stop-loss differs from the form")
    legs = [leg for leg in (plan.take_profit, plan.stop_loss) if leg is not None]
    if legs:
        need(plan.tif in ("day", "gtc"), "legs need DAY or GTC")
        need(plan.order_type != "trailing_stop", "trailing stop with legs")
        buying = plan.side == "buy"
        entry = plan.limit_price if plan.order_type in ("limit", "stop_limit") else plan.stop_price
        tp, sl = plan.take_profit, plan.stop_loss
        if tp is not None and sl is not None:
            need(tp > sl if buying else tp < sl, f"take-profit {tp}, stop-loss {sl}: wrong sides for a {plan.side}")
        if entry is not None:
            cent = D("0.01")
            if tp is not None:
                need(tp >= entry + cent if buying else tp <= entry - cent, f"take-profit {tp} vs entry {entry}")
            if sl is not None:
                need(sl <= entry - cent if buying else sl >= entry + cent, f"stop-loss {sl} vs entry {entry}")

    # the asset (facts only count when they describe this symbol)
    if asset is not None and asset.symbol.strip().upper() == plan.symbol:
        need(asset.tradable, "asset is not tradable")
        if fractional:
            need(asset.fractionable, "asset is not fractionable")
        if plan.side == "sell" and position <= 0:
            need(asset.shortable and asset.easy_to_borrow, "asset cannot be sold short")

    # shorts and flips: one order may not flip long to short or back, nor close shares that
    # open orders hold: Alpaca refuses it with "insufficient qty available for order"
    if plan.side == "sell" and position <= 0:
        need(plan.notional is None and not fractional, "a short sale must be whole shares")
    closes = (plan.side == "sell" and position > 0) or (plan.side == "buy" and position < 0)
    if closes and plan.qty is not None:
        need(plan.qty <= abs(position), f"{plan.side} {plan.qty} against {position} flips the position")
        need(plan.qty <= available, f"{plan.side} {plan.qty} with only {available} of {position} available")
    if closes and plan.notional is not None:
        need(available > 0, f"a dollar amount against {position} with none available")
    return problems


def wire_body(plan: OrderPlan, client_order_id: str) -> dict:
    """The JSON body alpaca-py would POST (submit_order -> to_request_fields -> json), with
    numbers read back exactly as the server reads them."""
    request = plan.to_request(client_order_id)
    return json.loads(json.dumps(request.to_request_fields()), parse_float=Decimal, parse_int=Decimal)


def shown(value: str) -> Decimal:
    """A number as the review screen shows it: '$1,234.50', '1,000', '2.5%'."""
    return Decimal(value.replace("$", "").replace(",", "").removesuffix("%"))


