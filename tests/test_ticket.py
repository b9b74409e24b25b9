"""The order ticket (tui/broker/ticket.py): form validation, the alpaca-py request, review."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from alpaca.trading.enums import OrderClass, OrderSide, OrderType, TimeInForce
from alpaca.trading.requests import (
    LimitOrderRequest,
    MarketOrderRequest,
    StopLimitOrderRequest,
    StopOrderRequest,
    TrailingStopOrderRequest,
)

from tui.broker.ticket import (
    ORDER_TYPES,
    PRICE_FIELDS,
    SIDES,
    TIFS,
    AssetFacts,
    Holding,
    OrderPlan,
    Quote,
    ReviewFacts,
    TicketForm,
    hold_text,
    holding_of,
    review,
    tifs_for,
    validate,
)
from tui.sessions import read_calendar, session_at
from tui.sim.requests import parse_order

D = Decimal


def form(**fields) -> TicketForm:
    """A valid market buy of 10 AAPL, changed by `fields`."""
    base = {"symbol": "AAPL", "qty": "10"}
    base.update(fields)
    return TicketForm(**base)


def plan_of(position_qty: Decimal = D(0), **fields) -> OrderPlan:
    result = validate(form(**fields), None, position_qty)
    assert isinstance(result, OrderPlan), result
    return result


def errors_of(ticket: TicketForm, asset: AssetFacts | None = None, position_qty: Decimal = D(0)) -> dict[str, str]:
    result = validate(ticket, asset, position_qty)
    assert isinstance(result, dict), result
    return result


def sent_body(plan: OrderPlan, client_order_id: str = "cid-1") -> dict:
    """What alpaca-py would POST: its request fields through a JSON round trip."""
    return json.loads(json.dumps(plan.to_request(client_order_id).to_request_fields(), default=str))


# ---- choices --------------------------------------------------------------------------------


@pytest.mark.parametrize("order_type", ["market", "limit"])
def test_market_and_limit_take_every_tif(order_type):
    assert tifs_for(order_type) == TIFS


@pytest.mark.parametrize("order_type", ["stop", "stop_limit", "trailing_stop"])
def test_stop_types_take_day_or_gtc(order_type):
    assert tifs_for(order_type) == ("day", "gtc")


def test_unknown_type_has_no_tifs():
    assert tifs_for("iceberg") == ()


def test_price_fields_cover_every_type():
    assert set(PRICE_FIELDS) == set(ORDER_TYPES)
    assert SIDES == ("buy", "sell")


@pytest.mark.parametrize(
    "field, value",
    [("side", "hold"), ("order_type", "iceberg"), ("tif", "forever"), ("side", ""), ("tif", "")],
)
def test_unknown_choice_is_an_error_on_its_field(field, value):
    assert field in errors_of(form(**{field: value}))


def test_choices_are_case_and_space_insensitive():
    plan = plan_of(side=" SELL ", order_type="Limit", limit_price="5", tif="GTC", qty="1")
    assert (plan.side, plan.order_type, plan.tif) == ("sell", "limit", "gtc")


@pytest.mark.parametrize("order_type, tif", [("stop", "ioc"), ("stop_limit", "fok"), ("trailing_stop", "opg")])
def test_stop_types_refuse_other_tifs(order_type, tif):
    prices = {"limit_price": "10", "stop_price": "10", "trail": "1"}
    assert errors_of(form(order_type=order_type, tif=tif, **prices))["tif"] == (
        f"{order_type.replace('_', ' ')} orders must be DAY or GTC"
    )


@pytest.mark.parametrize("tif", TIFS)
def test_market_order_accepts_every_tif_for_whole_shares(tif):
    assert plan_of(tif=tif).tif == tif


# ---- symbol ---------------------------------------------------------------------------------


@pytest.mark.parametrize("typed, symbol", [(" aapl ", "AAPL"), ("brk.b", "BRK.B"), ("btc/usd", "BTC/USD"), ("X1", "X1")])
def test_symbol_is_normalised(typed, symbol):
    assert plan_of(symbol=typed).symbol == symbol


@pytest.mark.parametrize(
    "typed, message",
    [
        ("", "enter a symbol"),
        ("   ", "enter a symbol"),
        ("AA PL", "a symbol has only letters, digits, '.' and '/'"),
        ("$AAPL", "a symbol has only letters, digits, '.' and '/'"),
        (".A", "a symbol has only letters, digits, '.' and '/'"),
        ("AAPL;", "a symbol has only letters, digits, '.' and '/'"),
    ],
)
def test_bad_symbol(typed, message):
    assert errors_of(form(symbol=typed))["symbol"] == message


# ---- quantity and dollar amount -------------------------------------------------------------


@pytest.mark.parametrize(
    "typed, qty", [("10", D(10)), ("1,000", D(1000)), ("12,345.5", D("12345.5")), (" 3 ", D(3)), ("10.0", D(10)),
                   ("0.123456789", D("0.123456789")), ("+2", D(2)), (".5", D("0.5"))]
)
def test_quantity_parses(typed, qty):
    assert plan_of(qty=typed).qty == qty


@pytest.mark.parametrize(
    "typed, message",
    [
        ("abc", "not a number: 'abc'"),
        ("nan", "not a number: 'nan'"),
        ("inf", "not a number: 'inf'"),
        ("Infinity", "not a number: 'Infinity'"),
        ("1e5", "not a number: '1e5'"),
        ("1_000", "not a number: '1_000'"),
        ("1,00", "not a number: '1,00'"),
        ("10 shares", "not a number: '10 shares'"),
        ("0", "quantity must be more than 0"),
        ("-5", "quantity must be more than 0"),
        ("-0", "quantity must be more than 0"),
        ("0.1234567891", "quantity: at most 9 decimals"),
        ("9" * 40, "quantity is too large"),
    ],
)
def test_bad_quantity(typed, message):
    assert errors_of(form(qty=typed))["qty"] == message


def test_size_is_required():
    assert errors_of(form(qty=""))["qty"] == "enter a quantity or a dollar amount"


def test_quantity_and_notional_together():
    assert errors_of(form(qty="10", notional="500"))["notional"] == "give a quantity or a dollar amount, not both"


@pytest.mark.parametrize("typed, notional", [("500", D(500)), ("$1,250.50", D("1250.50")), ("1", D(1)), ("$ 7.5", D("7.5"))])
def test_notional_parses(typed, notional):
    plan = plan_of(qty="", notional=typed)
    assert plan.notional == notional and plan.qty is None


@pytest.mark.parametrize(
    "typed, message",
    [
        ("0.99", "dollar amount must be at least $1.00"),
        ("0", "dollar amount must be more than 0"),
        ("10.001", "dollar amount: at most 2 decimals (cents)"),
        ("$", "not a number: '$'"),
        ("ten", "not a number: 'ten'"),
    ],
)
def test_bad_notional(typed, message):
    assert errors_of(form(qty="", notional=typed))["notional"] == message


@pytest.mark.parametrize("order_type", ["limit", "stop", "stop_limit", "trailing_stop"])
def test_notional_needs_a_market_order(order_type):
    prices = {"limit_price": "10", "stop_price": "10", "trail": "1"}
    errors = errors_of(form(qty="", notional="100", order_type=order_type, **prices))
    assert errors["notional"] == "dollar amounts need a market order"


@pytest.mark.parametrize("tif, ok", [("day", True), ("gtc", False), ("ioc", False), ("opg", False)])
def test_notional_is_day_only(tif, ok):
    result = validate(form(qty="", notional="100", tif=tif))
    if ok:
        assert isinstance(result, OrderPlan)
    else:
        assert result["tif"] == "dollar-amount orders must be DAY orders"


# ---- fractional quantities ------------------------------------------------------------------


@pytest.mark.parametrize("tif, ok", [("day", True), ("gtc", False), ("ioc", False), ("cls", False)])
def test_fractional_quantity_is_day_only(tif, ok):
    result = validate(form(qty="0.5", tif=tif))
    if ok:
        assert isinstance(result, OrderPlan) and result.fractional
    else:
        assert result["tif"] == "fractional orders must be DAY orders"


def test_fractional_quantity_cannot_trail():
    assert errors_of(form(qty="0.5", order_type="trailing_stop", trail="1"))["qty"] == (
        "trailing stops need a whole-share quantity"
    )


@pytest.mark.parametrize("size", [{"qty": "0.5"}, {"qty": "", "notional": "100"}])
def test_fractional_orders_are_simple(size):
    errors = errors_of(form(take_profit="500", stop_loss="1", **size))
    assert errors["take_profit"] == errors["stop_loss"] == "take-profit and stop-loss need a whole-share quantity"


def test_fractional_needs_a_fractionable_asset():
    brk = AssetFacts("BRK.A", fractionable=False)
    assert errors_of(form(symbol="BRK.A", qty="0.5"), brk)["qty"] == "BRK.A cannot be traded in fractions"
    assert errors_of(form(symbol="BRK.A", qty="", notional="50"), brk)["notional"] == "BRK.A cannot be traded in fractions"
    assert isinstance(validate(form(symbol="BRK.A", qty="1"), brk), OrderPlan)


# ---- prices ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "order_type, missing, message",
    [
        ("limit", "limit_price", "limit orders need a limit price"),
        ("stop", "stop_price", "stop orders need a stop price"),
        ("stop_limit", "stop_price", "stop limit orders need a stop price"),
        ("stop_limit", "limit_price", "stop limit orders need a limit price"),
        ("trailing_stop", "trail", "trailing stops need a trail: an amount like 1.50 or a percent like 2%"),
    ],
)
def test_required_prices(order_type, missing, message):
    prices = {"limit_price": "10", "stop_price": "10", "trail": "1"}
    prices[missing] = ""
    assert errors_of(form(order_type=order_type, **prices))[missing] == message
    prices[missing] = "10"
    assert isinstance(validate(form(order_type=order_type, **prices)), OrderPlan)


def test_prices_of_other_types_are_ignored():
    plan = plan_of(order_type="market", limit_price="nonsense", stop_price="1.001", trail="x")
    assert (plan.limit_price, plan.stop_price, plan.trail_price, plan.trail_percent) == (None, None, None, None)


@pytest.mark.parametrize(
    "typed, price", [("190", D(190)), ("190.12", D("190.12")), ("$1,000.50", D("1000.50")), ("0.1234", D("0.1234")),
                     ("0.99", D("0.99")), ("1.00", D("1.00"))]
)
def test_valid_limit_prices(typed, price):
    assert plan_of(order_type="limit", limit_price=typed).limit_price == price


@pytest.mark.parametrize(
    "typed, message",
    [
        ("190.123", "sub-penny price: at most 2 decimals at $1 and above"),
        ("1.001", "sub-penny price: at most 2 decimals at $1 and above"),
        ("0.12345", "sub-penny price: at most 4 decimals below $1"),
        ("0", "limit price must be more than 0"),
        ("-3", "limit price must be more than 0"),
        ("abc", "not a number: 'abc'"),
    ],
)
def test_bad_limit_prices(typed, message):
    assert errors_of(form(order_type="limit", limit_price=typed))["limit_price"] == message


def test_stop_price_sub_penny():
    assert errors_of(form(order_type="stop", stop_price="5.555"))["stop_price"] == (
        "sub-penny price: at most 2 decimals at $1 and above"
    )


@pytest.mark.parametrize(
    "typed, trail_price, trail_percent",
    [("1.50", D("1.50"), None), ("$2", D(2), None), ("2%", None, D(2)), ("2.5 %", None, D("2.5")),
     ("99.9%", None, D("99.9")), ("0.05%", None, D("0.05"))],
)
def test_trail_parses(typed, trail_price, trail_percent):
    plan = plan_of(order_type="trailing_stop", trail=typed)
    assert (plan.trail_price, plan.trail_percent) == (trail_price, trail_percent)


@pytest.mark.parametrize(
    "typed, message",
    [
        ("0", "trail must be more than 0"),
        ("0%", "trail percent must be more than 0"),
        ("-1%", "trail percent must be more than 0"),
        ("100%", "trail percent must be below 100"),
        ("150%", "trail percent must be below 100"),
        ("%", "not a number: '%'"),
        ("abc%", "not a number: 'abc'"),
        ("1.001", "sub-penny price: at most 2 decimals at $1 and above"),
    ],
)
def test_bad_trail(typed, message):
    assert errors_of(form(order_type="trailing_stop", trail=typed))["trail"] == message


# ---- extended hours -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields, ok",
    [
        ({"order_type": "limit", "limit_price": "10", "tif": "day"}, True),
        ({"order_type": "limit", "limit_price": "10", "tif": "gtc"}, True),
        ({"order_type": "limit", "limit_price": "10", "tif": "ioc"}, False),
        ({"order_type": "limit", "limit_price": "10", "tif": "opg"}, False),
        ({"order_type": "market"}, False),
        ({"order_type": "stop", "stop_price": "10"}, False),
        ({"order_type": "stop_limit", "stop_price": "10", "limit_price": "10"}, False),
    ],
)
def test_extended_hours_needs_day_or_gtc_limit(fields, ok):
    result = validate(form(extended_hours=True, **fields))
    if ok:
        assert isinstance(result, OrderPlan) and result.extended_hours
    else:
        assert result["extended_hours"] == "extended hours needs a DAY or GTC limit order"


def test_extended_hours_cannot_have_legs():
    errors = errors_of(form(extended_hours=True, order_type="limit", limit_price="10", take_profit="12"))
    assert errors["extended_hours"] == "extended hours orders cannot have a take-profit or stop-loss"


# ---- bracket and one-triggers-other legs ----------------------------------------------------


@pytest.mark.parametrize(
    "take_profit, stop_loss, order_class",
    [("", "", "simple"), ("220", "", "oto"), ("", "180", "oto"), ("220", "180", "bracket")],
)
def test_order_class(take_profit, stop_loss, order_class):
    plan = plan_of(order_type="limit", limit_price="200", take_profit=take_profit, stop_loss=stop_loss)
    assert plan.order_class == order_class


@pytest.mark.parametrize("tif, ok", [("day", True), ("gtc", True), ("ioc", False), ("fok", False), ("opg", False), ("cls", False)])
def test_legs_need_day_or_gtc(tif, ok):
    result = validate(form(order_type="limit", limit_price="200", tif=tif, take_profit="220"))
    if ok:
        assert isinstance(result, OrderPlan)
    else:
        assert result["take_profit"] == "take-profit and stop-loss need a DAY or GTC order"


def test_trailing_stop_cannot_have_legs():
    assert errors_of(form(order_type="trailing_stop", trail="1", stop_loss="10"))["stop_loss"] == (
        "trailing stops cannot have a take-profit or stop-loss"
    )


@pytest.mark.parametrize(
    "side, fields, field, message",
    [
        ("buy", {"take_profit": "200"}, "take_profit", "take-profit must be above the limit price for a buy"),
        ("buy", {"take_profit": "190"}, "take_profit", "take-profit must be above the limit price for a buy"),
        ("buy", {"stop_loss": "201"}, "stop_loss", "stop-loss must be below the limit price for a buy"),
        ("sell", {"take_profit": "201"}, "take_profit", "take-profit must be below the limit price for a sell"),
        ("sell", {"stop_loss": "199"}, "stop_loss", "stop-loss must be above the limit price for a sell"),
    ],
)
def test_legs_on_the_wrong_side_of_the_limit(side, fields, field, message):
    assert errors_of(form(side=side, order_type="limit", limit_price="200", **fields))[field] == message


@pytest.mark.parametrize(
    "side, take_profit, stop_loss",
    [("buy", "200.01", "199.99"), ("buy", "250", "150"), ("sell", "199.99", "200.01"), ("sell", "150", "250")],
)
def test_legs_on_the_right_side_of_the_limit(side, take_profit, stop_loss):
    plan = plan_of(side=side, order_type="limit", limit_price="200", take_profit=take_profit, stop_loss=stop_loss)
    assert plan.order_class == "bracket"


def test_stop_entry_compares_legs_with_the_stop_price():
    ok = plan_of(order_type="stop", stop_price="50", take_profit="55", stop_loss="45")
    assert ok.order_class == "bracket"
    assert errors_of(form(order_type="stop", stop_price="50", take_profit="49"))["take_profit"] == (
        "take-profit must be above the stop price for a buy"
    )


@pytest.mark.parametrize("side, take_profit, stop_loss, ok", [
    ("buy", "220", "180", True), ("buy", "180", "220", False), ("buy", "200", "200", False),
    ("sell", "180", "220", True), ("sell", "220", "180", False),
])
def test_market_bracket_compares_the_legs_only(side, take_profit, stop_loss, ok):
    result = validate(form(side=side, take_profit=take_profit, stop_loss=stop_loss))
    if ok:
        assert isinstance(result, OrderPlan) and result.order_class == "bracket"
    else:
        direction = "above" if side == "buy" else "below"
        assert result["take_profit"] == f"take-profit must be {direction} the stop-loss for a {side}"


@pytest.mark.parametrize("field", ["take_profit", "stop_loss"])
@pytest.mark.parametrize("typed, message", [("abc", "not a number: 'abc'"), ("1.234", "sub-penny price: at most 2 decimals at $1 and above")])
def test_leg_prices_are_checked(field, typed, message):
    assert errors_of(form(**{field: typed}))[field] == message


# ---- the asset and the position -------------------------------------------------------------


def test_untradable_asset():
    assert errors_of(form(symbol="FNMA"), AssetFacts("FNMA", tradable=False))["symbol"] == "FNMA is not tradable"


def test_facts_about_another_symbol_are_ignored():
    assert isinstance(validate(form(symbol="AAPL"), AssetFacts("FNMA", tradable=False)), OrderPlan)


@pytest.mark.parametrize("facts", [AssetFacts("GME", shortable=False), AssetFacts("GME", easy_to_borrow=False)])
@pytest.mark.parametrize("position", [D(0), D(-5)])
def test_no_short_sale_of_hard_to_borrow(facts, position):
    errors = errors_of(form(symbol="GME", side="sell"), facts, position)
    assert errors["qty"] == "GME cannot be sold short"


def test_short_sale_of_easy_to_borrow_is_fine():
    assert isinstance(validate(form(symbol="GME", side="sell"), AssetFacts("GME"), D(0)), OrderPlan)


def test_selling_what_you_hold_needs_no_short():
    plan = validate(form(symbol="GME", side="sell", qty="10"), AssetFacts("GME", shortable=False), D(10))
    assert isinstance(plan, OrderPlan)


@pytest.mark.parametrize("qty, ok", [("10", True), ("4", True), ("11", False), ("10.5", False)])
def test_no_flip_from_long_to_short(qty, ok):
    result = validate(form(side="sell", qty=qty), None, D(10))
    if ok:
        assert isinstance(result, OrderPlan)
    else:
        assert result["qty"] == "you hold 10: sell at most 10, then sell short separately"


@pytest.mark.parametrize("qty, ok", [("5", True), ("2", True), ("6", False)])
def test_no_flip_from_short_to_long(qty, ok):
    result = validate(form(side="buy", qty=qty), None, D(-5))
    if ok:
        assert isinstance(result, OrderPlan)
    else:
        assert result["qty"] == "you are short 5: buy at most 5 to cover, then buy separately"


def test_fractional_shares_cannot_be_sold_short():
    assert errors_of(form(side="sell", qty="0.5"), None, D(0))["qty"] == "fractional shares cannot be sold short"
    assert errors_of(form(side="sell", qty="", notional="50"), None, D(0))["notional"] == (
        "a dollar amount cannot be sold short: enter whole shares"
    )
    assert isinstance(validate(form(side="sell", qty="0.5"), None, D("0.5")), OrderPlan)
    assert isinstance(validate(form(side="sell", qty="", notional="50"), None, D(3)), OrderPlan)


def test_every_error_is_reported_at_once():
    errors = errors_of(
        TicketForm(symbol="", side="buy", qty="abc", order_type="limit", limit_price="1.001", tif="forever",
                   extended_hours=True, take_profit="x", stop_loss="-1")
    )
    assert set(errors) == {"symbol", "qty", "limit_price", "tif", "extended_hours", "take_profit", "stop_loss"}


# ---- the alpaca-py request ------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields, cls, order_type",
    [
        ({}, MarketOrderRequest, OrderType.MARKET),
        ({"order_type": "limit", "limit_price": "190"}, LimitOrderRequest, OrderType.LIMIT),
        ({"order_type": "stop", "stop_price": "180"}, StopOrderRequest, OrderType.STOP),
        ({"order_type": "stop_limit", "stop_price": "180", "limit_price": "179.5"}, StopLimitOrderRequest, OrderType.STOP_LIMIT),
        ({"order_type": "trailing_stop", "trail": "1.5"}, TrailingStopOrderRequest, OrderType.TRAILING_STOP),
    ],
)
def test_to_request_class(fields, cls, order_type):
    request = plan_of(**fields).to_request("cid-1")
    assert type(request) is cls
    assert request.type == order_type
    assert request.client_order_id == "cid-1"
    assert request.symbol == "AAPL" and request.qty == 10.0 and request.side == OrderSide.BUY


def test_to_request_bracket_limit():
    plan = plan_of(side="buy", order_type="limit", limit_price="190", tif="gtc", take_profit="210.5", stop_loss="180")
    dump = plan.to_request("cid-2").model_dump()
    assert dump["order_class"] == OrderClass.BRACKET
    assert dump["take_profit"]["limit_price"] == 210.5
    assert dump["stop_loss"]["stop_price"] == 180.0
    assert dump["limit_price"] == 190.0
    assert dump["time_in_force"] == TimeInForce.GTC
    assert dump["client_order_id"] == "cid-2"


def test_to_request_oto_stop_loss_only():
    request = plan_of(stop_loss="150").to_request("cid-3")
    assert request.order_class == OrderClass.OTO and request.take_profit is None
    assert request.stop_loss.stop_price == 150.0


def test_to_request_trail_percent_and_extended_hours():
    request = plan_of(order_type="trailing_stop", trail="2.5%").to_request("c")
    assert request.trail_percent == 2.5 and request.trail_price is None
    limit = plan_of(order_type="limit", limit_price="10", extended_hours=True).to_request("c")
    assert limit.extended_hours is True and limit.order_class == OrderClass.SIMPLE


def test_to_request_notional():
    request = plan_of(qty="", notional="$1,250.50").to_request("cid-4")
    assert request.notional == 1250.5 and request.qty is None
    assert type(request) is MarketOrderRequest


def test_to_request_refuses_a_bad_client_order_id():
    with pytest.raises(ValueError):
        plan_of().to_request("")
    with pytest.raises(ValueError):
        plan_of().to_request("x" * 129)


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"qty": "", "notional": "99.99"},
        {"qty": "0.25"},
        {"order_type": "limit", "limit_price": "0.1234", "tif": "gtc", "extended_hours": True},
        {"order_type": "stop_limit", "stop_price": "5", "limit_price": "5.1", "take_profit": "9", "stop_loss": "4"},
        {"order_type": "trailing_stop", "trail": "3%", "tif": "gtc", "side": "sell"},
        {"order_type": "market", "tif": "opg", "take_profit": ""},
    ],
)
def test_simulator_accepts_what_we_send(fields):
    spec = parse_order(sent_body(plan_of(**fields)))
    plan = plan_of(**fields)
    assert spec.type == plan.order_type and spec.order_class == plan.order_class
    assert spec.qty == plan.qty and spec.notional == plan.notional


# ---- review rows ----------------------------------------------------------------------------


def test_rows_for_a_bracket_limit_order():
    plan = plan_of(qty="1,000", order_type="limit", limit_price="190", take_profit="1234.5", stop_loss="180")
    assert plan.rows() == [
        ("Symbol", "AAPL"),
        ("Side", "BUY"),
        ("Quantity", "1,000"),
        ("Type", "limit"),
        ("Limit price", "$190.00"),
        ("Time in force", "DAY"),
        ("Extended hours", "no"),
        ("Order class", "bracket"),
        ("Take profit", "$1,234.50"),
        ("Stop loss", "$180.00"),
    ]


def test_rows_for_notional_and_trailing_and_sub_dollar():
    notional = dict(plan_of(D(100), qty="", notional="500", side="sell").rows())
    assert notional["Notional"] == "$500.00" and notional["Side"] == "SELL" and "Quantity" not in notional
    trailing = dict(plan_of(order_type="trailing_stop", trail="2.5%", tif="gtc").rows())
    assert trailing["Trail"] == "2.5%" and trailing["Type"] == "trailing stop" and trailing["Time in force"] == "GTC"
    assert dict(plan_of(order_type="trailing_stop", trail="1.5").rows())["Trail"] == "$1.50"
    stop_limit = dict(plan_of(order_type="stop_limit", stop_price="0.5", limit_price="0.1234", extended_hours=False).rows())
    assert stop_limit["Stop price"] == "$0.50" and stop_limit["Limit price"] == "$0.1234"
    assert "Take profit" not in stop_limit and stop_limit["Order class"] == "simple"
    extended = dict(plan_of(order_type="limit", limit_price="5", extended_hours=True).rows())
    assert extended["Extended hours"] == "yes"


# ---- review: price, cost, buying power ------------------------------------------------------

QUOTE = Quote(bid=D("99"), ask=D("101"), last=D("100"))
FACTS = ReviewFacts(buying_power=D("10000"), last_equity=D("50000"))


@pytest.mark.parametrize(
    "fields, quote, price",
    [
        ({}, QUOTE, D("101")),
        ({"side": "sell"}, QUOTE, D("99")),
        ({}, Quote(bid=D(99), ask=None, last=D(100)), D(100)),
        ({"side": "sell"}, Quote(bid=D(0), ask=D(101), last=D(100)), D(100)),
        ({"order_type": "limit", "limit_price": "95"}, QUOTE, D("95")),
        ({"order_type": "stop_limit", "stop_price": "96", "limit_price": "97"}, QUOTE, D("97")),
        ({"order_type": "stop", "stop_price": "105"}, QUOTE, D("105")),
        ({"order_type": "stop", "stop_price": "105"}, None, D("105")),
        ({"order_type": "trailing_stop", "trail": "1%", "side": "sell"}, QUOTE, D("99")),
        ({}, None, None),
        ({}, Quote(None, None, None), None),
    ],
)
def test_reference_price(fields, quote, price):
    assert review(plan_of(**fields), quote, FACTS).price == price


def test_buy_cost_and_buying_power():
    result = review(plan_of(qty="10"), QUOTE, FACTS)
    assert result.estimated_cost == D("1010") and result.buying_power_after == D("8990")
    assert result.warnings == []


def test_notional_cost_is_the_notional():
    result = review(plan_of(qty="", notional="500"), None, FACTS)
    assert result.estimated_cost == D("500") and result.buying_power_after == D("9500")
    assert "no price known: cost cannot be estimated" not in result.warnings


def test_closing_sell_leaves_buying_power():
    facts = ReviewFacts(buying_power=D("100"), last_equity=D("50000"), position_qty=D("10"))
    result = review(plan_of(side="sell", qty="10"), QUOTE, facts)
    assert result.estimated_cost == D("990") and result.buying_power_after == D("100")
    assert result.warnings == []


def test_only_the_short_part_of_a_sell_uses_buying_power():
    # The plan comes from validate; the position may have changed by review time.
    facts = ReviewFacts(buying_power=D("10000"), last_equity=D("50000"), position_qty=D("4"))
    result = review(plan_of(side="sell", qty="10"), QUOTE, facts)
    assert result.estimated_cost == D("990") and result.buying_power_after == D("10000") - 6 * D("99")
    # One order may not flip long to short: the server refuses it rather than opening a short.
    assert "you hold 4: sell at most 4, then sell short separately" in result.warnings
    assert "opens a short position" not in result.warnings


def test_short_sale_from_flat_uses_buying_power():
    result = review(plan_of(side="sell", qty="10"), QUOTE, FACTS)
    assert result.buying_power_after == D("10000") - D("990")
    assert "opens a short position" in result.warnings


def test_buy_to_cover_leaves_buying_power():
    facts = ReviewFacts(buying_power=D("0"), last_equity=D("50000"), position_qty=D("-10"))
    result = review(plan_of(qty="10"), QUOTE, facts)
    assert result.buying_power_after == D("0") and result.warnings == []


def test_notional_sell_of_a_long_position():
    facts = ReviewFacts(buying_power=D("1000"), last_equity=D("50000"), position_qty=D("10"))
    within = review(plan_of(D(10), side="sell", qty="", notional="500"), QUOTE, facts)
    assert within.buying_power_after == D("1000") and "opens a short position" not in within.warnings


# ---- review warnings ------------------------------------------------------------------------


def test_warning_exceeds_buying_power():
    facts = ReviewFacts(buying_power=D("1000"), last_equity=D("50000"))
    result = review(plan_of(qty="20", order_type="limit", limit_price="100"), None, facts)
    assert result.buying_power_after == D("-1000")
    assert "exceeds buying power ($2,000.00 needed, $1,000.00 available)" in result.warnings
    assert not any("exceeds" in w for w in review(plan_of(qty="10", order_type="limit", limit_price="100"), None, facts).warnings)


def test_warning_completes_a_day_trade():
    facts = ReviewFacts(buying_power=D("1e6"), last_equity=D("50000"), position_qty=D("10"), would_day_trade=True)
    assert "completes a day trade" in review(plan_of(side="sell"), QUOTE, facts).warnings
    assert "completes a day trade" not in review(plan_of(side="sell"), QUOTE, FACTS).warnings


PDT_WARNING = "would be day trade #4 in 5 days: pattern day trader protection may reject it"


@pytest.mark.parametrize(
    "legacy, equity, count, would, warned",
    [
        (True, "24999.99", 3, True, True),
        (False, "24999.99", 3, True, False),
        (True, "25000", 3, True, False),
        (True, "24999.99", 2, True, False),
        (True, "24999.99", 3, False, False),
    ],
)
def test_warning_pattern_day_trader(legacy, equity, count, would, warned):
    facts = ReviewFacts(buying_power=D("1e6"), last_equity=D(equity), legacy_pdt=legacy,
                        daytrade_count=count, would_day_trade=would, position_qty=D(10))
    warnings = review(plan_of(side="sell"), QUOTE, facts).warnings
    assert (PDT_WARNING in warnings) is warned


def test_pdt_warning_counts_past_four():
    facts = ReviewFacts(buying_power=D("1e6"), last_equity=D("1000"), legacy_pdt=True, daytrade_count=5,
                        would_day_trade=True, position_qty=D(10))
    assert "would be day trade #6 in 5 days: pattern day trader protection may reject it" in (
        review(plan_of(side="sell"), QUOTE, facts).warnings
    )


def test_warning_market_closed():
    closed = ReviewFacts(buying_power=D("1e6"), last_equity=D("50000"), market_open=False)
    message = "market is closed: the order will queue for the next session"
    assert message in review(plan_of(), QUOTE, closed).warnings
    assert message not in review(plan_of(order_type="limit", limit_price="100", extended_hours=True), QUOTE, closed).warnings
    assert message not in review(plan_of(), QUOTE, FACTS).warnings


def test_warning_live_account():
    live = ReviewFacts(buying_power=D("1e6"), last_equity=D("50000"), live=True)
    assert review(plan_of(), QUOTE, live).warnings[0] == "LIVE account: real money"
    assert "LIVE account: real money" not in review(plan_of(), QUOTE, FACTS).warnings


def test_warning_opens_a_short():
    # validated against a long position that was gone by review time
    assert "opens a short position" in review(plan_of(D(10), side="sell", qty="", notional="50"), None, FACTS).warnings
    long = ReviewFacts(buying_power=D("1e6"), last_equity=D("50000"), position_qty=D(10))
    assert "opens a short position" not in review(plan_of(side="sell", qty="10"), QUOTE, long).warnings


def test_warning_no_price():
    result = review(plan_of(), None, FACTS)
    assert result.price is None and result.estimated_cost is None and result.buying_power_after is None
    assert result.warnings == ["no price known: cost cannot be estimated"]


# ---- shares held by open orders (qty_available) -----------------------------------------------

RESTING = "SELL 10 AAPL lmt 250.00 (id 1a2b3c4d)"
HELD_LONG = Holding(D(30), D(20), (RESTING,))


def test_a_sell_is_checked_against_the_shares_not_held_by_open_orders():
    errors = errors_of(form(side="sell", qty="25"), None, HELD_LONG)
    assert errors == {"qty": f"you hold 30, 10 held by open orders ({RESTING}): sell at most 20, or cancel those first"}
    assert plan_of(HELD_LONG, side="sell", qty="20").qty == D(20)


def test_every_share_held():
    errors = errors_of(form(side="sell", qty="1"), None, Holding(D(30), D(0), (RESTING, "SELL 20 AAPL stp 200.00")))
    assert errors["qty"] == (f"you hold 30, all held by open orders ({RESTING}; SELL 20 AAPL stp 200.00): "
                             "cancel those first")
    # a dollar amount is some shares, so it is refused too
    assert errors_of(form(side="sell", qty="", notional="100"), None, Holding(D(30), D(0)))["notional"] == (
        "you hold 30, all held by open orders: cancel those first")


def test_held_shares_without_names_and_many_names():
    assert errors_of(form(side="sell", qty="25"), None, Holding(D(30), D(20)))["qty"] == (
        "you hold 30, 10 held by open orders: sell at most 20, or cancel those first")
    many = Holding(D(30), D(20), tuple(f"SELL 2 AAPL lmt {p}.00" for p in range(250, 255)))
    assert "(SELL 2 AAPL lmt 250.00; SELL 2 AAPL lmt 251.00; SELL 2 AAPL lmt 252.00 and 2 more)" in (
        errors_of(form(side="sell", qty="25"), None, many)["qty"])


def test_order_names_from_outside_stay_on_one_line():
    message = errors_of(form(side="sell", qty="25"), None, Holding(D(30), D(20), ("SELL\n10\x1b[31m AAPL",)))["qty"]
    assert "\n" not in message and "\x1b" not in message and "SELL 10 AAPL" in message


def test_buy_to_cover_is_checked_against_the_shares_not_held_by_open_orders():
    short = Holding(D(-30), D(-20), ("BUY 10 AAPL lmt 240.00",))
    assert errors_of(form(qty="25"), None, short)["qty"] == (
        "you are short 30, 10 held by open orders (BUY 10 AAPL lmt 240.00): buy at most 20 to cover, "
        "or cancel those first")
    assert plan_of(short, qty="20").qty == D(20)
    # qty_available of either sign means the same shares
    assert errors_of(form(qty="25"), None, Holding(D(-30), D(20)))["qty"].startswith("you are short 30, 10 held")


def test_without_held_shares_the_messages_are_as_before():
    assert errors_of(form(side="sell", qty="31"), None, Holding(D(30), D(30)))["qty"] == (
        "you hold 30: sell at most 30, then sell short separately")
    assert errors_of(form(qty="31"), None, Holding(D(-30)))["qty"] == (
        "you are short 30: buy at most 30 to cover, then buy separately")


def test_opening_a_short_from_zero_is_unchanged():
    assert plan_of(Holding(D(0), D(0)), side="sell", qty="10").side == "sell"
    assert errors_of(form(side="sell", qty="10"), AssetFacts("AAPL", shortable=False), Holding())["qty"] == (
        "AAPL cannot be sold short")
    # buying more of a long, or shorting more of a short, is not limited by held shares
    assert plan_of(Holding(D(30), D(0)), qty="100").qty == D(100)
    assert plan_of(Holding(D(-30), D(0)), side="sell", qty="100").qty == D(100)


@pytest.mark.parametrize("qty, available", [("nan", "5"), ("inf", None), ("1e400", "1"), (None, "abc"),
                                            ("30", "nan"), ("30", "1e400"), ("30", "-1e400")])
def test_unreadable_holdings_never_raise(qty, available):
    result = validate(form(side="sell", qty="5"), None, Holding(qty, available, ("x",)))
    assert isinstance(result, (OrderPlan, dict))


def test_an_available_qty_above_the_position_counts_as_the_position():
    assert errors_of(form(side="sell", qty="31"), None, Holding(D(30), D(99)))["qty"] == (
        "you hold 30: sell at most 30, then sell short separately")


def test_review_checks_the_holding_as_it_is_now():
    facts = ReviewFacts(buying_power=D("1e6"), last_equity=D("50000"), holding=HELD_LONG)
    result = review(plan_of(D(30), side="sell", qty="25"), QUOTE, facts)  # checked before the order rested
    assert (f"you hold 30, 10 held by open orders ({RESTING}): sell at most 20, or cancel those first"
            in result.warnings)
    assert result.buying_power_after == D("1e6")  # closing shares use no buying power
    assert review(plan_of(HELD_LONG, side="sell", qty="20"), QUOTE, facts).warnings == []


def test_review_sizes_a_dollar_amount_at_the_quote():
    facts = ReviewFacts(buying_power=D("1e6"), last_equity=D("50000"), holding=HELD_LONG)
    over = review(plan_of(HELD_LONG, side="sell", qty="", notional="2500"), QUOTE, facts)  # 25.25 shares at 99
    assert ("$2,500.00 is about 25.25 shares: you hold 30, 10 held by open orders "
            f"({RESTING}): sell at most 20, or cancel those first") in over.warnings
    within = review(plan_of(HELD_LONG, side="sell", qty="", notional="1900"), QUOTE, facts)
    assert within.warnings == []


def sample_exchange():
    from tui.sim.engine import EngineOptions, Exchange

    return Exchange(EngineOptions(portfolio="sample", prices="static", seed=1))  # NVDA 100 long, TSLA 15 short


def test_what_passes_here_passes_the_simulators_qty_check():
    """Holdings read from the simulator's positions and open orders (as alpaca-py models):
    every quantity the ticket accepts, the simulator accepts, and the other way round."""
    from alpaca.trading.models import Order, Position

    from tui.sim.errors import ApiError

    exchange = sample_exchange()
    resting = [{"symbol": "NVDA", "side": "sell", "type": "limit", "time_in_force": "gtc", "qty": "25",
                "limit_price": "999"},
               {"symbol": "NVDA", "side": "sell", "type": "stop", "time_in_force": "day", "qty": "10",
                "stop_price": "1.5"},
               {"symbol": "TSLA", "side": "buy", "type": "limit", "time_in_force": "gtc", "qty": "4",
                "limit_price": "0.01"}]
    orders = [Order(**exchange.submit(parse_order(body)).to_json()) for body in resting]
    positions = {p["symbol"]: Position(**p) for p in exchange.list_positions()}
    for symbol, side, price in [("NVDA", "sell", "9999"), ("TSLA", "buy", "0.01"), ("AAPL", "sell", "9999")]:
        holding = holding_of(positions[symbol], orders)
        for qty in range(1, int(abs(holding.position)) + 3):
            ticket = form(symbol=symbol, side=side, qty=str(qty), order_type="limit", limit_price=price, tif="gtc")
            ours = validate(ticket, None, holding)
            body = {"symbol": symbol, "side": side, "type": "limit", "time_in_force": "gtc", "qty": str(qty),
                    "limit_price": price}
            if isinstance(ours, OrderPlan):
                body = sent_body(ours, f"cid-{symbol}-{qty}")
            try:
                exchange.cancel(exchange.submit(parse_order(body)).id)  # asked, then gone: the next ask sees the same book
                theirs = None
            except ApiError as err:
                theirs = err
            assert isinstance(ours, OrderPlan) == (theirs is None), (symbol, qty, ours, theirs)
            if theirs is not None:
                assert "insufficient qty" in str(theirs.message)
    nvda = holding_of(positions["NVDA"], orders)
    assert (nvda.free, nvda.held) == (D(65), D(35))
    assert nvda.held_by[0].startswith("SELL 25 NVDA lmt 999.00 (id ") and nvda.held_by[1].startswith("SELL 10 NVDA stp 1.50")
    assert holding_of(positions["TSLA"], orders).held_by[0].startswith("BUY 4 TSLA lmt 0.01 (id ")


def test_holding_of_without_qty_available_counts_the_open_orders():
    position = SimpleNamespace(symbol="AAPL", qty="30", qty_available=None)
    orders = [SimpleNamespace(symbol="AAPL", side="sell", qty="10", filled_qty="4", order_type="limit",
                              limit_price="250", status="partially_filled", id="1a2b3c4d-0000"),
              SimpleNamespace(symbol="AAPL", side="sell", qty="5", status="held", order_type="stop"),  # a bracket leg
              SimpleNamespace(symbol="AAPL", side="buy", qty="5", status="new", order_type="market"),
              SimpleNamespace(symbol="MSFT", side="sell", qty="5", status="new", order_type="market")]
    holding = holding_of(position, orders)
    assert (holding.position, holding.free, holding.held_by) == (D(30), D(24), ("SELL 6 AAPL lmt 250.00 (id 1a2b3c4d)",))
    assert holding_of(None, orders) == Holding()


def test_hold_text_of_odd_orders():
    assert hold_text(SimpleNamespace(side="sell", qty="nan", symbol="AAPL", order_type="market")) == "SELL AAPL mkt"
    assert hold_text(SimpleNamespace()) == ""


# ---- the quote's age --------------------------------------------------------------------------

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=timezone.utc)


def quote_at(seconds_ago: float, **prices) -> Quote:
    values = {"bid": D("254.9"), "ask": D("255.1"), "last": D("255")}
    values.update(prices)
    return Quote(**values, at=NOW - timedelta(seconds=seconds_ago))


def test_quote_keeps_its_old_shape():
    assert Quote(D(1), D(2), D(3)).at is None


def test_review_says_how_old_the_quote_is():
    result = review(plan_of(), quote_at(3), FACTS, NOW)
    assert result.quote_age == timedelta(seconds=3)
    assert result.quote_line == "bid 254.90 ask 255.10 · 3 s old"
    assert result.rows() == [("Quote", "bid 254.90 ask 255.10 · 3 s old")]
    assert not any("old" in w for w in result.warnings)


@pytest.mark.parametrize("seconds, warning", [(10, None), (10.5, None), (11, "quote is 11 s old"),
                                              (42, "quote is 42 s old"), (300, "quote is 5 min old"),
                                              (3 * 3600, "quote is 3 h old"), (5 * 86400, "quote is 5 d old")])
def test_review_warns_of_a_stale_quote(seconds, warning):
    warnings = review(plan_of(), quote_at(seconds), FACTS, NOW).warnings
    assert [w for w in warnings if w.startswith("quote is")] == ([warning] if warning else [])


def test_a_stale_quote_behind_no_estimate_is_shown_but_not_warned_of():
    result = review(plan_of(order_type="limit", limit_price="250"), quote_at(42), FACTS, NOW)
    assert result.quote_line.endswith("· 42 s old") and not any(w.startswith("quote is") for w in result.warnings)


def test_quote_age_unknown():
    assert review(plan_of(), Quote(D(99), D(101), D(100)), FACTS, NOW).quote_age is None  # no time on the quote
    assert review(plan_of(), quote_at(42), FACTS).quote_age is None  # no now given: no clock is read
    assert review(plan_of(), quote_at(42), FACTS).quote_line == "bid 254.90 ask 255.10"


def test_quote_ages():
    assert review(plan_of(), quote_at(-5), FACTS, NOW).quote_age == timedelta(0)  # server clock ahead of ours
    naive = Quote(D(99), D(101), None, at=(NOW - timedelta(seconds=7)).replace(tzinfo=None))  # naive: UTC
    assert review(plan_of(), naive, FACTS, NOW).quote_age == timedelta(seconds=7)
    eastern = Quote(D(99), D(101), None, at=(NOW - timedelta(seconds=2)).astimezone(ZoneInfo("America/New_York")))
    assert review(plan_of(), eastern, FACTS, NOW).quote_age == timedelta(seconds=2)


def test_quote_line_shows_the_last_trade_when_a_side_is_missing():
    assert review(plan_of(), quote_at(1, bid=None), FACTS, NOW).quote_line == "bid — ask 255.10 last 255.00 · 1 s old"
    assert review(plan_of(), Quote(None, None, None), FACTS, NOW).quote_line is None


@pytest.mark.parametrize("bad", [D("NaN"), D("sNaN"), D("Infinity"), D("-Infinity"), D("1e400"), D("-5"),
                                 float("nan"), float("inf"), "abc", D("1e999999999")])
def test_a_quote_that_is_no_price_is_no_quote(bad):
    result = review(plan_of(), Quote(bad, bad, bad, at=NOW), FACTS, NOW)
    assert result.price is None and result.estimated_cost is None
    assert "no price known: cost cannot be estimated" in result.warnings
    sell = review(plan_of(side="sell"), Quote(bad, D(101), D(100), at="garbage"), FACTS, NOW)  # type: ignore[arg-type]
    assert sell.price == D(100) and sell.quote_age is None


# ---- sessions ---------------------------------------------------------------------------------

NY = ZoneInfo("America/New_York")
CALENDAR = read_calendar([
    {"date": "2026-11-25", "open": "09:30", "close": "16:00", "session_open": "0400", "session_close": "2000"},
    {"date": "2026-11-27", "open": "09:30", "close": "13:00", "session_open": "0400", "session_close": "1700"},
    {"date": "2026-11-30", "open": "09:30", "close": "16:00", "session_open": "0400", "session_close": "2000"},
])
SATURDAY = datetime(2026, 11, 28, 11, tzinfo=NY)
AFTER_EARLY_CLOSE = datetime(2026, 11, 27, 14, tzinfo=NY)
PRE_MARKET_FRIDAY = datetime(2026, 11, 27, 7, tzinfo=NY)
REGULAR_FRIDAY = datetime(2026, 11, 27, 10, tzinfo=NY)
EXTENDED = {"order_type": "limit", "limit_price": "250", "extended_hours": True}


def session_facts(now: datetime, **fields) -> ReviewFacts:
    return ReviewFacts(buying_power=D("1e6"), last_equity=D("50000"), session=session_at(now, CALENDAR), **fields)


def waits(now: datetime, **plan_fields) -> list[str]:
    return [w for w in review(plan_of(**plan_fields), QUOTE, session_facts(now), now).warnings
            if "wait" in w or "closed" in w]


@pytest.mark.parametrize("now", [SATURDAY, AFTER_EARLY_CLOSE])
def test_a_regular_order_outside_regular_hours_waits_for_the_regular_session(now):
    assert waits(now) == ["market closed: this order waits for the regular session (Mon 09:30 ET)"]
    assert waits(now, order_type="limit", limit_price="250") == [
        "market closed: this order waits for the regular session (Mon 09:30 ET)"]


def test_a_regular_order_in_pre_market_waits_for_todays_open():
    assert waits(PRE_MARKET_FRIDAY) == ["pre-market: this order waits for the regular session (09:30 ET)"]


def test_an_extended_hours_order_waits_only_when_no_session_is_on():
    assert waits(SATURDAY, **EXTENDED) == ["no session until pre-market Mon 04:00 ET: the order waits"]
    for now in (PRE_MARKET_FRIDAY, REGULAR_FRIDAY, AFTER_EARLY_CLOSE):
        assert waits(now, **EXTENDED) == []
    thursday = datetime(2026, 11, 26, 21, tzinfo=NY)  # Thanksgiving evening
    assert waits(thursday, **EXTENDED) == ["no session until pre-market Fri 04:00 ET: the order waits"]


def test_during_regular_hours_nothing_waits():
    assert waits(REGULAR_FRIDAY) == []


def test_the_session_wins_over_market_open_and_is_shown():
    facts = session_facts(REGULAR_FRIDAY, market_open=False)
    result = review(plan_of(), QUOTE, facts, REGULAR_FRIDAY)
    assert not any("closed" in w for w in result.warnings)
    assert ("Session", "regular until 13:00 ET · next after-hours 13:00 ET") in result.rows()
    assert review(plan_of(), QUOTE, FACTS).session_line is None  # old callers: no session row


def test_a_session_beyond_the_calendar_words_its_wait_without_a_time():
    from tui.sessions import Session

    facts = ReviewFacts(buying_power=D("1e6"), last_equity=D("50000"), session=Session("closed", None, None, None))
    assert "market closed: this order waits for the regular session" in review(plan_of(), QUOTE, facts).warnings
    assert "no session now: the order waits for the next one" in review(plan_of(**EXTENDED), QUOTE, facts).warnings


# ---- robustness and layering ----------------------------------------------------------------

GOOD = {"symbol": ["AAPL", " aapl ", "BRK.A", "BTC/USD", "GME"], "qty": ["10", "1", "0.5", "1,000", " 7 ", "3.0"],
        "notional": ["500", "$1,250.50", "1"], "price": ["10", "190.12", "0.1234", "$1,000", "250", "5", "0.5"],
        "trail": ["1.50", "2%", "2.5 %", "0.5"]}
BAD = {"symbol": ["", "AA PL", "$X"], "qty": ["abc", "-1", "0", "nan", "1e3", "0.1234567891", "9" * 30],
       "notional": ["0.5", "10.001", "inf", "-5"], "price": ["190.123", "0.12345", "0", "-2", "x", "1e2"],
       "trail": ["100%", "0%", "%", "abc", "1.001"]}


def pick(rng: random.Random, kind: str, blank: float = 0.0) -> str:
    """Mostly good values, sometimes bad or blank ones."""
    roll = rng.random()
    if roll < blank:
        return ""
    return rng.choice(GOOD[kind] if roll < blank + (1 - blank) * 0.8 else BAD[kind])


def random_form(rng: random.Random) -> TicketForm:
    use_notional = rng.random() < 0.2
    return TicketForm(
        symbol=pick(rng, "symbol"),
        side=rng.choice([*SIDES, *SIDES, "hold", "SELL"]),
        qty="" if use_notional and rng.random() < 0.9 else pick(rng, "qty", blank=0.05),
        notional=pick(rng, "notional") if use_notional else "",
        order_type=rng.choice([*ORDER_TYPES, *ORDER_TYPES, "iceberg"]),
        limit_price=pick(rng, "price", blank=0.1),
        stop_price=pick(rng, "price", blank=0.1),
        trail=pick(rng, "trail", blank=0.1),
        tif=rng.choice([*TIFS, "day", "day", "gtc", "forever"]),
        extended_hours=rng.random() < 0.2,
        take_profit=pick(rng, "price", blank=0.7),
        stop_loss=pick(rng, "price", blank=0.7),
    )


def test_random_forms_never_raise_and_plans_always_send():
    rng = random.Random(0)
    plans = 0
    for i in range(800):
        ticket = random_form(rng)
        asset = rng.choice([None, AssetFacts("AAPL"), AssetFacts("BRK.A", fractionable=False),
                            AssetFacts("GME", shortable=False), AssetFacts("AAPL", tradable=False)])
        position = D(rng.choice(["0", "0", "10", "-10", "0.5"]))
        result = validate(ticket, asset, position)
        assert isinstance(result, (OrderPlan, dict))
        if isinstance(result, dict):
            assert result and all(isinstance(v, str) and v for v in result.values())
            assert set(result) <= set(TicketForm.__dataclass_fields__)
            continue
        plans += 1
        result.to_request(f"fuzz-{i}")
        parse_order(sent_body(result, f"fuzz-{i}"))  # the simulator's parameter checks agree
        result.rows()
        quote = rng.choice([None, QUOTE, Quote(None, None, D(5))])
        review(result, quote, ReviewFacts(buying_power=D(1000), last_equity=D(1000), position_qty=position))
    assert plans > 20  # the pools are rich enough to exercise the plan side too


def test_ticket_imports_neither_textual_nor_the_simulator():
    code = (
        "import sys, tui.broker.ticket;"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] == 'textual' or m.startswith('tui.sim'));"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_only_ascii_digits_are_numbers():
    """Decimal reads "٣" (an Arabic-Indic three) as 3: typed, it would send an order the
    screen did not show as typed."""
    from tui.broker.ticket import parse_positive

    assert parse_positive("٣", "quantity") == (None, "not a number: '٣'")
    assert parse_positive("3", "quantity")[0] == 3
