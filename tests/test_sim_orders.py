"""Order lifecycles: every type and time in force, fractional and notional orders, complex
orders, replace and cancel, all through alpaca-py against a running simulator
(docs/api-facts.md §2 and §3). What they leave behind (positions, the account, fill
activities, order queries) is in test_sim_order_results.py."""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_DOWN, Decimal
from typing import Any

import requests
from alpaca.trading.enums import OrderClass, OrderSide, OrderStatus, QueryOrderStatus, TimeInForce
from alpaca.trading.requests import (
    GetOrderByIdRequest,
    GetOrdersRequest,
    LimitOrderRequest,
    MarketOrderRequest,
    ReplaceOrderRequest,
    StopLimitOrderRequest,
    StopLossRequest,
    StopOrderRequest,
    TakeProfitRequest,
    TrailingStopOrderRequest,
)

from tui.sim.fmt import NY
from tui.sim.prices import Quote

from .conftest import KEY, SECRET, wait_for

BUY, SELL = OrderSide.BUY, OrderSide.SELL
DAY, GTC = TimeInForce.DAY, TimeInForce.GTC


# ---- helpers ------------------------------------------------------------------------------

def quote(sim, symbol: str) -> Quote:
    return sim.call(sim.exchange.prices.quote, symbol)


def record_events(sim) -> list[dict[str, Any]]:
    """trade_updates events from now on, as the stream would carry them."""
    seen: list[dict[str, Any]] = []
    sim.call(sim.exchange.listeners.append, seen.append)
    return seen


def events_for(seen: list[dict[str, Any]], order_id: Any) -> list[str]:
    return [m["data"]["event"] for m in list(seen) if m["data"]["order"]["id"] == str(order_id)]


def get(sim, order_id: Any):
    return sim.client.get_order_by_id(order_id)


def get_nested(sim, order_id: Any):
    return sim.client.get_order_by_id(order_id, GetOrderByIdRequest(nested=True))


def wait_status(sim, order_id: Any, *statuses: str):
    return wait_for(lambda: (o := get(sim, order_id)).status in statuses and o)


def settle(sim, ticks: int = 3) -> None:
    """Let the engine look at the market a few times (for asserting that nothing happens)."""
    for _ in range(ticks):
        sim.tick()


def market(symbol: str, qty: Any, side=BUY, tif=DAY, **extra: Any) -> MarketOrderRequest:
    return MarketOrderRequest(symbol=symbol, qty=qty, side=side, time_in_force=tif, **extra)


def limit(symbol: str, qty: Any, price: Any, side=BUY, tif=DAY, **extra: Any) -> LimitOrderRequest:
    return LimitOrderRequest(symbol=symbol, qty=qty, side=side, time_in_force=tif, limit_price=price, **extra)


def fills(sim, **params: Any) -> list[dict[str, Any]]:
    return sim.client.get("/account/activities/FILL", params or None)


def open_ids(sim) -> set[str]:
    return {str(o.id) for o in sim.client.get_orders(GetOrdersRequest(status=QueryOrderStatus.OPEN, limit=500))}


def D(value: Any) -> Decimal:
    return Decimal(str(value))


# ---- simple lifecycles -----------------------------------------------------------------------

def test_market_buy_goes_pending_new_new_filled_at_the_ask(sim):
    seen = record_events(sim)
    ask = quote(sim, "AAPL").ask
    placed = sim.client.submit_order(market("AAPL", 5))
    assert placed.status == OrderStatus.PENDING_NEW
    assert placed.filled_qty == "0" and placed.filled_at is None
    filled = wait_status(sim, placed.id, "filled")
    assert events_for(seen, placed.id) == ["pending_new", "new", "fill"]
    assert D(filled.filled_avg_price) == ask
    assert filled.filled_qty == "5" and filled.filled_at is not None
    fill_event = next(m["data"] for m in seen if m["data"]["event"] == "fill")
    assert (D(fill_event["price"]), fill_event["qty"], fill_event["position_qty"]) == (ask, "5", "5")
    position = sim.client.get_open_position("AAPL")
    assert position.qty == "5" and D(position.avg_entry_price) == ask


