"""Parsing and validating order requests: the rules that need no account state.

Bodies come from many clients: alpaca-py sends numbers as JSON floats, others as strings,
and booleans arrive as true/"true"/"True". Everything is checked here before the engine
looks at the account; each failure is the ApiError Alpaca would answer with.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from ..terms import ORDER_CLASSES, ORDER_TYPES, POSITION_INTENTS, SIDES, TIME_IN_FORCE
from .errors import ApiError, malformed, unprocessable
from .fmt import is_valid_increment

MAX_CLIENT_ORDER_ID = 128
# Upper bounds on numbers from clients. Decimal arithmetic keeps 28 digits: a qty with 9
# decimals times a price with 4 stays exact below these, and nothing later (quantize, money)
# can raise on a 1e30 or a 400-digit value.
MAX_QTY = Decimal(10**9)
MAX_NOTIONAL = Decimal(10**10)
MAX_PRICE = Decimal(10**7)
# Fields checked against their own range later ("between 0 and 100"); prices are the default.
BOUNDS: dict[str, Decimal | None] = {"qty": MAX_QTY, "notional": MAX_NOTIONAL, "percentage": None,
                                     "trail_percent": None}
MAX_JSON_DEPTH = 32  # Alpaca's bodies nest two levels; deeper is an attack, not an order


def to_decimal(value: Any, field: str) -> Decimal | None:
    """A number from JSON (float, int or string) within its field's bound; None when absent."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise unprocessable(f"invalid {field}")
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise unprocessable(f"invalid {field}") from None
    if not number.is_finite():
        raise unprocessable(f"invalid {field}")
    bound = BOUNDS.get(field.rpartition(".")[2], MAX_PRICE)
    if bound is not None and number > bound:
        raise unprocessable(f"{field} must be <= {bound}")
    return number


def decode_json(raw: bytes) -> Any:
    """A request body: UTF-8 JSON nested at most MAX_JSON_DEPTH deep, else 400 as Alpaca
    answers a malformed body. An empty body is an empty object."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise malformed() from None
    if not text.strip():
        return {}
    try:
        body = json.loads(text)
    except (ValueError, RecursionError):  # the C parser gives up on deep nesting by itself
        raise malformed() from None
    if json_depth(body) > MAX_JSON_DEPTH:
        raise malformed()
    return body


def json_depth(value: Any) -> int:
    """How deep containers nest in a parsed JSON value (iteratively: no recursion to exhaust)."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > MAX_JSON_DEPTH:
            break
        stack.extend((child, depth + 1) for child in children)
    return deepest


def to_bool(value: Any) -> bool:
    """true, "true", "True", 1 → True; a query string's "False" is False."""
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)


def lower(value: Any) -> str | None:
    return value.strip().lower() if isinstance(value, str) and value.strip() else None


@dataclass
class OrderSpec:
    symbol: str
    side: str
    type: str
    time_in_force: str
    qty: Decimal | None
    notional: Decimal | None = None
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    trail_price: Decimal | None = None
    trail_percent: Decimal | None = None
    extended_hours: bool = False
    client_order_id: str | None = None
    order_class: str = "simple"
    take_profit_limit: Decimal | None = None
    stop_loss_stop: Decimal | None = None
    stop_loss_limit: Decimal | None = None
    position_intent: str | None = None

    @property
    def fractional(self) -> bool:
        return self.notional is not None or (self.qty is not None and self.qty != self.qty.to_integral_value())


def check_price(value: Decimal | None, field: str) -> None:
    if value is None:
        return
    if value <= 0:
        raise unprocessable(f"{field} must be > 0")
    if not is_valid_increment(value):
        raise unprocessable(
            f"invalid {field} {value}. sub-penny increment does not fulfill minimum pricing criteria"
        )


