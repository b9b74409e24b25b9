"""Every refusal of docs/api-facts.md §4, as alpaca-py sees it: APIError with Alpaca's HTTP status,
numeric code and message. Here the refusals of an order's own fields and of orders and
positions that are not there; test_sim_rejections_account.py has the wash trades, the
account's state and the refusals before an order is read.

Raw dicts go through `sim.client.post("/orders", ...)` so the server's own validation is
exercised (alpaca-py's request models refuse many of these before sending); a few go through
the typed request models where alpaca-py lets them pass.
"""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from typing import Any, Callable

import pytest
from alpaca.common.exceptions import APIError
from alpaca.trading.enums import OrderClass, OrderSide, TimeInForce
from alpaca.trading.requests import (
    ClosePositionRequest,
    LimitOrderRequest,
    MarketOrderRequest,
    ReplaceOrderRequest,
    StopLossRequest,
    TakeProfitRequest,
)

from tui.sim.assets import HARD_TO_BORROW_SYMBOL, NOT_FRACTIONABLE_SYMBOL, NOT_TRADABLE_SYMBOL, PENNY_SYMBOL

from .conftest import wait_for

UNPROCESSABLE = (422, 42210000)
FORBIDDEN = (403, 40310000)


def refusal(fn: Callable[..., Any], *args: Any) -> tuple[int, int, str, dict[str, Any]]:
    """(HTTP status, code, message, whole body) of the APIError fn raises."""
    with pytest.raises(APIError) as info:
        fn(*args)
    err = info.value
    body = json.loads(err.response.text)
    assert err.code == body["code"] and err.message == body["message"]
    return err.status_code, body["code"], body["message"], body


def post(sim, **body: Any) -> dict[str, Any]:
    return sim.client.post("/orders", body)


def post_refusal(sim, **body: Any) -> tuple[int, int, str, dict[str, Any]]:
    return refusal(sim.client.post, "/orders", body)


def order(symbol: str = "AAPL", side: str = "buy", type: str = "market", tif: str = "day", **extra: Any) -> dict:
    return {"symbol": symbol, "side": side, "type": type, "time_in_force": tif, **extra}


def wait_status(sim, order_id: str, *statuses: str):
    return wait_for(lambda: (o := sim.client.get_order_by_id(order_id)).status in statuses and o)


def open_orders(sim) -> list:
    return sim.call(lambda: [o.id for o in sim.exchange.open_orders.values()])


# ---- buying power ---------------------------------------------------------------------------

def test_insufficient_buying_power_reports_buying_power_and_cost(sim):
    buying_power = Decimal(sim.client.get_account().buying_power)
    status, code, message, body = refusal(
        sim.client.submit_order,
        MarketOrderRequest(symbol="AAPL", qty=2000, side=OrderSide.BUY, time_in_force=TimeInForce.DAY),
    )
    assert (status, code, message) == (*FORBIDDEN, "insufficient buying power")
    assert Decimal(body["buying_power"]) == buying_power
    assert Decimal(body["cost_basis"]) > buying_power
    assert open_orders(sim) == []


def test_cash_account_buying_power_is_cash(make_sim):
    sim = make_sim(cash=Decimal(1000))
    assert sim.client.get_account().multiplier == "1"
    status, code, message, body = post_refusal(sim, **order(type="limit", limit_price="250", qty="5"))
    assert (status, code, message) == (*FORBIDDEN, "insufficient buying power")
    assert body["buying_power"] == "1000.00"
    assert body["cost_basis"] == "1250.00"
    post(sim, **order(type="limit", limit_price="250", qty="4"))  # exactly the cash: accepted


def test_open_buy_orders_use_up_buying_power(make_sim):
    sim = make_sim(cash=Decimal(1000))
    post(sim, **order(type="limit", limit_price="200", qty="3"))
    status, code, message, body = post_refusal(sim, **order(type="limit", limit_price="200", qty="3"))
    assert (status, code, message) == (*FORBIDDEN, "insufficient buying power")
    assert body["buying_power"] == "400.00"


# ---- quantities and shorting -------------------------------------------------------------

def test_selling_more_than_held(make_sim):
    sim = make_sim(portfolio="sample")
    status, code, message, body = refusal(
        sim.client.submit_order,
        MarketOrderRequest(symbol="MSFT", qty=21, side=OrderSide.SELL, time_in_force=TimeInForce.DAY),
    )
    assert (status, code) == FORBIDDEN
    assert message == "insufficient qty available for order (requested: 21, available: 20)"
    assert body["available"] == "20" and body["existing_qty"] == "20" and body["held_for_orders"] == "0"
    assert body["symbol"] == "MSFT"