def test_market_sell_fills_at_the_bid(make_sim):
    sim = make_sim(portfolio="sample")
    bid = quote(sim, "MSFT").bid
    placed = sim.client.submit_order(market("MSFT", 5, SELL))
    filled = wait_status(sim, placed.id, "filled")
    assert D(filled.filled_avg_price) == bid
    assert sim.client.get_open_position("MSFT").qty == "15"


def test_limit_rests_until_the_market_reaches_it(sim):
    last = quote(sim, "AAPL").last
    price = (last - 10).quantize(Decimal("0.01"))
    placed = sim.client.submit_order(limit("AAPL", 3, price))
    wait_status(sim, placed.id, "new")
    settle(sim)
    assert get(sim, placed.id).status == "new"
    sim.set_price("AAPL", price + Decimal("0.50"))  # ask still above the limit
    settle(sim)
    assert get(sim, placed.id).status == "new"
    sim.set_price("AAPL", price - 1)
    filled = wait_status(sim, placed.id, "filled")
    assert D(filled.filled_avg_price) == quote(sim, "AAPL").ask  # at the quote, not the limit
    assert D(filled.filled_avg_price) <= price


def test_sell_limit_fills_when_the_bid_reaches_it(make_sim):
    sim = make_sim(portfolio="sample")
    price = (quote(sim, "MSFT").last + 5).quantize(Decimal("0.01"))
    placed = sim.client.submit_order(limit("MSFT", 4, price, SELL, GTC))
    wait_status(sim, placed.id, "new")
    sim.set_price("MSFT", price)  # bid a tick below the limit
    settle(sim)
    assert get(sim, placed.id).status == "new"
    sim.set_price("MSFT", price + 1)
    filled = wait_status(sim, placed.id, "filled")
    assert D(filled.filled_avg_price) == quote(sim, "MSFT").bid


def test_stop_buy_triggers_when_the_price_rises_through_it(sim):
    last = quote(sim, "NVDA").last
    stop = (last + 5).quantize(Decimal("0.01"))
    placed = sim.client.submit_order(StopOrderRequest(symbol="NVDA", qty=2, side=BUY, time_in_force=GTC,
                                                      stop_price=float(stop)))
    wait_status(sim, placed.id, "new")
    sim.set_price("NVDA", stop - Decimal("0.01"))
    settle(sim)
    assert get(sim, placed.id).status == "new"
    sim.set_price("NVDA", stop + 1)
    filled = wait_status(sim, placed.id, "filled")
    assert D(filled.filled_avg_price) == quote(sim, "NVDA").ask


def test_stop_limit_sell_triggers_then_waits_for_its_limit(make_sim):
    sim = make_sim(portfolio="sample")  # MSFT 20 long
    last = quote(sim, "MSFT").last
    stop, floor = (last - 10).quantize(Decimal("0.01")), (last - 12).quantize(Decimal("0.01"))
    placed = sim.client.submit_order(StopLimitOrderRequest(
        symbol="MSFT", qty=20, side=SELL, time_in_force=GTC, stop_price=float(stop), limit_price=float(floor)))
    wait_status(sim, placed.id, "new")
    sim.set_price("MSFT", floor - 5)  # gaps through both: triggered, but the bid is under the limit
    settle(sim)
    assert get(sim, placed.id).status == "new"
    sim.set_price("MSFT", floor + 1)  # back above the limit, below the stop: a triggered stop stays triggered
    filled = wait_status(sim, placed.id, "filled")
    assert D(filled.filled_avg_price) == quote(sim, "MSFT").bid >= floor


