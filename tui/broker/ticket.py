"""The order ticket: turn what the user typed into a validated order, and review it.

`validate` applies Alpaca's documented order rules and rejections before anything is
sent, with one short message per form field; `review` estimates cost and buying power and
lists what the user should know before confirming: how old the quote is, which session the
order waits for. Pure logic: no network, no clock, no Textual (the caller passes the
server's time). The rules mirror the simulator's server-side checks (tui/sim/requests.py,
engine.py) so a plan that passes here is never rejected for its parameters, nor for its
size: closing orders are checked against qty_available (see Holding).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:  # alpaca-py is imported when an order is built: it costs ~1 s of start-up
    from alpaca.trading.requests import OrderRequest

from tui.daytrades import pdt_blocks
from tui.numbers import moment, number
from tui.sessions import PRE_MARKET, REGULAR, TRADING, Session, describe, when
from tui.text import clean

SIDES = ("buy", "sell")
ORDER_TYPES = ("market", "limit", "stop", "stop_limit", "trailing_stop")
TIFS = ("day", "gtc", "opg", "cls", "ioc", "fok")
PRICE_FIELDS = {
    "market": (),
    "limit": ("limit_price",),
    "stop": ("stop_price",),
    "stop_limit": ("stop_price", "limit_price"),
    "trailing_stop": ("trail",),
}

DAY_OR_GTC = ("day", "gtc")
TYPE_NAMES = {t: t.replace("_", " ") for t in ORDER_TYPES}  # "stop_limit" -> "stop limit"
MAX_CLIENT_ORDER_ID = 128
# Far beyond any real order; keeps every number finite (parse_positive also wants it exact as a float).
MAX_NUMBER = Decimal("1e12")
CENT = Decimal("0.01")
HUNDREDTH_CENT = Decimal("0.0001")
QTY_STEP = Decimal("1e-9")

SYMBOL_PATTERN = re.compile(r"[A-Z0-9][A-Z0-9./]*")
# ASCII digits only: \d would also take "٣", which Decimal reads as 3.
PLAIN_NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)")
GROUPED_NUMBER = re.compile(r"[+-]?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]*)?")  # "1,000" / "12,345.67"


def tifs_for(order_type: str) -> tuple[str, ...]:
    """The time-in-force values Alpaca accepts for an order type (none for an unknown type)."""
    if order_type in ("market", "limit"):
        return TIFS
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


@dataclass(frozen=True)
class Holding:
    """The position in the ticket's symbol, as the server last described it.

    `qty` is signed (a short is negative). `available` is the position's qty_available:
    qty minus the shares open orders already hold for closing it (either sign; None when
    unknown, taken as all of qty). `held_by` names those open orders for the messages,
    e.g. "SELL 10 AAPL lmt 250.00 (id 1a2b3c4d)". Figures from outside go through
    tui.numbers, so an unreadable one never raises: a bad qty is taken as no position."""

    qty: Any = Decimal(0)
    available: Any = None
    held_by: tuple[str, ...] = ()

    @classmethod
    def of(cls, value: Holding | Decimal | int | str | None) -> Holding:
        """A Holding from what callers pass: a Holding, or a bare signed position qty."""
        return value if isinstance(value, Holding) else cls(value)

    @property
    def position(self) -> Decimal:
        """The signed qty, or 0 when it does not read as a number."""
        return number(self.qty) or Decimal(0)

    @property
    def free(self) -> Decimal:
        """Shares an order may close now: the available qty, within 0..|qty|."""
        size = abs(self.position)
        available = number(self.available)
        return size if available is None else min(abs(available), size)

    @property
    def held(self) -> Decimal:
        """Shares open orders hold: |qty| - free."""
        return abs(self.position) - self.free

    def holders(self, limit: int = 3) -> str:
        """The orders that hold shares, for a message: "SELL 10 AAPL lmt 250.00; ... and 2 more"."""
        names = self.held_by if isinstance(self.held_by, (tuple, list)) else (self.held_by,)
        shown = [text for text in (clean(name, one_line=True, limit=80).strip() for name in names) if text]
        if len(shown) > limit:
            return "; ".join(shown[:limit]) + f" and {len(shown) - limit} more"
        return "; ".join(shown)


def _word(value: Any) -> str:
    """An alpaca-py enum's value ("sell"), or the text itself."""
    return clean(getattr(value, "value", value) or "", one_line=True, limit=20).strip().lower()