def test_shares_held_by_an_open_sell_order_are_not_available(make_sim):
    sim = make_sim(portfolio="sample")  # NVDA: 100 long
    resting = sim.client.post("/orders", order("NVDA", "sell", type="limit", tif="gtc", qty=25,
                                               limit_price="999"))
    assert resting["status"] in ("pending_new", "new")
    status, code, message, body = post_refusal(sim, **order("NVDA", "sell", qty=80))
    assert (status, code) == FORBIDDEN
    assert message == "insufficient qty available for order (requested: 80, available: 75)"
    assert (body["available"], body["existing_qty"], body["held_for_orders"]) == ("75", "100", "25")
    assert sim.client.get_open_position("NVDA").qty_available == "75"


def test_one_order_may_not_flip_long_to_short(make_sim):
    sim = make_sim(portfolio="sample")  # AAPL 50 long
    status, code, message, _ = post_refusal(sim, **order("AAPL", "sell", qty=60))
    assert (status, code) == FORBIDDEN
    assert message == "insufficient qty available for order (requested: 60, available: 50)"
    assert sim.client.get_open_position("AAPL").qty == "50"


def test_one_order_may_not_flip_short_to_long(make_sim):
    sim = make_sim(portfolio="sample")  # TSLA 15 short
    status, code, message, body = post_refusal(sim, **order("TSLA", "buy", qty=20))
    assert (status, code) == FORBIDDEN
    assert message == "insufficient qty available for order (requested: 20, available: 15)"
    assert body["existing_qty"] == "15"


def test_hard_to_borrow_asset_cannot_be_sold_short(sim):
    status, code, message, _ = refusal(
        sim.client.submit_order,
        MarketOrderRequest(symbol=HARD_TO_BORROW_SYMBOL, qty=1, side=OrderSide.SELL, time_in_force=TimeInForce.DAY),
    )
    assert (status, code, message) == (*UNPROCESSABLE, f'asset "{HARD_TO_BORROW_SYMBOL}" cannot be sold short')


def test_no_shorting_configuration_forbids_shorts(sim):
    config = sim.client.get_account_configurations()
    config.no_shorting = True
    assert sim.client.set_account_configurations(config).no_shorting is True
    assert sim.client.get_account().shorting_enabled is False
    status, code, message, _ = post_refusal(sim, **order("AAPL", "sell", qty=1))
    assert (status, code, message) == (*FORBIDDEN, "account is not allowed to short")
    sim.client.patch("/account/configurations", {"no_shorting": False})
    post(sim, **order("AAPL", "sell", qty=1))  # allowed again


def test_accounts_under_2000_cannot_short(make_sim):
    sim = make_sim(cash=Decimal(1999))
    assert sim.client.get_account().shorting_enabled is False
    status, code, message, _ = post_refusal(sim, **order("F", "sell", qty=1))
    assert (status, code, message) == (*FORBIDDEN, "account is not allowed to short")
    assert make_sim(cash=Decimal(2000)).client.post("/orders", order("F", "sell", qty=1))["side"] == "sell"


# ---- assets ----------------------------------------------------------------------------------

def test_unknown_symbol(sim):
    status, code, message, _ = post_refusal(sim, **order("ZZZZ", qty=1))
    assert (status, code, message) == (*UNPROCESSABLE, 'asset "ZZZZ" not found')


def test_asset_not_tradable(sim):
    status, code, message, _ = refusal(
        sim.client.submit_order,
        MarketOrderRequest(symbol=NOT_TRADABLE_SYMBOL, qty=1, side=OrderSide.BUY, time_in_force=TimeInForce.DAY),
    )
    assert (status, code, message) == (*UNPROCESSABLE, f'asset "{NOT_TRADABLE_SYMBOL}" is not tradable')


def test_asset_not_fractionable(sim):
    status, code, message, _ = post_refusal(sim, **order(NOT_FRACTIONABLE_SYMBOL, qty=0.5))
    assert (status, code, message) == (*UNPROCESSABLE, f'asset "{NOT_FRACTIONABLE_SYMBOL}" is not fractionable')
    status, code, message, _ = post_refusal(sim, **order(NOT_FRACTIONABLE_SYMBOL, notional=1000))
    assert message == f'asset "{NOT_FRACTIONABLE_SYMBOL}" is not fractionable'


# ---- bad parameters --------------------------------------------------------------------------

