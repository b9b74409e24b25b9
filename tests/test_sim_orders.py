"""Order lifecycles, positions, account arithmetic, fill activities and order queries, all
through alpaca-py against a running simulator (alpaca-api.md §2 and §3)."""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_DOWN, Decimal
from typing import Any

import requests
from alpaca.trading.enums import OrderClass, OrderSide, OrderStatus, QueryOrderStatus, TimeInForce
from alpaca.trading.requests import (
    ClosePositionRequest,
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


# ---- positions ------------------------------------------------------------------------------------

def test_close_position_by_qty_and_by_percentage(make_sim):
    sim = make_sim(portfolio="sample")  # MSFT 20, SPY 30
    order = sim.client.close_position("MSFT", ClosePositionRequest(qty="5"))
    assert (order.side, order.qty, order.type) == ("sell", "5", "market")
    wait_status(sim, order.id, "filled")
    assert sim.client.get_open_position("MSFT").qty == "15"
    order = sim.client.close_position("SPY", ClosePositionRequest(percentage="50"))
    assert order.qty == "15"
    wait_status(sim, order.id, "filled")
    assert sim.client.get_open_position("SPY").qty == "15"
    order = sim.client.close_position("SPY")
    wait_status(sim, order.id, "filled")
    symbols = {p.symbol for p in sim.client.get_all_positions()}
    assert "SPY" not in symbols and "MSFT" in symbols


def test_close_a_short_position_buys_it_back(make_sim):
    sim = make_sim(portfolio="sample")  # TSLA 15 short
    order = sim.client.close_position("TSLA")
    assert (order.side, order.qty) == ("buy", "15")
    wait_status(sim, order.id, "filled")
    assert "TSLA" not in {p.symbol for p in sim.client.get_all_positions()}


def test_close_all_positions_and_cancel_orders(make_sim):
    sim = make_sim(portfolio="sample")
    assert sim.client.get_orders()  # the sample has resting orders
    results = sim.client.close_all_positions(cancel_orders=True)
    assert {r.symbol for r in results} == {"AAPL", "MSFT", "NVDA", "SPY", "AMD", "TSLA"}
    assert {r.status for r in results} == {200}
    wait_for(lambda: sim.client.get_all_positions() == [])
    assert sim.client.get_orders() == []
    account = sim.client.get_account()
    assert account.long_market_value == "0.00" and account.equity == account.cash


def test_position_fields(sim):
    first_ask = quote(sim, "AAPL").ask
    wait_status(sim, sim.client.submit_order(market("AAPL", 10)).id, "filled")
    sim.set_price("AAPL", first_ask + 10)
    second_ask = quote(sim, "AAPL").ask
    wait_status(sim, sim.client.submit_order(market("AAPL", 30)).id, "filled")
    position = sim.client.get_open_position("AAPL")
    cost = 10 * first_ask + 30 * second_ask
    assert position.qty == "40" and position.side == "long"
    assert D(position.cost_basis) == cost
    assert D(position.avg_entry_price) == (cost / 40).quantize(Decimal("0.0001"))
    last = quote(sim, "AAPL").last
    assert D(position.market_value) == 40 * last and D(position.current_price) == last
    assert D(position.unrealized_pl) == 40 * last - cost
    sim.set_price("AAPL", first_ask - 1)
    assert D(sim.client.get_open_position("AAPL").unrealized_pl) < 0
    sim.set_price("AAPL", second_ask + 1)
    assert D(sim.client.get_open_position("AAPL").unrealized_pl) > 0
    sim.client.submit_order(limit("AAPL", 15, 999, SELL, GTC))
    position = sim.client.get_open_position("AAPL")
    assert (position.qty, position.qty_available) == ("40", "25")
    assert position.asset_id and position.exchange == "NASDAQ" and position.asset_class == "us_equity"


def test_short_position(sim):
    bid = quote(sim, "MSFT").bid
    wait_status(sim, sim.client.submit_order(market("MSFT", 10, SELL)).id, "filled")
    position = sim.client.get_open_position("MSFT")
    last = quote(sim, "MSFT").last
    assert position.qty == "-10" and position.side == "short"
    assert D(position.market_value) == -10 * last < 0
    assert D(position.avg_entry_price) == bid and D(position.cost_basis) == -10 * bid
    sim.set_price("MSFT", last + 10)
    assert D(sim.client.get_open_position("MSFT").unrealized_pl) < 0
    account = sim.client.get_account()
    assert D(account.short_market_value) == -10 * quote(sim, "MSFT").last
    assert [a["side"] for a in fills(sim)] == ["sell_short"]


# ---- account arithmetic ---------------------------------------------------------------------------

def test_account_after_a_buy(sim):
    before = sim.client.get_account()
    ask = quote(sim, "AAPL").ask
    wait_status(sim, sim.client.submit_order(market("AAPL", 10)).id, "filled")
    account = sim.client.get_account()
    assert D(before.cash) - D(account.cash) == 10 * ask
    assert D(account.long_market_value) == 10 * quote(sim, "AAPL").last
    assert D(account.equity) == D(account.cash) + D(account.long_market_value) + D(account.short_market_value)
    assert account.portfolio_value == account.equity


def test_account_equity_with_longs_and_shorts(make_sim):
    sim = make_sim(portfolio="sample")
    account = sim.client.get_account()
    assert D(account.short_market_value) < 0 < D(account.long_market_value)
    assert D(account.equity) == D(account.cash) + D(account.long_market_value) + D(account.short_market_value)
    positions = sim.client.get_all_positions()
    assert sum(D(p.market_value) for p in positions if p.side == "long") == D(account.long_market_value)


def test_open_limit_buy_reserves_buying_power(sim):
    before = D(sim.client.get_account().buying_power)
    placed = sim.client.submit_order(limit("AAPL", 10, 200))
    assert before - D(sim.client.get_account().buying_power) == 2000
    assert sim.client.get_account().cash == "100000.00"  # reserved, not spent
    sim.client.cancel_order_by_id(placed.id)
    assert D(sim.client.get_account().buying_power) == before


def test_open_short_sell_reserves_at_least_the_ask_plus_collar(sim):
    before = D(sim.client.get_account().buying_power)
    ask = quote(sim, "MSFT").ask
    sim.client.submit_order(limit("MSFT", 10, 999, SELL, GTC))
    assert before - D(sim.client.get_account().buying_power) == 9990  # above the market: the limit
    sim.client.cancel_orders()
    sim.client.submit_order(limit("MSFT", 10, (ask + 1).quantize(Decimal("0.01")), SELL, GTC))
    expected = 10 * ask * Decimal("1.03")
    assert abs(before - D(sim.client.get_account().buying_power) - expected) <= Decimal("0.01")


# ---- partial fills ----------------------------------------------------------------------------

def test_partial_fills_over_many_orders(make_sim):
    sim = make_sim(partial_fills=True, seed=11)
    seen = record_events(sim)
    ids = [sim.client.post("/orders", {"symbol": "F", "qty": 10 + n % 7, "side": "buy", "type": "market",
                                       "time_in_force": "day"})["id"] for n in range(60)]
    wait_for(lambda: any(m["data"]["event"] == "partial_fill" for m in list(seen)))
    sim.set_price("F", "14.00")  # the rest of a partial fill executes at another price

    def all_filled():
        got = [get(sim, i) for i in ids]
        return all(o.status == "filled" for o in got) and got

    orders = wait_for(all_filled, timeout=10)
    by_order: dict[str, list[dict[str, Any]]] = {}
    for activity in fills(sim, direction="asc"):
        by_order.setdefault(activity["order_id"], []).append(activity)
    partial = [i for i in ids if events_for(seen, i)[-2:] == ["partial_fill", "fill"]]
    assert 1 <= len(partial) < 20  # about one in ten
    assert any(len({a["price"] for a in by_order[i]}) == 2 for i in partial)
    for order in orders:
        executions = by_order[str(order.id)]
        assert sum(D(a["qty"]) for a in executions) == D(order.filled_qty) == D(order.qty)
        value = sum(D(a["qty"]) * D(a["price"]) for a in executions)
        assert D(order.filled_avg_price) == (value / D(order.filled_qty)).quantize(Decimal("0.0001")).normalize()
        assert [a["type"] for a in executions] == ["partial_fill"] * (len(executions) - 1) + ["fill"]
        assert executions[-1]["cum_qty"] == order.filled_qty and executions[-1]["leaves_qty"] == "0"
    for i in partial:
        first = by_order[i][0]
        assert first["order_status"] == "partially_filled" and D(first["leaves_qty"]) > 0
    total = sum(D(o.filled_qty) for o in orders)
    assert D(sim.client.get_open_position("F").qty) == total


def test_a_partially_filled_order_can_be_canceled_or_replaced(make_sim):
    sim = make_sim(partial_fill_share=1.0, start_at=datetime(2026, 3, 10, 12, 0, tzinfo=NY))
    first = sim.client.submit_order(market("AAPL", 10))
    second = sim.client.submit_order(limit("MSFT", 10, quote(sim, "MSFT").ask))
    sim.advance(0.05)
    first, second = get(sim, first.id), get(sim, second.id)
    assert (first.status, second.status) == ("partially_filled", "partially_filled")
    done = D(first.filled_qty)
    assert 0 < done < 10
    sim.client.cancel_order_by_id(first.id)
    grown = sim.client.replace_order_by_id(second.id, ReplaceOrderRequest(qty=12))
    assert D(grown.qty) == 12 - D(second.filled_qty)  # the replacement trades what is left of the new total
    sim.advance(1)
    canceled = get(sim, first.id)
    assert canceled.status == "canceled" and D(canceled.filled_qty) == done
    assert get(sim, grown.id).status == "filled"
    positions = {p.symbol: D(p.qty) for p in sim.client.get_all_positions()}
    assert positions == {"AAPL": done, "MSFT": Decimal(12)}


# ---- fill activities -------------------------------------------------------------------------------

def test_fill_activities_paging(sim):
    ids = []
    for symbol in ("AAPL", "MSFT", "NVDA", "AMD", "SPY"):
        placed = sim.client.submit_order(market(symbol, 1))
        wait_status(sim, placed.id, "filled")
        ids.append(str(placed.id))
    newest_first = fills(sim)
    assert [a["order_id"] for a in newest_first] == ids[::-1]
    first = newest_first[0]
    assert first["activity_type"] == "FILL" and first["type"] == "fill" and first["side"] == "buy"
    assert first["symbol"] == "SPY" and first["qty"] == "1" and first["leaves_qty"] == "0"
    assert first["cum_qty"] == "1" and first["order_status"] == "filled"
    assert D(first["price"]) == quote(sim, "SPY").ask
    date_part, _, uid = first["id"].partition("::")
    assert len(date_part) == 17 and date_part.isdigit() and len(uid) == 36
    page = fills(sim, page_size=2)
    assert [a["order_id"] for a in page] == ids[:2:-1][:2]
    following = fills(sim, page_size=2, page_token=page[-1]["id"])
    assert [a["order_id"] for a in following] == [ids[2], ids[1]]
    assert [a["order_id"] for a in fills(sim, direction="asc")] == ids
    assert [a["order_id"] for a in fills(sim, direction="asc", page_size=2, page_token=newest_first[2]["id"])] \
        == [ids[3], ids[4]]
    same = sim.client.get("/account/activities", {"activity_types": "FILL", "page_size": 1})
    assert [a["id"] for a in same] == [first["id"]]


def test_fill_activities_by_time_and_date(make_sim):
    sim = make_sim(start_at=datetime(2026, 3, 10, 12, 0, tzinfo=NY))
    ids = []
    for symbol in ("AAPL", "MSFT", "NVDA"):
        ids.append(str(sim.client.submit_order(market(symbol, 1)).id))
        sim.advance(60)
    times = {a["order_id"]: a["transaction_time"] for a in fills(sim)}
    assert [a["order_id"] for a in fills(sim, after=times[ids[0]], direction="asc")] == ids[1:]
    assert [a["order_id"] for a in fills(sim, until=times[ids[2]], direction="asc")] == ids[:2]
    assert len(fills(sim, date="2026-03-10")) == 3 and fills(sim, date="2026-03-09") == []
    assert fills(sim, after="2026-03-10T13:00:00-04:00") == []


# ---- order queries -----------------------------------------------------------------------------

def query(sim, **params: Any) -> list:
    return sim.client.get_orders(GetOrdersRequest(**params))


def test_order_queries(sim):
    filled = []
    for symbol, side in (("AAPL", BUY), ("MSFT", SELL)):
        placed = sim.client.submit_order(market(symbol, 1, side))
        filled.append(str(wait_status(sim, placed.id, "filled").id))
    resting = [str(sim.client.submit_order(limit(s, 1, 100)).id) for s in ("AAPL", "NVDA", "AMD")]
    ids = lambda orders: [str(o.id) for o in orders]  # noqa: E731
    assert ids(query(sim)) == resting[::-1]  # open by default, newest first
    assert ids(query(sim, status=QueryOrderStatus.CLOSED)) == filled[::-1]
    everything = filled + resting
    assert ids(query(sim, status=QueryOrderStatus.ALL)) == everything[::-1]
    assert ids(query(sim, status=QueryOrderStatus.ALL, direction="asc")) == everything
    assert ids(query(sim, status=QueryOrderStatus.ALL, limit=2)) == everything[:-3:-1]
    assert ids(query(sim, status=QueryOrderStatus.ALL, symbols=["AAPL"])) == [resting[0], filled[0]]
    assert ids(query(sim, status=QueryOrderStatus.ALL, symbols=["AAPL", "AMD"])) == [resting[2], resting[0], filled[0]]
    assert ids(query(sim, status=QueryOrderStatus.ALL, side=SELL)) == [filled[1]]
    second = get(sim, everything[1]).submitted_at
    fourth = get(sim, everything[3]).submitted_at
    assert ids(query(sim, status=QueryOrderStatus.ALL, after=second, direction="asc")) == everything[2:]
    assert ids(query(sim, status=QueryOrderStatus.ALL, until=fourth, direction="asc")) == everything[:3]
    assert ids(query(sim, status=QueryOrderStatus.ALL, after=second, until=fourth)) == [everything[2]]


def test_orders_limit_is_at_most_500(make_sim):
    sim = make_sim(open_orders=520)
    assert len(query(sim, limit=500)) == 500
    assert len(sim.client.get("/orders", {"limit": 1000})) == 500
    assert len(query(sim)) == 50


def test_nested_puts_legs_inside_their_parent(sim):
    parent = sim.client.submit_order(limit("AAPL", 1, 200, tif=GTC, order_class=OrderClass.BRACKET,
                                           take_profit=TakeProfitRequest(limit_price=250),
                                           stop_loss=StopLossRequest(stop_price=150)))
    leg_ids = {str(leg.id) for leg in parent.legs}
    flat = query(sim)
    assert {str(o.id) for o in flat} == {str(parent.id)} | leg_ids
    assert all(not o.legs for o in flat)
    (nested,) = query(sim, nested=True)
    assert str(nested.id) == str(parent.id) and {str(leg.id) for leg in nested.legs} == leg_ids
    assert get(sim, parent.id).legs is None and len(get_nested(sim, parent.id).legs) == 2


def test_nested_open_orders_keep_a_filled_parent_with_open_legs(sim):
    ask = quote(sim, "AAPL").ask
    parent = sim.client.submit_order(market("AAPL", 2, order_class=OrderClass.BRACKET,
                                            take_profit=TakeProfitRequest(limit_price=float(ask + 10)),
                                            stop_loss=StopLossRequest(stop_price=float(ask - 10))))
    wait_status(sim, parent.id, "filled")
    wait_for(lambda: {get(sim, leg.id).status for leg in parent.legs} == {"new"})
    (nested,) = query(sim, nested=True)
    assert str(nested.id) == str(parent.id) and nested.status == "filled"
    assert {leg.status for leg in nested.legs} == {"new"}
    assert query(sim, nested=True, status=QueryOrderStatus.CLOSED) == []
    sim.client.cancel_orders()
    (closed,) = query(sim, nested=True, status=QueryOrderStatus.CLOSED)
    assert str(closed.id) == str(parent.id) and {leg.status for leg in closed.legs} == {"canceled"}
    assert query(sim, nested=True) == []


def test_get_order_by_client_id(sim):
    placed = sim.client.submit_order(limit("AAPL", 1, 200, client_order_id="strategy-7/1"))
    found = sim.client.get_order_by_client_id("strategy-7/1")
    assert str(found.id) == str(placed.id) and found.client_order_id == "strategy-7/1"
    generated = sim.client.submit_order(limit("AAPL", 1, 201))
    assert str(sim.client.get_order_by_client_id(generated.client_order_id).id) == str(generated.id)


# ---- determinism ----------------------------------------------------------------------------------

def test_same_seed_same_ids(make_sim):
    """Order ids follow the requests, not how the engine's ticks fall between them."""

    def run(sim, wait_between: bool) -> list[str]:
        made = []
        for symbol in ("AAPL", "MSFT", "NVDA"):
            placed = sim.client.submit_order(market(symbol, 1))
            made.append(str(placed.id))
            if wait_between:
                wait_status(sim, placed.id, "filled")
            made.append(str(sim.client.submit_order(limit(symbol, 1, 100)).id))
        made.append(sim.client.get_account().account_number)
        return made

    first = run(make_sim(seed=42), wait_between=True)
    second = run(make_sim(seed=42), wait_between=False)
    assert first == second
    assert run(make_sim(seed=43), wait_between=True) != first


def test_sample_positions_close_without_cancelling_the_sample_orders(make_sim):
    """The demo's first moves: its resting orders never block trading or closing a holding."""
    sim = make_sim(portfolio="sample")
    held = {p.symbol for p in sim.client.get_all_positions()}
    resting = sim.client.get_orders()
    assert len(resting) == 3 and held.isdisjoint(o.symbol for o in resting)
    for symbol in sorted(held - {"TSLA"}):  # buying more of any long holding is accepted
        sim.client.submit_order(MarketOrderRequest(symbol=symbol, qty=1, side=OrderSide.BUY,
                                                   time_in_force=TimeInForce.DAY))
    wait_for(lambda: not [o for o in sim.client.get_orders() if o.symbol in held])
    results = sim.client.close_all_positions(cancel_orders=False)
    assert {r.status for r in results} == {200}
    wait_for(lambda: sim.client.get_all_positions() == [])
    assert len(sim.client.get_orders()) == 3