def test_trailing_stop_with_trail_price_follows_the_high(make_sim):
    sim = make_sim(portfolio="sample")  # MSFT 20 long
    last = quote(sim, "MSFT").last
    placed = sim.client.submit_order(TrailingStopOrderRequest(
        symbol="MSFT", qty=20, side=SELL, time_in_force=GTC, trail_price=5))
    assert D(placed.hwm) == last and D(placed.stop_price) == last - 5
    wait_status(sim, placed.id, "new")
    sim.set_price("MSFT", last + 10)
    moved = wait_for(lambda: (o := get(sim, placed.id)).hwm and D(o.hwm) == last + 10 and o)
    assert D(moved.stop_price) == last + 5
    sim.set_price("MSFT", last + 6)  # the high stays; still above the stop
    settle(sim)
    assert D(get(sim, placed.id).hwm) == last + 10 and get(sim, placed.id).status == "new"
    sim.set_price("MSFT", last + 5)
    filled = wait_status(sim, placed.id, "filled")
    assert D(filled.filled_avg_price) == quote(sim, "MSFT").bid
    assert D(filled.hwm) == last + 10


def test_trailing_stop_with_trail_percent_buys_after_a_bounce(sim):
    sim.set_price("AMD", "200.00")
    placed = sim.client.submit_order(TrailingStopOrderRequest(
        symbol="AMD", qty=3, side=BUY, time_in_force=DAY, trail_percent=5))
    assert placed.hwm == "200" and placed.stop_price == "210"
    wait_status(sim, placed.id, "new")
    sim.set_price("AMD", "180.00")  # a buy trails the low
    moved = wait_for(lambda: (o := get(sim, placed.id)).hwm == "180" and o)
    assert moved.stop_price == "189"
    sim.set_price("AMD", "188.99")
    settle(sim)
    assert get(sim, placed.id).status == "new"
    sim.set_price("AMD", "189.00")
    filled = wait_status(sim, placed.id, "filled")
    assert D(filled.filled_avg_price) == quote(sim, "AMD").ask


# ---- time in force ------------------------------------------------------------------------------

def test_ioc_and_fok(sim):
    ask = quote(sim, "AAPL").ask
    resting = sim.client.submit_order(limit("AAPL", 2, ask - 5, tif=TimeInForce.IOC))
    assert wait_status(sim, resting.id, "canceled").canceled_at is not None
    crossing = sim.client.submit_order(limit("AAPL", 2, ask, tif=TimeInForce.IOC))
    assert wait_status(sim, crossing.id, "filled").filled_qty == "2"
    killed = sim.client.submit_order(limit("AAPL", 2, ask - 5, tif=TimeInForce.FOK))
    assert wait_status(sim, killed.id, "canceled").filled_qty == "0"
    filled = sim.client.submit_order(limit("AAPL", 2, ask + 1, tif=TimeInForce.FOK))
    assert wait_status(sim, filled.id, "filled").filled_qty == "2"
    assert open_ids(sim) == set()


def test_day_expires_at_the_rollover_gtc_stays_and_opg_cls_execute(make_sim):
    sim = make_sim(start_at=datetime(2026, 3, 10, 23, 58, tzinfo=NY))
    ask = quote(sim, "AAPL").ask
    day = sim.client.submit_order(limit("AAPL", 1, ask - 20))
    gtc = sim.client.submit_order(limit("AAPL", 1, ask - 20, tif=GTC))
    opg = sim.client.submit_order(market("MSFT", 2, tif=TimeInForce.OPG))
    cls = sim.client.submit_order(market("NVDA", 3, tif=TimeInForce.CLS))
    assert (opg.status, cls.status) == ("accepted", "accepted")
    assert day.expires_at is not None and day.expires_at.astimezone(NY).date().isoformat() == "2026-03-11"
    sim.advance(0.05)
    assert (get(sim, day.id).status, get(sim, gtc.id).status) == ("new", "new")
    assert (get(sim, opg.id).status, get(sim, cls.id).status) == ("accepted", "accepted")
    sim.advance(60)
    assert get(sim, day.id).status == "new"
    sim.advance(120)  # past midnight in New York
    expired = get(sim, day.id)
    assert expired.status == "expired" and expired.expired_at is not None
    assert get(sim, gtc.id).status == "new"
    assert get(sim, opg.id).status == "filled" and get(sim, cls.id).status == "filled"
    assert D(get(sim, opg.id).filled_avg_price) == quote(sim, "MSFT").ask
    assert {p.symbol: p.qty for p in sim.client.get_all_positions()} == {"MSFT": "2", "NVDA": "3"}