@pytest.mark.parametrize("qty", [0, -1, "0", "-2.5"])
def test_qty_must_be_positive(sim, qty):
    status, code, message, _ = post_refusal(sim, **order(qty=qty))
    assert (status, code, message) == (*UNPROCESSABLE, "qty must be > 0")


def test_limit_order_without_limit_price(sim):
    status, code, message, _ = post_refusal(sim, **order(type="limit", qty=1))
    assert (status, code, message) == (*UNPROCESSABLE, "limit orders require a limit price")


def test_stop_order_without_stop_price(sim):
    status, code, message, _ = post_refusal(sim, **order(type="stop", qty=1))
    assert (status, code) == UNPROCESSABLE and "stop price" in message


@pytest.mark.parametrize("otype, extra, field", [
    ("market", {"limit_price": "250"}, "limit_price"),
    ("market", {"stop_price": "250"}, "stop_price"),
    ("limit", {"limit_price": "250", "stop_price": "251"}, "stop_price"),
    ("stop", {"stop_price": "300", "limit_price": "301"}, "limit_price"),
    ("limit", {"limit_price": "250", "trail_price": "5"}, "trail_price"),
    ("trailing_stop", {"trail_price": "5", "limit_price": "250"}, "limit_price"),
])
def test_superfluous_prices(sim, otype, extra, field):
    status, code, message, _ = post_refusal(sim, **order(type=otype, qty=1, **extra))
    assert (status, code) == UNPROCESSABLE
    assert field in message and "not allowed" in message
    assert open_orders(sim) == []


@pytest.mark.parametrize("extra", [{}, {"trail_price": "5", "trail_percent": "2"}])
def test_trailing_stop_needs_exactly_one_trail(sim, extra):
    status, code, message, _ = post_refusal(sim, **order(side="buy", type="trailing_stop", qty=1, **extra))
    assert (status, code) == UNPROCESSABLE
    assert "trail_price" in message and "trail_percent" in message


@pytest.mark.parametrize("otype, tif, extra", [
    ("stop", "ioc", {"stop_price": "300"}),
    ("stop", "fok", {"stop_price": "300"}),
    ("stop", "opg", {"stop_price": "300"}),
    ("stop_limit", "cls", {"stop_price": "300", "limit_price": "301"}),
    ("trailing_stop", "ioc", {"trail_percent": "1"}),
    ("market", "week", {}),
])
def test_time_in_force_combinations_alpaca_refuses(sim, otype, tif, extra):
    status, code, message, _ = post_refusal(sim, **order(type=otype, tif=tif, qty=1, **extra))
    assert (status, code, message) == (*UNPROCESSABLE, "invalid time_in_force")


def test_complex_orders_are_day_or_gtc(sim):
    status, code, message, _ = post_refusal(sim, **order(
        type="limit", tif="ioc", qty=1, limit_price="250", order_class="bracket",
        take_profit={"limit_price": "300"}, stop_loss={"stop_price": "200"}))
    assert (status, code, message) == (*UNPROCESSABLE, "invalid time_in_force")


def test_sub_penny_limit_price(sim):
    status, code, message, _ = post_refusal(sim, **order(type="limit", qty=1, limit_price=290.123))
    assert (status, code) == UNPROCESSABLE
    assert message == "invalid limit_price 290.123. sub-penny increment does not fulfill minimum pricing criteria"
    status, code, message, _ = post_refusal(sim, **order(type="stop", qty=1, stop_price="300.005"))
    assert message == "invalid stop_price 300.005. sub-penny increment does not fulfill minimum pricing criteria"
    # Through the typed model too: alpaca-py sends the float as it is.
    status, code, message, _ = refusal(sim.client.submit_order, LimitOrderRequest(
        symbol="AAPL", qty=1, side=OrderSide.BUY, time_in_force=TimeInForce.DAY, limit_price=250.555))
    assert message == "invalid limit_price 250.555. sub-penny increment does not fulfill minimum pricing criteria"


def test_four_decimals_are_fine_below_a_dollar(sim):
    accepted = post(sim, **order(PENNY_SYMBOL, type="limit", qty=100, limit_price=0.4525))
    assert accepted["limit_price"] == "0.4525"
    status, code, message, _ = post_refusal(sim, **order(PENNY_SYMBOL, type="limit", qty=100, limit_price=0.45255))
    assert (status, code) == UNPROCESSABLE
    assert message == "invalid limit_price 0.45255. sub-penny increment does not fulfill minimum pricing criteria"
    status, _, message, _ = post_refusal(sim, **order(type="limit", qty=1, limit_price="1.0001"))
    assert status == 422 and "sub-penny" in message


