"""The order ticket (tui/broker/ticket.py): validating the form, field by field.

test_ticket_review.py has the alpaca-py request and the review (rows, cost, warnings, the
quote's age, sessions); test_ticket_holdings.py the asset and the position (shares held by
open orders) and robustness. Both use the helpers here."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from tui.broker.ticket import (
    ORDER_TYPES,
    PRICE_FIELDS,
    SIDES,
    TIFS,
    AssetFacts,
    OrderPlan,
    TicketForm,
    tifs_for,
    validate,
)

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


