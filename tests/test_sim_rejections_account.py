"""Refusals that depend on what else is open or on the account, as alpaca-py sees them:
wash trades against open orders, trading suspended by the user, pattern day trader
protection; and refusals before an order is read (a malformed body, bad keys, the rate
limit). The refusals of an order's own fields are in test_sim_rejections.py."""

from __future__ import annotations

from decimal import Decimal

import requests
from alpaca.trading.enums import OrderSide, TimeInForce
from alpaca.trading.requests import MarketOrderRequest, StopOrderRequest

from .conftest import KEY, SECRET, trading_client
from .test_sim_rejections import FORBIDDEN, open_orders, order, post, post_refusal, refusal, wait_status


# ---- wash trades -------------------------------------------------------------------------------

def test_wash_trade_open_stop_order(make_sim):
    sim = make_sim(portfolio="sample")  # MSFT 20 long
    stop = sim.client.submit_order(StopOrderRequest(symbol="MSFT", qty=20, side=OrderSide.SELL,
                                                    time_in_force=TimeInForce.GTC, stop_price=400))
    wait_status(sim, stop.id, "new")
    status, code, message, body = post_refusal(sim, **order("MSFT", type="limit", qty=1, limit_price="410"))
    assert (status, code, message) == (*FORBIDDEN, "potential wash trade detected. use complex orders")
    assert body["existing_order_id"] == str(stop.id)
    assert body["reject_reason"]


def test_wash_trade_open_market_order(sim):
    opening = post(sim, **order(tif="opg", qty=5))  # waits for the next open
    assert opening["status"] == "accepted"
    status, code, message, body = post_refusal(sim, **order(side="sell", type="limit", qty=1, limit_price="999"))
    assert (status, code, message) == (*FORBIDDEN, "potential wash trade detected. use complex orders")
    assert body["existing_order_id"] == opening["id"]


def test_wash_trade_new_market_order(make_sim):
    sim = make_sim(portfolio="sample")  # AAPL 50 long
    aapl_buy = post(sim, **order("AAPL", type="limit", qty=10, limit_price="100"))
    status, code, message, body = refusal(sim.client.submit_order, MarketOrderRequest(
        symbol="AAPL", qty=10, side=OrderSide.SELL, time_in_force=TimeInForce.DAY))
    assert (status, code, message) == (*FORBIDDEN, "potential wash trade detected. use complex orders")
    assert body["existing_order_id"] == aapl_buy["id"]


def test_wash_trade_crossing_limits_and_a_non_crossing_pair(make_sim):
    sim = make_sim(portfolio="sample")
    buy = post(sim, **order("MSFT", type="limit", qty=1, limit_price="300"))
    status, code, message, body = post_refusal(sim, **order("MSFT", "sell", type="limit", qty=1, limit_price="300"))
    assert (status, code, message) == (*FORBIDDEN, "potential wash trade detected. use complex orders")
    assert body["existing_order_id"] == buy["id"]
    accepted = post(sim, **order("MSFT", "sell", type="limit", qty=1, limit_price="900"))
    assert accepted["status"] in ("pending_new", "new")
    # And the other way round: a buy at or above that sell crosses it.
    status, _, message, body = post_refusal(sim, **order("MSFT", type="limit", qty=1, limit_price="900.50"))
    assert status == 403 and body["existing_order_id"] == accepted["id"]


def test_wash_trade_ignores_closed_orders(make_sim):
    sim = make_sim(portfolio="sample")  # MSFT 20 long
    buy = post(sim, **order("MSFT", type="limit", qty=1, limit_price="300"))
    status, _, message, body = post_refusal(sim, **order("MSFT", "sell", qty=1))  # against the open buy
    assert (status, message) == (403, "potential wash trade detected. use complex orders")
    assert body["existing_order_id"] == buy["id"]
    sim.client.cancel_order_by_id(buy["id"])
    wait_status(sim, buy["id"], "canceled")
    sell = post(sim, **order("MSFT", "sell", qty=1))  # the buy is closed: the same sell is taken
    assert sell["side"] == "sell" and sell["status"] in ("pending_new", "new", "accepted")
    assert wait_status(sim, sell["id"], "filled").filled_qty == "1"


# ---- account state ----------------------------------------------------------------------------

def test_trading_suspended_by_user(sim):
    sim.client.patch("/account/configurations", {"suspend_trade": True})
    assert sim.client.get_account().trade_suspended_by_user is True
    status, code, message, _ = refusal(sim.client.submit_order, MarketOrderRequest(
        symbol="AAPL", qty=1, side=OrderSide.BUY, time_in_force=TimeInForce.DAY))
    assert (status, code, message) == (*FORBIDDEN, "new orders are rejected by user request")
    sim.client.patch("/account/configurations", {"suspend_trade": False})
    post(sim, **order(qty=1))


def test_pattern_day_trader_protection_legacy(make_sim):
    sim = make_sim(pdt="legacy", cash=Decimal(20000))
    for _ in range(3):
        for side in ("buy", "sell"):
            placed = post(sim, **order("F", side, qty=10))
            wait_status(sim, placed["id"], "filled")
    assert sim.client.get_account().daytrade_count == 3
    placed = post(sim, **order("F", "buy", qty=10))
    wait_status(sim, placed["id"], "filled")
    status, code, message, _ = post_refusal(sim, **order("F", "sell", qty=10))
    assert (status, code, message) == (403, 40310100, "trade denied due to pattern day trading protection")


# ---- transport-level refusals ---------------------------------------------------------------

def test_malformed_body(sim):
    headers = {"APCA-API-KEY-ID": KEY, "APCA-API-SECRET-KEY": SECRET, "Content-Type": "application/json"}
    for data in ("{not json", "[1, 2]", '"AAPL"'):
        response = requests.post(sim.url + "/v2/orders", data=data, headers=headers, timeout=5)
        assert response.status_code == 400
        assert response.json() == {"code": 40010000, "message": "request body format is invalid"}
    assert open_orders(sim) == []


def test_bad_keys(make_sim):
    sim = make_sim(api_key=KEY, secret_key=SECRET)
    sim.client.get_account()
    status, code, message, _ = refusal(trading_client(sim.url, KEY, "wrong").get_account)
    assert (status, code, message) == (401, 40110000, "request is not authorized")


def test_rate_limit(make_sim):
    sim = make_sim(rate_limit=3)
    for _ in range(3):
        sim.client.get_clock()
    status, code, message, _ = refusal(sim.client.get_clock)
    assert (status, code, message) == (429, 42910000, "rate limit exceeded")