def parse_order(body: Any) -> OrderSpec:
    if not isinstance(body, dict):
        raise malformed()
    symbol = body.get("symbol")
    if not isinstance(symbol, str) or not symbol.strip():
        raise unprocessable("symbol is required")
    side = lower(body.get("side"))
    if side not in SIDES:
        raise unprocessable("invalid side")
    otype = lower(body.get("type") or body.get("order_type"))
    if otype is None:
        raise unprocessable("type is required")
    if otype not in ORDER_TYPES:
        raise unprocessable("invalid order type")
    tif = lower(body.get("time_in_force"))
    if tif not in TIME_IN_FORCE:
        raise unprocessable("invalid time_in_force")
    order_class = lower(body.get("order_class")) or "simple"
    if order_class not in ORDER_CLASSES:
        raise unprocessable("invalid order_class")
    intent = lower(body.get("position_intent"))
    if intent is not None and intent not in POSITION_INTENTS:
        raise unprocessable("invalid position_intent")

    take_profit = body.get("take_profit") or {}
    stop_loss = body.get("stop_loss") or {}
    if not isinstance(take_profit, dict) or not isinstance(stop_loss, dict):
        raise malformed()
    take_profit_limit = to_decimal(take_profit.get("limit_price"), "take_profit.limit_price")
    limit_price = to_decimal(body.get("limit_price"), "limit_price")
    if order_class == "oco" and limit_price is None:
        limit_price = take_profit_limit  # an OCO's own limit is its take-profit; alpaca-py sends only that

    spec = OrderSpec(
        symbol=symbol.strip().upper(),
        side=side,
        type=otype,
        time_in_force=tif,
        qty=to_decimal(body.get("qty"), "qty"),
        notional=to_decimal(body.get("notional"), "notional"),
        limit_price=limit_price,
        stop_price=to_decimal(body.get("stop_price"), "stop_price"),
        trail_price=to_decimal(body.get("trail_price"), "trail_price"),
        trail_percent=to_decimal(body.get("trail_percent"), "trail_percent"),
        extended_hours=to_bool(body.get("extended_hours", False)),
        client_order_id=body.get("client_order_id") or None,
        order_class=order_class,
        take_profit_limit=take_profit_limit,
        stop_loss_stop=to_decimal(stop_loss.get("stop_price"), "stop_loss.stop_price"),
        stop_loss_limit=to_decimal(stop_loss.get("limit_price"), "stop_loss.limit_price"),
        position_intent=intent,
    )
    validate(spec)
    return spec


def validate(spec: OrderSpec) -> None:
    """The parameter rules of docs/api-facts.md §3 and §4, in the order Alpaca reports them."""
    check_quantity(spec)
    check_prices_for_type(spec.type, spec.limit_price, spec.stop_price, spec.trail_price, spec.trail_percent)
    check_time_in_force(spec)
    check_fractional(spec)
    check_client_order_id(spec.client_order_id)
    check_order_class(spec)


def check_quantity(spec: OrderSpec) -> None:
    if spec.qty is not None and spec.notional is not None:
        raise unprocessable("qty and notional cannot both be specified")
    if spec.qty is None and spec.notional is None:
        raise unprocessable("qty or notional is required")
    if spec.qty is not None and spec.qty <= 0:
        raise unprocessable("qty must be > 0")
    if spec.qty is not None and spec.qty != spec.qty.quantize(Decimal("1e-9")):
        raise unprocessable("qty must have at most 9 decimal places")
    if spec.notional is not None:
        if spec.notional <= 0:
            raise unprocessable("notional must be > 0")
        if spec.notional < 1:
            raise ApiError(403, 40310000, "cost basis must be >= 1")
        if spec.notional != spec.notional.quantize(Decimal("0.01")):
            raise unprocessable("notional must have at most 2 decimal places")


def check_prices_for_type(
    otype: str,
    limit_price: Decimal | None,
    stop_price: Decimal | None,
    trail_price: Decimal | None,
    trail_percent: Decimal | None,
) -> None:
    """Each type takes exactly the prices it uses: missing and superfluous ones are errors."""
    needs_limit = otype in ("limit", "stop_limit")
    needs_stop = otype in ("stop", "stop_limit")
    if needs_limit and limit_price is None:
        raise unprocessable("limit orders require a limit price" if otype == "limit" else "stop limit orders require a limit price")
    if needs_stop and stop_price is None:
        raise unprocessable("stop orders require a stop price")
    if not needs_limit and limit_price is not None:
        raise unprocessable(f"limit_price is not allowed for {otype} orders")
    if not needs_stop and stop_price is not None:
        raise unprocessable(f"stop_price is not allowed for {otype} orders")
    if otype == "trailing_stop":
        if (trail_price is None) == (trail_percent is None):
            raise unprocessable("trailing stop orders require exactly one of trail_price or trail_percent")
    elif trail_price is not None or trail_percent is not None:
        raise unprocessable(f"trail_price and trail_percent are not allowed for {otype} orders")
    check_price(limit_price, "limit_price")
    check_price(stop_price, "stop_price")
    check_price(trail_price, "trail_price")
    if trail_percent is not None and not (0 < trail_percent < 100):
        raise unprocessable("trail_percent must be between 0 and 100")