def test_extended_hours_limit_trades_before_the_open_others_wait(make_sim):
    sim = make_sim(market="nyse", start_at=datetime(2026, 3, 10, 8, 0, tzinfo=NY))  # Tuesday pre-market
    assert sim.client.get_clock().is_open is False
    ask = quote(sim, "AAPL").ask
    extended = sim.client.submit_order(limit("AAPL", 1, ask, extended_hours=True))
    regular = sim.client.submit_order(limit("AAPL", 1, ask))
    at_market = sim.client.submit_order(market("MSFT", 1))
    assert extended.status == "pending_new"
    assert (regular.status, at_market.status) == ("accepted", "accepted")
    sim.advance(0.05)
    assert get(sim, extended.id).status == "filled"
    assert (get(sim, regular.id).status, get(sim, at_market.id).status) == ("accepted", "accepted")
    sim.call(sim.clock.set, datetime(2026, 3, 10, 9, 30, 1, tzinfo=NY))
    sim.advance(0.05)
    sim.advance(0.05)
    assert get(sim, regular.id).status == "filled" and get(sim, at_market.id).status == "filled"


def test_extended_hours_day_order_ends_with_after_hours(make_sim):
    sim = make_sim(market="nyse", start_at=datetime(2026, 3, 10, 17, 0, tzinfo=NY))
    placed = sim.client.submit_order(limit("KO", 1, 5, extended_hours=True))
    assert placed.expires_at == datetime(2026, 3, 10, 20, 0, tzinfo=NY)
    sim.advance(0.05)
    assert get(sim, placed.id).status == "new"
    sim.advance(3 * 3600)
    expired = get(sim, placed.id)
    assert expired.status == "expired" and expired.expired_at == placed.expires_at
    sim.call(sim.clock.set, datetime(2026, 3, 11, 8, 0, tzinfo=NY))
    sim.set_price("KO", "4")  # the next pre-market: nothing left to fill
    assert get(sim, placed.id).status == "expired" and sim.client.get_all_positions() == []


def test_unfilled_day_order_expires_at_the_close(make_sim):
    sim = make_sim(market="nyse", start_at=datetime(2026, 3, 10, 15, 59, tzinfo=NY))
    placed = sim.client.submit_order(limit("AAPL", 1, quote(sim, "AAPL").bid - 20))
    sim.advance(0.05)
    assert get(sim, placed.id).status == "new"
    sim.advance(120)
    assert get(sim, placed.id).status == "expired"


# ---- fractional and notional -------------------------------------------------------------------

def test_fractional_qty_buy(sim):
    placed = sim.client.submit_order(market("AAPL", 0.5))
    filled = wait_status(sim, placed.id, "filled")
    assert filled.qty == "0.5" and filled.filled_qty == "0.5"
    assert sim.client.get_open_position("AAPL").qty == "0.5"


def test_notional_buy_learns_its_qty_at_the_fill(sim):
    cash = D(sim.client.get_account().cash)
    ask = quote(sim, "AAPL").ask
    placed = sim.client.submit_order(MarketOrderRequest(symbol="AAPL", notional=1000, side=BUY, time_in_force=DAY))
    assert placed.qty is None and placed.notional == "1000"
    filled = wait_status(sim, placed.id, "filled")
    expected = (Decimal(1000) / ask).quantize(Decimal("0.000000001"), ROUND_DOWN)
    assert D(filled.qty) == D(filled.filled_qty) == expected
    assert sim.client.get_open_position("AAPL").qty == filled.qty
    spent = cash - D(sim.client.get_account().cash)
    assert Decimal("999.99") <= spent <= Decimal("1000.00")