@pytest.mark.parametrize("otype, tif, extra", [
    ("market", "day", {}),
    ("stop", "day", {"stop_price": "300"}),
    ("limit", "ioc", {"limit_price": "250"}),
    ("limit", "opg", {"limit_price": "250"}),
])
def test_extended_hours_only_for_day_or_gtc_limits(sim, otype, tif, extra):
    status, code, message, _ = post_refusal(sim, **order(type=otype, tif=tif, qty=1, extended_hours=True, **extra))
    assert (status, code, message) == (*UNPROCESSABLE, "extended hours order must be DAY or GTC limit orders")


def test_extended_hours_limit_is_accepted(sim):
    for tif in ("day", "gtc"):
        accepted = post(sim, **order(type="limit", tif=tif, qty=1, limit_price="200", extended_hours=True))
        assert accepted["extended_hours"] is True


@pytest.mark.parametrize("extra", [{"qty": 0.5}, {"notional": 100}])
@pytest.mark.parametrize("tif", ["gtc", "ioc", "opg"])
def test_fractional_orders_must_be_day_orders(sim, extra, tif):
    status, code, message, _ = post_refusal(sim, **order(tif=tif, **extra))
    assert (status, code, message) == (*UNPROCESSABLE, "fractional orders must be DAY orders")


def test_fractional_gtc_through_the_typed_model(sim):
    status, code, message, _ = refusal(sim.client.submit_order, MarketOrderRequest(
        symbol="AAPL", qty=1.5, side=OrderSide.BUY, time_in_force=TimeInForce.GTC))
    assert (status, code, message) == (*UNPROCESSABLE, "fractional orders must be DAY orders")


def test_fractional_orders_must_be_simple(sim):
    status, code, message, _ = post_refusal(sim, **order(
        type="limit", qty=1.5, limit_price="250", order_class="bracket",
        take_profit={"limit_price": "300"}, stop_loss={"stop_price": "200"}))
    assert (status, code) == UNPROCESSABLE and "simple" in message


def test_notional_rules(sim):
    status, code, message, _ = post_refusal(sim, **order(type="limit", notional=100, limit_price="250"))
    assert (status, code) == UNPROCESSABLE and "notional" in message and "market" in message
    status, code, message, _ = post_refusal(sim, **order(notional=0.5))
    assert (status, code, message) == (*FORBIDDEN, "cost basis must be >= 1")
    status, code, message, _ = post_refusal(sim, **order(notional=0))
    assert (status, code) == UNPROCESSABLE and "notional" in message
    status, code, message, _ = post_refusal(sim, **order(notional="10.005"))
    assert (status, code) == UNPROCESSABLE and "notional" in message


def test_qty_and_notional_together(sim):
    status, code, message, _ = post_refusal(sim, **order(qty=1, notional=100))
    assert (status, code) == UNPROCESSABLE
    assert "qty" in message and "notional" in message
    status, code, message, _ = post_refusal(sim, **order())
    assert (status, code) == UNPROCESSABLE and "qty" in message


def test_bracket_leg_prices_must_make_sense(sim):
    status, code, message, _ = refusal(sim.client.submit_order, LimitOrderRequest(
        symbol="AAPL", qty=1, side=OrderSide.BUY, time_in_force=TimeInForce.GTC, limit_price=250,
        order_class=OrderClass.BRACKET, take_profit=TakeProfitRequest(limit_price=240),
        stop_loss=StopLossRequest(stop_price=230)))
    assert (status, code) == UNPROCESSABLE and "take_profit.limit_price" in message
    assert open_orders(sim) == []


# ---- client_order_id -------------------------------------------------------------------------

def test_duplicate_client_order_id(sim):
    request = LimitOrderRequest(symbol="AAPL", qty=1, side=OrderSide.BUY, time_in_force=TimeInForce.DAY,
                                limit_price=200, client_order_id="my-order-1")
    first = sim.client.submit_order(request)
    status, code, message, _ = refusal(sim.client.submit_order, request)
    assert (status, code, message) == (*UNPROCESSABLE, "client_order_id must be unique")
    # Still unique after the first one is closed.
    sim.client.cancel_order_by_id(first.id)
    status, code, message, _ = post_refusal(sim, **order(type="limit", qty=1, limit_price="200",
                                                         client_order_id="my-order-1"))
    assert message == "client_order_id must be unique"
    assert [o.id for o in sim.client.get_orders()] == []


def test_client_order_id_too_long(sim):
    status, code, message, _ = post_refusal(sim, **order(qty=1, client_order_id="x" * 129))
    assert (status, code) == UNPROCESSABLE and "client_order_id" in message
    post(sim, **order(qty=1, client_order_id="x" * 128))