def order_price(value: Decimal) -> str:
    """250.00, 0.1234: cents at $1 and above, up to 4 decimals below, as prices are quoted."""
    return format(value.quantize(CENT), "f") if value >= 1 and value.adjusted() < 20 else plain(value)


def hold_text(order: Any) -> str:
    """An open order, as the messages name it: "SELL 10 AAPL lmt 250.00 (id 1a2b3c4d)".
    `order` is an alpaca-py Order (or anything with its attributes)."""
    qty, filled = number(getattr(order, "qty", None)), number(getattr(order, "filled_qty", None)) or Decimal(0)
    parts = [_word(getattr(order, "side", "")).upper()]
    if qty is not None:
        parts.append(format_qty(max(qty - filled, Decimal(0))))
    parts.append(clean(getattr(order, "symbol", "") or "", one_line=True, limit=24))
    kind = _word(getattr(order, "order_type", None) or getattr(order, "type", None))
    limit, stop = number(getattr(order, "limit_price", None)), number(getattr(order, "stop_price", None))
    if kind in ("limit", "stop_limit") and limit is not None:
        parts.append(f"lmt {order_price(limit)}")
    if kind in ("stop", "stop_limit") and stop is not None:
        parts.append(f"stp {order_price(stop)}")
    if kind in ("market", "trailing_stop"):
        parts.append("mkt" if kind == "market" else "trailing stop")
    order_id = clean(getattr(order, "id", "") or "", one_line=True, limit=40)
    text = " ".join(part for part in parts if part)
    return f"{text} (id {order_id[:8]})" if order_id else text


def holding_of(position: Any, open_orders: Any = ()) -> Holding:
    """The Holding for an alpaca-py Position (None: no position) and the account's open
    orders: the position's qty_available, and the open orders on the closing side of its
    symbol that hold shares. Without qty_available (older servers) the available qty is
    the position less what those orders have left to fill."""
    if position is None:
        return Holding()
    qty = number(getattr(position, "qty", None)) or Decimal(0)
    symbol = getattr(position, "symbol", None)
    closing = "sell" if qty > 0 else "buy"
    holders = [o for o in open_orders or () if getattr(o, "symbol", None) == symbol
               and _word(getattr(o, "side", "")) == closing
               and _word(getattr(o, "status", "")) != "held"]  # bracket legs wait as "held" and hold nothing yet
    available = number(getattr(position, "qty_available", None))
    if available is None and holders:
        held = sum((max((number(getattr(o, "qty", None)) or Decimal(0))
                        - (number(getattr(o, "filled_qty", None)) or Decimal(0)), Decimal(0)) for o in holders),
                   Decimal(0))
        available = max(abs(qty) - held, Decimal(0))
    return Holding(qty, available, tuple(hold_text(o) for o in holders))


def short_of_shares(holding: Holding, side: str, qty: Decimal) -> str | None:
    """Why an order closing `qty` of the position would be refused for its size, or None.

    Alpaca (and the simulator) compare an order that reduces the position with the shares
    not held by other open orders ("insufficient qty available"). Orders that open or add to
    a position are not checked here."""
    position = holding.position
    if side == "sell" and position > 0:
        you, verb, cover, then = f"you hold {plain(position)}", "sell", "", "then sell short separately"
    elif side == "buy" and position < 0:
        you, verb, cover, then = f"you are short {plain(-position)}", "buy", " to cover", "then buy separately"
    else:
        return None
    free, held = holding.free, holding.held
    if qty <= free:
        return None
    if held == 0:
        return f"{you}: {verb} at most {plain(free)}{cover}, {then}"
    holders = holding.holders()
    by = f"held by open orders ({holders})" if holders else "held by open orders"
    if free == 0:
        return f"{you}, all {by}: cancel those first"
    return f"{you}, {plain(held)} {by}: {verb} at most {plain(free)}{cover}, or cancel those first"


