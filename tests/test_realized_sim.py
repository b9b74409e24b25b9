"""Realized P&L (tui/state/realized.py) from the simulator's FILL activities, read through
alpaca-py as the app reads them: every order fills in two parts at two different prices
(partial_fill_share=1), a short is opened with a plain sell order (the activity says
sell_short) and covered past zero, and a fractional quantity is traded.

The simulator fills market orders at the touch (ask for a buy, bid for a sell), half a basis
point (at least a cent) either side of the price set, so the expected figures below are
worked out from the bid and ask, lot by lot."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal as D

from alpaca.trading.enums import OrderSide, TimeInForce
from alpaca.trading.requests import MarketOrderRequest

from tui.broker.activity import parse_fills
from tui.sim.fmt import NY
from tui.state.realized import realize

MONDAY = datetime(2026, 3, 16, 10, 0, tzinfo=NY)


def touch(sim, side: str) -> D:
    quote = sim.call(sim.exchange.prices.quote, "KO")
    return D(str(quote.ask if side == "buy" else quote.bid))


def trade(sim, side: str, qty: str, first: str, second: str) -> list[tuple[D, D]]:
    """A market order filled in two parts: the first at `first`, the rest at `second` (in one
    part at `first` when the simulator's share of a small whole qty rounds to nothing).
    Returns [(qty, price)] of the parts."""
    sim.set_price("KO", first)
    order = sim.client.submit_order(MarketOrderRequest(symbol="KO", qty=float(qty), side=OrderSide(side),
                                                       time_in_force=TimeInForce.DAY))
    parts = []
    price_one = touch(sim, side)
    for _ in range(20):
        sim.advance(0.5)
        if D(str(sim.client.get_order_by_id(order.id).filled_qty or 0)) > 0:
            break
    done = D(str(sim.client.get_order_by_id(order.id).filled_qty))
    parts.append((done, price_one))
    sim.set_price("KO", second)
    price_two = touch(sim, side)
    for _ in range(20):
        sim.advance(0.5)
        if sim.client.get_order_by_id(order.id).status == "filled":
            break
    assert sim.client.get_order_by_id(order.id).status == "filled"
    parts.append((D(qty) - done, price_two))
    parts = [(q, p) for q, p in parts if q]
    return parts


def close_fifo(lots: list[list[D]], parts: list[tuple[D, D]], short: bool) -> D:
    """By hand: close `lots` ([qty, price], oldest first) with the parts of one order."""
    gain = D(0)
    for qty, price in parts:
        left = qty
        while left:
            take = min(left, lots[0][0])
            gain += ((lots[0][1] - price) if short else (price - lots[0][1])) * take
            lots[0][0] -= take
            left -= take
            if not lots[0][0]:
                lots.pop(0)
    return gain


def test_realized_from_simulated_partial_fills(make_sim):
    sim = make_sim(start_at=MONDAY, market="nyse", partial_fill_share=1.0, seed=3)
    cash0 = D(str(sim.client.get_account().cash))

    # Monday: buy 10 (parts b1, b2), sell 7 (parts s1, s2): FIFO closes b1 first, then b2.
    orders = [trade(sim, "buy", "10", "10", "12")]
    longs = [list(p) for p in orders[-1]]
    orders.append(trade(sim, "sell", "7", "11", "13"))
    expected_monday = close_fifo(longs, orders[-1], short=False)

    # Tuesday: sell the 3 left (opened Monday: not same-day); sell 5 more (an opening short:
    # the activity says sell_short), cover it, then buy 1.5 (fractional).
    sim.advance(timedelta(days=1).total_seconds())
    orders.append(trade(sim, "sell", "3", "9", "9.5"))
    expected_tuesday = close_fifo(longs, orders[-1], short=False)
    assert not longs
    orders.append(trade(sim, "sell", "5", "9", "9.25"))
    shorts = [list(p) for p in orders[-1]]
    orders.append(trade(sim, "buy", "5", "8", "8.25"))
    expected_tuesday += close_fifo(shorts, orders[-1], short=True)
    assert not shorts
    orders.append(trade(sim, "buy", "1.5", "8.5", "8.75"))
    parts = [len(o) for o in orders]

    activities = sim.client.get("/account/activities/FILL")
    fills = parse_fills(activities)
    assert len(fills) == sum(parts) and parts.count(2) >= 4, parts  # most orders filled in two parts
    assert {a["type"] for a in activities} == {"partial_fill", "fill"}
    assert [f.side for f in fills if f.side == "sell_short"] == ["sell_short"] * parts[3]
    assert any(f.qty != f.qty.to_integral_value() for f in fills)  # a fractional part
    r = realize(fills)

    monday, tuesday = MONDAY.date(), MONDAY.date() + timedelta(days=1)
    assert r.on(monday).realized == expected_monday
    assert r.on(tuesday).realized == expected_tuesday
    assert r.week(tuesday).realized == expected_monday + expected_tuesday
    assert r.between(monday, tuesday).by_symbol == {"KO": expected_monday + expected_tuesday}
    # One close per part of: Monday's sell, Tuesday's sell of Monday's shares, the cover.
    assert [c.same_day for c in r.closes] == [True] * parts[1] + [False] * parts[2] + [True] * parts[4]
    assert [c.short for c in r.closes] == [False] * (parts[1] + parts[2]) + [True] * parts[4]
    assert not any(c.unmatched for c in r.closes)

    # What is left agrees with the account: position and cash.
    (position,) = sim.client.get_all_positions()
    assert r.position("KO") == D(str(position.qty)) == D("1.5")
    assert len(r.open_lots["KO"]) == parts[5]  # the parts of the last buy
    final = touch(sim, "sell")
    cash = D(str(sim.client.get_account().cash))
    realized = sum((c.realized for c in r.closes), D(0))
    # The account shows cash in cents; a fractional fill's value has more decimals.
    worth = realized + r.unrealized("KO", final)
    # Every sell paid its regulatory fees (FEE activities, out of cash): not trading P&L.
    fees = sum((D(a["net_amount"]) for a in sim.client.get("/account/activities/FEE")), D(0))
    assert fees < 0
    assert abs(worth - ((cash - fees - cash0) + r.position("KO") * final)) < D("0.01")
    flows = sum(((-f.qty if f.side == "buy" else f.qty) * f.price for f in fills), D(0))
    assert worth == flows + r.position("KO") * final  # exactly, with the fills' own cash flow
