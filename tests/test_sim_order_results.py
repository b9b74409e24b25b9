"""What orders leave behind, through alpaca-py against a running simulator (docs/api-facts.md
§2 and §3): positions and closing them, the account's arithmetic, partial fills, fill
activities, order queries, and the same seed giving the same ids. The lifecycles of the
orders themselves are in test_sim_orders.py, whose helpers these tests use."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from alpaca.trading.enums import OrderClass, OrderSide, QueryOrderStatus, TimeInForce
from alpaca.trading.requests import (
    ClosePositionRequest,
    GetOrdersRequest,
    MarketOrderRequest,
    ReplaceOrderRequest,
    StopLossRequest,
    TakeProfitRequest,
)

from tui.sim.fmt import NY

from .conftest import wait_for
from .test_sim_orders import (BUY, GTC, SELL, D, events_for, fills, get, get_nested, limit, market, quote,
                              record_events, wait_status)


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