@dataclass(frozen=True)
class OrderPlan:
    """A validated order, ready to be reviewed and sent."""

    symbol: str
    side: str
    order_type: str
    tif: str
    qty: Decimal | None
    notional: Decimal | None
    limit_price: Decimal | None
    stop_price: Decimal | None
    trail_price: Decimal | None
    trail_percent: Decimal | None
    extended_hours: bool
    take_profit: Decimal | None
    stop_loss: Decimal | None

    @property
    def order_class(self) -> str:
        if self.take_profit is not None and self.stop_loss is not None:
            return "bracket"
        if self.take_profit is not None or self.stop_loss is not None:
            return "oto"
        return "simple"

    @property
    def fractional(self) -> bool:
        return self.notional is not None or (self.qty is not None and self.qty != self.qty.to_integral_value())

    def to_request(self, client_order_id: str) -> OrderRequest:
        """The alpaca-py request for this plan (alpaca-py takes numbers as floats)."""
        from alpaca.trading.enums import OrderClass, OrderSide, TimeInForce
        from alpaca.trading.requests import (
            LimitOrderRequest, MarketOrderRequest, StopLimitOrderRequest, StopLossRequest, StopOrderRequest,
            TakeProfitRequest, TrailingStopOrderRequest,
        )

        if not client_order_id or len(client_order_id) > MAX_CLIENT_ORDER_ID:
            raise ValueError(f"client_order_id must be 1 to {MAX_CLIENT_ORDER_ID} characters")
        fields: dict = {
            "symbol": self.symbol,
            "side": OrderSide(self.side),
            "time_in_force": TimeInForce(self.tif),
            "extended_hours": self.extended_hours,
            "client_order_id": client_order_id,
            "order_class": OrderClass(self.order_class),
        }
        if self.qty is not None:
            fields["qty"] = float(self.qty)
        else:
            fields["notional"] = float(self.notional)
        if self.take_profit is not None:
            fields["take_profit"] = TakeProfitRequest(limit_price=float(self.take_profit))
        if self.stop_loss is not None:
            fields["stop_loss"] = StopLossRequest(stop_price=float(self.stop_loss))
        if self.order_type == "market":
            return MarketOrderRequest(**fields)
        if self.order_type == "limit":
            return LimitOrderRequest(limit_price=float(self.limit_price), **fields)
        if self.order_type == "stop":
            return StopOrderRequest(stop_price=float(self.stop_price), **fields)
        if self.order_type == "stop_limit":
            return StopLimitOrderRequest(
                stop_price=float(self.stop_price), limit_price=float(self.limit_price), **fields
            )
        if self.trail_price is not None:
            return TrailingStopOrderRequest(trail_price=float(self.trail_price), **fields)
        return TrailingStopOrderRequest(trail_percent=float(self.trail_percent), **fields)

    def rows(self) -> list[tuple[str, str]]:
        """Label/value rows for the review screen; only rows that apply to this order."""
        rows = [("Symbol", self.symbol), ("Side", self.side.upper())]
        if self.qty is not None:
            rows.append(("Quantity", format_qty(self.qty)))
        else:
            rows.append(("Notional", format_money(self.notional)))
        rows.append(("Type", TYPE_NAMES[self.order_type]))
        if self.limit_price is not None:
            rows.append(("Limit price", format_price(self.limit_price)))
        if self.stop_price is not None:
            rows.append(("Stop price", format_price(self.stop_price)))
        if self.trail_price is not None:
            rows.append(("Trail", format_price(self.trail_price)))
        if self.trail_percent is not None:
            rows.append(("Trail", f"{plain(self.trail_percent)}%"))
        rows.append(("Time in force", self.tif.upper()))
        rows.append(("Extended hours", "yes" if self.extended_hours else "no"))
        rows.append(("Order class", self.order_class))
        if self.take_profit is not None:
            rows.append(("Take profit", format_price(self.take_profit)))
        if self.stop_loss is not None:
            rows.append(("Stop loss", format_price(self.stop_loss)))
        return rows