def check_time_in_force(spec: OrderSpec) -> None:
    tif, otype = spec.time_in_force, spec.type
    if otype in ("stop", "stop_limit", "trailing_stop") and tif not in ("day", "gtc"):
        raise unprocessable("invalid time_in_force")
    if tif in ("opg", "cls", "ioc", "fok") and otype not in ("market", "limit"):
        raise unprocessable("invalid time_in_force")
    if spec.extended_hours and (otype != "limit" or tif not in ("day", "gtc") or spec.order_class != "simple"):
        raise unprocessable("extended hours order must be DAY or GTC limit orders")


def check_fractional(spec: OrderSpec) -> None:
    if not spec.fractional:
        return
    if spec.time_in_force != "day":
        raise unprocessable("fractional orders must be DAY orders")
    if spec.order_class != "simple":
        raise unprocessable("fractional orders must be simple orders")
    if spec.notional is not None and spec.type != "market":
        raise unprocessable("notional orders must be market orders")
    if spec.type == "trailing_stop":
        raise unprocessable("fractional orders cannot be trailing stop orders")


def check_client_order_id(client_order_id: Any) -> None:
    if client_order_id is None:
        return
    if not isinstance(client_order_id, str):
        raise unprocessable("invalid client_order_id")
    if len(client_order_id) > MAX_CLIENT_ORDER_ID:
        raise unprocessable(f"client_order_id must be no more than {MAX_CLIENT_ORDER_ID} characters")


def check_order_class(spec: OrderSpec) -> None:
    cls = spec.order_class
    has_tp, has_sl = spec.take_profit_limit is not None, spec.stop_loss_stop is not None
    if cls == "simple":
        if has_tp or has_sl or spec.stop_loss_limit is not None:
            raise unprocessable("take_profit and stop_loss are only allowed for bracket, oco and oto orders")
        return
    if spec.time_in_force not in ("day", "gtc"):
        raise unprocessable("invalid time_in_force")
    if spec.stop_loss_limit is not None and not has_sl:
        raise unprocessable("stop_loss.stop_price is required")
    if cls in ("bracket", "oco") and not (has_tp and has_sl):
        raise unprocessable(f"{cls} orders require take_profit.limit_price and stop_loss.stop_price")
    if cls == "oto" and has_tp == has_sl:
        raise unprocessable("oto orders require exactly one of take_profit or stop_loss")
    if cls == "oco" and spec.type != "limit":
        raise unprocessable("oco orders must be limit orders")
    if cls in ("bracket", "oto") and spec.type == "trailing_stop":
        raise unprocessable(f"{cls} orders cannot be trailing stop orders")
    check_price(spec.take_profit_limit, "take_profit.limit_price")
    check_price(spec.stop_loss_stop, "stop_loss.stop_price")
    check_price(spec.stop_loss_limit, "stop_loss.limit_price")
    if has_tp and has_sl:
        # Legs exit the entry: for a buy entry the take-profit sells above the stop-loss.
        exit_side = spec.side if cls == "oco" else ("sell" if spec.side == "buy" else "buy")
        above, below = (spec.take_profit_limit, spec.stop_loss_stop)
        if exit_side == "sell" and not above > below:
            raise unprocessable("take_profit.limit_price must be greater than stop_loss.stop_price")
        if exit_side == "buy" and not above < below:
            raise unprocessable("take_profit.limit_price must be less than stop_loss.stop_price")


@dataclass
class ReplaceSpec:
    qty: Decimal | None
    time_in_force: str | None
    limit_price: Decimal | None
    stop_price: Decimal | None
    trail: Decimal | None
    client_order_id: str | None


def parse_replace(body: Any) -> ReplaceSpec:
    if not isinstance(body, dict):
        raise malformed()
    spec = ReplaceSpec(
        qty=to_decimal(body.get("qty"), "qty"),
        time_in_force=lower(body.get("time_in_force")),
        limit_price=to_decimal(body.get("limit_price"), "limit_price"),
        stop_price=to_decimal(body.get("stop_price"), "stop_price"),
        trail=to_decimal(body.get("trail"), "trail"),
        client_order_id=body.get("client_order_id") or None,
    )
    if spec.qty is not None and spec.qty <= 0:
        raise unprocessable("qty must be > 0")
    if spec.time_in_force is not None and spec.time_in_force not in TIME_IN_FORCE:
        raise unprocessable("invalid time_in_force")
    check_price(spec.limit_price, "limit_price")
    check_price(spec.stop_price, "stop_price")
    if spec.trail is not None and spec.trail <= 0:
        raise unprocessable("trail must be > 0")
    check_client_order_id(spec.client_order_id)
    return spec