def test_an_open_notional_order_reserves_its_notional(make_sim):
    sim = make_sim(market="nyse", start_at=datetime(2026, 3, 10, 8, 0, tzinfo=NY))
    before = D(sim.client.get_account().buying_power)
    placed = sim.client.submit_order(MarketOrderRequest(symbol="AAPL", notional=5000, side=BUY, time_in_force=DAY))
    assert placed.status == "accepted"
    assert before - D(sim.client.get_account().buying_power) == 5000


# ---- complex orders ------------------------------------------------------------------------

def test_bracket_legs_are_held_until_the_entry_fills_then_one_cancels_the_other(sim):
    seen = record_events(sim)
    last = quote(sim, "AAPL").last
    entry = (last - 10).quantize(Decimal("0.01"))
    placed = sim.client.submit_order(limit(
        "AAPL", 10, entry, tif=GTC, order_class=OrderClass.BRACKET,
        take_profit=TakeProfitRequest(limit_price=float(entry + 20)),
        stop_loss=StopLossRequest(stop_price=float(entry - 20))))
    assert placed.order_class == "bracket" and len(placed.legs) == 2
    take_profit, stop_loss = sorted(placed.legs, key=lambda leg: leg.type != "limit")
    assert (take_profit.type, stop_loss.type) == ("limit", "stop")
    assert {leg.status for leg in placed.legs} == {"held"} and {leg.side for leg in placed.legs} == {"sell"}
    wait_status(sim, placed.id, "new")
    settle(sim)
    assert {get(sim, leg.id).status for leg in placed.legs} == {"held"}
    sim.set_price("AAPL", entry - 1)
    wait_status(sim, placed.id, "filled")
    wait_for(lambda: {get(sim, leg.id).status for leg in placed.legs} == {"new"})
    assert get(sim, take_profit.id).qty == "10"
    assert sim.client.get_open_position("AAPL").qty_available == "0"
    sim.set_price("AAPL", entry + 21)
    assert D(wait_status(sim, take_profit.id, "filled").filled_avg_price) == quote(sim, "AAPL").bid
    assert wait_status(sim, stop_loss.id, "canceled").canceled_at is not None
    assert events_for(seen, take_profit.id) == ["new", "fill"]  # "held" is a status, not an event
    assert events_for(seen, stop_loss.id) == ["new", "canceled"]
    assert sim.client.get_all_positions() == []
    nested = get_nested(sim, placed.id)
    assert {leg.status for leg in nested.legs} == {"filled", "canceled"}


def test_bracket_stop_loss_filling_cancels_the_take_profit(sim):
    ask = quote(sim, "NVDA").ask
    placed = sim.client.submit_order(market("NVDA", 4, order_class=OrderClass.BRACKET,
                                            take_profit=TakeProfitRequest(limit_price=float(ask + 10)),
                                            stop_loss=StopLossRequest(stop_price=float(ask - 10))))
    wait_status(sim, placed.id, "filled")
    take_profit, stop_loss = sorted(placed.legs, key=lambda leg: leg.type != "limit")
    wait_status(sim, stop_loss.id, "new")
    sim.set_price("NVDA", ask - 11)
    wait_status(sim, stop_loss.id, "filled")
    wait_status(sim, take_profit.id, "canceled")
    assert sim.client.get_all_positions() == []


def test_oco_both_legs_work_and_one_filling_cancels_the_other(make_sim):
    sim = make_sim(portfolio="sample")  # MSFT 20 long
    last = quote(sim, "MSFT").last
    placed = sim.client.submit_order(LimitOrderRequest(
        symbol="MSFT", qty=20, side=SELL, time_in_force=GTC, order_class=OrderClass.OCO,
        take_profit=TakeProfitRequest(limit_price=float(last + 20)),
        stop_loss=StopLossRequest(stop_price=float(last - 20))))
    assert placed.order_class == "oco" and D(placed.limit_price) == last + 20
    (stop_leg,) = placed.legs
    assert stop_leg.type == "stop" and D(stop_leg.stop_price) == last - 20
    wait_status(sim, placed.id, "new")
    wait_status(sim, stop_leg.id, "new")
    assert sim.client.get_open_position("MSFT").qty_available == "0"  # the pair claims the shares once
    sim.set_price("MSFT", last - 21)
    wait_status(sim, stop_leg.id, "filled")
    wait_status(sim, placed.id, "canceled")
    assert open_ids(sim).isdisjoint({str(placed.id), str(stop_leg.id)})