# ---- formatting ---------------------------------------------------------------------------


def plain(value: Decimal) -> str:
    """A decimal without exponent or trailing zeros: 10, 0.5, 1000."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def format_qty(value: Decimal) -> str:
    return format(Decimal(plain(value)), ",f")


def format_money(value: Decimal) -> str:
    """$1,234.56 (and -$5.00)."""
    cents = value.quantize(CENT, rounding=ROUND_HALF_UP)
    return f"-${-cents:,.2f}" if cents < 0 else f"${cents:,.2f}"


def format_price(value: Decimal) -> str:
    """Like money, but keeps the 3rd and 4th decimals a sub-dollar price may have."""
    if value == value.quantize(CENT):
        return format_money(value)
    return f"${format(value.normalize(), ',f')}"


# ---- parsing --------------------------------------------------------------------------------


def parse_positive(text: str, noun: str, dollars: bool = False) -> tuple[Decimal | None, str | None]:
    """(value, None), (None, None) for a blank field, or (None, message)."""
    cleaned = text.strip()
    if dollars and cleaned.startswith("$"):
        cleaned = cleaned[1:].strip()
    if not cleaned:
        return (None, f"not a number: {text.strip()!r}") if text.strip() else (None, None)
    # A strict pattern: Decimal alone would also take "nan", "1e5" and "1_000".
    if GROUPED_NUMBER.fullmatch(cleaned):
        cleaned = cleaned.replace(",", "")
    elif not PLAIN_NUMBER.fullmatch(cleaned):
        return None, f"not a number: {text.strip()!r}"
    try:
        value = Decimal(cleaned)
    except InvalidOperation:  # unreachable after the pattern, but never raise from validate
        return None, f"not a number: {text.strip()!r}"
    if value <= 0:
        return None, f"{noun} must be more than 0"
    if value > MAX_NUMBER:
        return None, f"{noun} is too large"
    if Decimal(repr(float(value))) != value:  # alpaca-py sends a float: it must be this very number
        return None, f"{noun}: too many digits"
    return value, None


def sub_penny_error(price: Decimal) -> str | None:
    """Alpaca refuses sub-penny prices: 2 decimals at or above $1, 4 below."""
    if price >= 1:
        if price != price.quantize(CENT):
            return "sub-penny price: at most 2 decimals at $1 and above"
    elif price != price.quantize(HUNDREDTH_CENT):
        return "sub-penny price: at most 4 decimals below $1"
    return None


def parse_price(text: str, noun: str) -> tuple[Decimal | None, str | None]:
    value, error = parse_positive(text, noun, dollars=True)
    if value is not None:
        error = sub_penny_error(value)
        if error:
            value = None
    return value, error


def choice(text: str) -> str:
    return text.strip().lower()


# ---- validation -----------------------------------------------------------------------------


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
    if tif not in TIFS:
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
        if tif in TIFS and tif != "day":
            fail("tif", "dollar-amount orders must be DAY orders")
    fractional_qty = qty is not None and qty != qty.to_integral_value()
    size_field = "notional" if notional is not None else "qty"
    if fractional_qty:
        if tif in TIFS and tif != "day":
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
        if tif in TIFS and tif not in DAY_OR_GTC:
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


# ---- review -------------------------------------------------------------------------------


STALE_QUOTE = timedelta(seconds=10)  # older than this, the estimate may be off: say so


@dataclass(frozen=True)
class Quote:
    """bid, ask and last trade; `at` is when the quote was taken: the server's quote
    timestamp when it has one, else when it was received (None: unknown)."""

    bid: Decimal | None
    ask: Decimal | None
    last: Decimal | None
    at: datetime | None = None

    def usable(self) -> Quote:
        """This quote with every figure that is no price (missing, 0, negative, NaN, inf,
        absurdly large) as None and `at` as an aware time or None."""
        return Quote(known(self.bid), known(self.ask), known(self.last), moment(self.at))


@dataclass(frozen=True)
class ReviewFacts:
    buying_power: Decimal
    last_equity: Decimal
    position_qty: Decimal = Decimal(0)  # signed, current position in the symbol
    market_open: bool = True  # used only when `session` is None
    live: bool = False
    legacy_pdt: bool = False  # server reports the legacy PDT rule
    daytrade_count: int = 0
    would_day_trade: bool = False  # from tui.daytrades.DayTradeCounter.would_day_trade
    holding: Holding | None = None  # the position with what open orders hold; wins over position_qty
    session: Session | None = None  # from tui.sessions.session_at; wins over market_open


@dataclass(frozen=True)
class Review:
    price: Decimal | None  # the reference price used for the estimate
    estimated_cost: Decimal | None  # qty x price (the notional itself for notional orders)
    buying_power_after: Decimal | None
    warnings: list[str]
    quote_age: timedelta | None = None  # how old the quote given to review() is (None: unknown)
    quote_line: str | None = None  # "bid 254.90 ask 255.10 · 3 s old"
    session_line: str | None = None  # "after-hours until 20:00 ET · next pre-market Mon 04:00 ET"
    quote_used: bool = False  # the estimate's price came from the quote (not the order's own price)

    def rows(self) -> list[tuple[str, str]]:
        """Label/value rows for the review screen, after OrderPlan.rows(): only those known."""
        rows = []
        if self.quote_line:
            rows.append(("Quote", self.quote_line))
        if self.session_line:
            rows.append(("Session", self.session_line))
        return rows


def known(price: Any) -> Decimal | None:
    """A price, or None: quotes say 0 when there is no bid or ask, and a figure from outside
    may be anything (NaN, infinity, 1e400, negative)."""
    value = number(price)
    return value if value is not None and value > 0 else None


def reference_price(plan: OrderPlan, quote: Quote | None) -> Decimal | None:
    if plan.order_type in ("limit", "stop_limit"):
        return plan.limit_price
    if plan.order_type == "stop":
        return plan.stop_price
    if quote is None:
        return None
    touch = quote.ask if plan.side == "buy" else quote.bid
    return known(touch) or known(quote.last)


def format_age(age: timedelta) -> str:
    """3 s, 5 min, 2 h, 3 d."""
    seconds = int(age.total_seconds())
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 48 * 3600:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} d"


def quote_age(quote: Quote | None, now: datetime | None) -> timedelta | None:
    """How old the quote is at `now`; a quote stamped after `now` (clocks differ) is 0 s old."""
    taken, current = (moment(quote.at) if quote is not None else None), moment(now)
    if taken is None or current is None:
        return None
    return max(current - taken, timedelta(0))


def quote_text(quote: Quote, age: timedelta | None) -> str | None:
    """ "bid 254.90 ask 255.10 · 3 s old"; the last trade only when bid or ask is missing."""
    def price(value: Decimal | None) -> str:
        return format_price(value).removeprefix("$") if value is not None else "—"

    if quote.bid is None and quote.ask is None and quote.last is None:
        return None
    text = f"bid {price(quote.bid)} ask {price(quote.ask)}"
    if quote.last is not None and (quote.bid is None or quote.ask is None):
        text += f" last {price(quote.last)}"
    if age is not None:
        text += f" · {format_age(age)} old"
    return text


def session_warning(plan: OrderPlan, session: Session, now: datetime | None) -> str | None:
    """Why the order would wait instead of trading now, or None. Extended-hours orders trade
    in pre-market, regular and after-hours sessions; the others in regular hours only."""
    if plan.extended_hours:
        if session.name in TRADING:
            return None
        if session.next_name is not None and session.next_at is not None:
            return f"no session until {session.next_name} {when(session.next_at, now)}: the order waits"
        return "no session now: the order waits for the next one"
    if session.name == REGULAR:
        return None
    where = "pre-market" if session.name == PRE_MARKET else "market closed"
    after = f" ({when(session.next_open, now)})" if session.next_open is not None else ""
    return f"{where}: this order waits for the regular session{after}"


def review(plan: OrderPlan, quote: Quote | None, facts: ReviewFacts, now: datetime | None = None) -> Review:
    """Estimated cost, buying power left, and warnings for the confirmation screen.

    `now` is the server's time, for the quote's age and the session's times (no clock is
    read here); without it the quote's age is unknown."""
    quote = quote.usable() if quote is not None else None
    price = reference_price(plan, quote)
    quote_used = quote is not None and price is not None and plan.order_type not in ("limit", "stop_limit", "stop")
    age = quote_age(quote, now)
    holding = Holding.of(facts.holding if facts.holding is not None else facts.position_qty)
    position = holding.position
    buying_power = number(facts.buying_power)
    # Shares this order closes (a sell against a long, a buy against a short) use no
    # buying power; only the part that opens or adds to a position does.
    closable = max(position, Decimal(0)) if plan.side == "sell" else max(-position, Decimal(0))

    if plan.notional is not None:
        estimated_cost: Decimal | None = plan.notional
        if closable == 0:
            opening_cost: Decimal | None = plan.notional
        elif price is not None:
            opening_cost = max(plan.notional - closable * price, Decimal(0))
        else:
            opening_cost = None
        opens_position = opening_cost is None or opening_cost > 0
        shares = plan.notional / price if price is not None else None  # what the server will size it at
    else:
        estimated_cost = plan.qty * price if price is not None else None
        opening_qty = max(plan.qty - closable, Decimal(0))
        opening_cost = Decimal(0) if opening_qty == 0 else (opening_qty * price if price is not None else None)
        opens_position = opening_qty > 0
        shares = plan.qty
    buying_power_after = buying_power - opening_cost if opening_cost is not None and buying_power is not None else None

    warnings: list[str] = []
    if facts.live:
        warnings.append("LIVE account: real money")
    if facts.session is not None:
        waits = session_warning(plan, facts.session, now)
        if waits:
            warnings.append(waits)
    elif not facts.market_open and not plan.extended_hours:
        warnings.append("market is closed: the order will queue for the next session")
    # The position may have changed since the ticket was checked, and a dollar amount's
    # share count is only known at the quote: the server refuses more than is available.
    too_many = short_of_shares(holding, plan.side, shares) if shares is not None else None
    if too_many:
        if plan.notional is not None:
            # quantize() past the context's 28 digits would raise: huge counts are shown whole
            about = plain(shares.quantize(CENT)) if shares.adjusted() < 20 else plain(shares)
            too_many = f"{format_money(plan.notional)} is about {about} shares: {too_many}"
        warnings.append(too_many)
    if opening_cost is not None and buying_power is not None and opening_cost > buying_power:
        warnings.append(
            f"exceeds buying power ({format_money(opening_cost)} needed, "
            f"{format_money(buying_power)} available)"
        )
    if plan.side == "sell" and opens_position and position <= 0:  # against a long, too many is refused instead
        warnings.append("opens a short position")
    if facts.would_day_trade:
        warnings.append("completes a day trade")
    last_equity = number(facts.last_equity)  # unreadable: the protection may apply, so warn
    if facts.legacy_pdt and pdt_blocks(facts.daytrade_count, last_equity if last_equity is not None else Decimal(0),
                                       facts.would_day_trade):
        warnings.append(
            f"would be day trade #{facts.daytrade_count + 1} in 5 days: "
            "pattern day trader protection may reject it"
        )
    if estimated_cost is None:
        warnings.append("no price known: cost cannot be estimated")
    elif quote_used and age is not None and int(age.total_seconds()) > STALE_QUOTE.total_seconds():  # as shown: whole seconds
        warnings.append(f"quote is {format_age(age)} old")
    return Review(
        price=price, estimated_cost=estimated_cost, buying_power_after=buying_power_after, warnings=warnings,
        quote_age=age, quote_line=quote_text(quote, age) if quote is not None else None,
        session_line=describe(facts.session, now) if facts.session is not None else None, quote_used=quote_used,
    )