# ---- orders that cannot be found, canceled or replaced ---------------------------------------

def test_order_not_found(sim):
    missing = str(uuid.uuid4())
    for call in (sim.client.get_order_by_id, sim.client.cancel_order_by_id):
        status, code, message, _ = refusal(call, missing)
        assert (status, code, message) == (404, 40410000, "order not found")
    status, code, message, _ = refusal(sim.client.replace_order_by_id, missing, ReplaceOrderRequest(qty=2))
    assert (status, code, message) == (404, 40410000, "order not found")
    status, code, message, _ = refusal(sim.client.get_order_by_client_id, "no-such-client-id")
    assert (status, code, message) == (404, 40410000, "order not found")


def test_filled_order_is_not_cancelable_or_replaceable(sim):
    placed = sim.client.submit_order(
        MarketOrderRequest(symbol="AAPL", qty=1, side=OrderSide.BUY, time_in_force=TimeInForce.DAY))
    wait_status(sim, placed.id, "filled")
    status, code, message, _ = refusal(sim.client.cancel_order_by_id, placed.id)
    assert (status, code, message) == (*UNPROCESSABLE, 'order is already in "filled" state')
    status, code, message, _ = refusal(sim.client.replace_order_by_id, placed.id, ReplaceOrderRequest(qty=2))
    assert (status, code, message) == (*UNPROCESSABLE, "unable to replace order, order is not open")


def test_canceled_and_replaced_orders_are_not_open(sim):
    placed = post(sim, **order(type="limit", qty=1, limit_price="200"))
    sim.client.cancel_order_by_id(placed["id"])
    status, code, message, _ = refusal(sim.client.cancel_order_by_id, placed["id"])
    assert (status, code, message) == (*UNPROCESSABLE, 'order is already in "canceled" state')
    status, _, message, _ = refusal(sim.client.replace_order_by_id, placed["id"], ReplaceOrderRequest(qty=2))
    assert (status, message) == (422, "unable to replace order, order is not open")

    placed = post(sim, **order(type="limit", qty=1, limit_price="200"))
    sim.client.replace_order_by_id(placed["id"], ReplaceOrderRequest(limit_price=201))
    status, _, message, _ = refusal(sim.client.replace_order_by_id, placed["id"], ReplaceOrderRequest(qty=2))
    assert (status, message) == (422, "unable to replace order, order is not open")
    status, _, message, _ = refusal(sim.client.cancel_order_by_id, placed["id"])
    assert (status, message) == (422, 'order is already in "replaced" state')


def test_replace_is_checked_like_a_new_order(make_sim):
    sim = make_sim(portfolio="sample")  # MSFT: 20 long
    placed = post(sim, **order("MSFT", "sell", type="limit", qty=10, limit_price="900", tif="gtc"))
    status, code, message, body = refusal(sim.client.replace_order_by_id, placed["id"], ReplaceOrderRequest(qty=25))
    assert (status, code) == FORBIDDEN
    assert message == "insufficient qty available for order (requested: 25, available: 20)"
    assert sim.client.get_order_by_id(placed["id"]).replaced_by is None
    status, code, message, _ = refusal(sim.client.replace_order_by_id, placed["id"],
                                       ReplaceOrderRequest(limit_price=900.001))
    assert (status, code) == UNPROCESSABLE and "sub-penny" in message
    buy = post(sim, **order("AMZN", type="limit", qty=10, limit_price="200"))
    status, code, message, _ = refusal(sim.client.replace_order_by_id, buy["id"], ReplaceOrderRequest(qty=100000))
    assert (status, code, message) == (*FORBIDDEN, "insufficient buying power")
    assert sim.client.get_order_by_id(buy["id"]).replaced_by is None
    assert sim.client.replace_order_by_id(buy["id"], ReplaceOrderRequest(qty=20)).qty == "20"


# ---- positions --------------------------------------------------------------------------------

def test_position_not_found(sim):
    for call in (sim.client.get_open_position, sim.client.close_position):
        status, code, message, _ = refusal(call, "AAPL")
        assert (status, code) == (404, 40410000)
        assert message in ("position does not exist", "position not found: AAPL")


def test_close_more_than_the_position(make_sim):
    sim = make_sim(portfolio="sample")
    status, code, message, _ = refusal(sim.client.close_position, "MSFT", ClosePositionRequest(qty="30"))
    assert (status, code) == FORBIDDEN
    assert message == "insufficient qty available for order (requested: 30, available: 20)"