def test_oto_leg_waits_for_the_entry(sim):
    ask = quote(sim, "AMD").ask
    placed = sim.client.submit_order(limit("AMD", 5, ask - 5, tif=GTC, order_class=OrderClass.OTO,
                                           stop_loss=StopLossRequest(stop_price=float(ask - 15))))
    (leg,) = placed.legs
    assert leg.status == "held" and leg.side == "sell" and leg.type == "stop"
    wait_status(sim, placed.id, "new")
    sim.set_price("AMD", ask - 6)
    wait_status(sim, placed.id, "filled")
    assert wait_status(sim, leg.id, "new").qty == "5"


# ---- replace and cancel ----------------------------------------------------------------------

def test_replace_makes_a_new_order_and_retires_the_old(sim):
    seen = record_events(sim)
    old = sim.client.submit_order(limit("AAPL", 5, 200, client_order_id="mine"))
    wait_status(sim, old.id, "new")
    new = sim.client.replace_order_by_id(old.id, ReplaceOrderRequest(qty=7, limit_price=205))
    assert new.id != old.id
    assert (new.qty, new.limit_price, str(new.replaces)) == ("7", "205", str(old.id))
    retired = get(sim, old.id)
    assert retired.status == "replaced" and str(retired.replaced_by) == str(new.id)
    assert retired.replaced_at is not None
    assert "replaced" in events_for(seen, old.id)
    assert open_ids(sim) == {str(new.id)}
    assert new.client_order_id != "mine"
    buying_power = D(sim.client.get_account().buying_power)
    sim.client.cancel_order_by_id(new.id)
    assert D(sim.client.get_account().buying_power) == buying_power + 7 * 205  # the new reservation


def test_replace_then_fill(sim):
    placed = sim.client.submit_order(limit("AAPL", 2, 200))
    wait_status(sim, placed.id, "new")
    new = sim.client.replace_order_by_id(placed.id, ReplaceOrderRequest(limit_price=float(quote(sim, "AAPL").ask)))
    assert wait_status(sim, new.id, "filled").filled_qty == "2"
    assert sim.client.get_open_position("AAPL").qty == "2"


def test_cancel(sim):
    seen = record_events(sim)
    placed = sim.client.submit_order(limit("AAPL", 1, 200))
    sim.client.cancel_order_by_id(placed.id)
    canceled = get(sim, placed.id)
    assert canceled.status == "canceled" and canceled.canceled_at is not None
    assert events_for(seen, placed.id)[-1] == "canceled"
    assert open_ids(sim) == set()


def test_cancel_all_answers_207_with_each_order(sim):
    ids = {str(sim.client.submit_order(limit(s, 1, 100)).id) for s in ("AAPL", "MSFT", "NVDA")}
    response = requests.delete(sim.url + "/v2/orders", timeout=5,
                               headers={"APCA-API-KEY-ID": KEY, "APCA-API-SECRET-KEY": SECRET})
    assert response.status_code == 207
    body = response.json()
    assert {item["id"] for item in body} == ids and {item["status"] for item in body} == {200}
    assert {get(sim, i).status for i in ids} == {"canceled"}
    more = {str(sim.client.submit_order(limit("AMD", 1, 100)).id)}
    assert {str(r.id) for r in sim.client.cancel_orders()} == more
    assert open_ids(sim) == set()


def test_cancel_bracket_parent_cancels_its_legs(sim):
    placed = sim.client.submit_order(limit("AAPL", 1, 200, tif=GTC, order_class=OrderClass.BRACKET,
                                           take_profit=TakeProfitRequest(limit_price=250),
                                           stop_loss=StopLossRequest(stop_price=150)))
    sim.client.cancel_order_by_id(placed.id)
    assert {get(sim, leg.id).status for leg in placed.legs} == {"canceled"}
    assert open_ids(sim) == set()
