"""The simulator's record of the past, through alpaca-py over HTTP: position_intent on every
order, the sample account's closed orders and paging through a year of them, portfolio
history, and what a replacement may and may not change (docs: alpaca-api.md §2, §3, §8)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from alpaca.trading.enums import OrderClass, OrderSide, QueryOrderStatus, TimeInForce
from alpaca.trading.requests import (
    GetOrdersRequest,
    GetPortfolioHistoryRequest,
    LimitOrderRequest,
    MarketOrderRequest,
    ReplaceOrderRequest,
    StopLossRequest,
    TakeProfitRequest,
)

from tui.sim.fmt import NY

from .test_sim_orders import get, get_nested, limit, market, quote, wait_status
from .test_sim_rejections import refusal

BUY, SELL = OrderSide.BUY, OrderSide.SELL


def px(value) -> float:
    """A price in whole cents, as Alpaca accepts them at or above $1."""
    return float(Decimal(value).quantize(Decimal("0.01")))


def intent(order) -> str | None:
    value = order.position_intent
    return None if value is None else getattr(value, "value", value)


# ---- position_intent ---------------------------------------------------------------------------

def test_position_intent_follows_the_position_at_acceptance(make_sim):
    sim = make_sim(portfolio="sample")  # AAPL 50 long, TSLA 15 short, KO not held
    cases = [(market("KO", 1), "buy_to_open"), (market("AAPL", 1, SELL), "sell_to_close"),
             (market("TSLA", 1), "buy_to_close"), (market("TSLA", 1, SELL), "sell_to_open"),
             (market("AAPL", 2), "buy_to_open")]
    for request, expected in cases:
        order = sim.client.submit_order(request)
        assert intent(order) == expected, (request.symbol, request.side)
        assert intent(wait_status(sim, order.id, "filled")) == expected  # kept once filled
    # A short sale from flat, then its cover: decided when each is accepted.
    short = sim.client.submit_order(market("F", 3, SELL))
    assert intent(short) == "sell_to_open"
    wait_status(sim, short.id, "filled")
    assert intent(sim.client.submit_order(market("F", 3))) == "buy_to_close"


def test_a_client_position_intent_is_kept(sim):
    order = sim.client.submit_order(MarketOrderRequest(symbol="KO", qty=1, side=BUY, time_in_force=TimeInForce.DAY,
                                                       position_intent="buy_to_open"))
    assert intent(order) == "buy_to_open"


def test_position_intent_on_bracket_and_oco_legs(make_sim):
    sim = make_sim(portfolio="sample")  # NVDA 100 long
    ask = quote(sim, "KO").ask
    bracket = sim.client.submit_order(LimitOrderRequest(
        symbol="KO", qty=2, side=BUY, time_in_force=TimeInForce.GTC, limit_price=px(ask * Decimal("0.9")),
        order_class=OrderClass.BRACKET, take_profit=TakeProfitRequest(limit_price=px(ask * 2)),
        stop_loss=StopLossRequest(stop_price=px(ask * Decimal("0.5")))))
    assert intent(bracket) == "buy_to_open"
    assert [intent(leg) for leg in bracket.legs] == ["sell_to_close", "sell_to_close"]
    bid = quote(sim, "NVDA").bid
    oco = sim.client.submit_order(LimitOrderRequest(
        symbol="NVDA", qty=10, side=SELL, time_in_force=TimeInForce.GTC, limit_price=px(bid * 2),
        order_class=OrderClass.OCO, take_profit=TakeProfitRequest(limit_price=px(bid * 2)),
        stop_loss=StopLossRequest(stop_price=px(bid * Decimal("0.5")))))
    assert intent(oco) == "sell_to_close" and [intent(leg) for leg in oco.legs] == ["sell_to_close"]
    short_bracket = sim.client.submit_order(MarketOrderRequest(
        symbol="F", qty=2, side=SELL, time_in_force=TimeInForce.GTC, order_class=OrderClass.BRACKET,
        take_profit=TakeProfitRequest(limit_price=px(quote(sim, "F").bid / 2)),
        stop_loss=StopLossRequest(stop_price=px(quote(sim, "F").bid * 2))))
    assert intent(short_bracket) == "sell_to_open"
    assert [intent(leg) for leg in short_bracket.legs] == ["buy_to_close", "buy_to_close"]


def test_a_replacement_keeps_the_intent(make_sim):
    sim = make_sim(portfolio="sample")
    old = sim.client.submit_order(limit("AAPL", 5, px(quote(sim, "AAPL").bid * 2), SELL))
    new = sim.client.replace_order_by_id(old.id, ReplaceOrderRequest(qty=4))
    assert intent(old) == intent(new) == "sell_to_close"


# ---- the sample account's closed orders --------------------------------------------------------

def closed(sim, **params):
    return sim.client.get_orders(GetOrdersRequest(status=QueryOrderStatus.CLOSED, **params))


def test_the_sample_has_closed_orders_of_every_terminal_status(make_sim):
    sim = make_sim(portfolio="sample")
    orders = closed(sim, limit=500)
    statuses = {o.status.value for o in orders}
    assert {"filled", "canceled", "expired", "rejected", "replaced"} <= statuses
    now = datetime.now(NY)
    assert all(o.submitted_at < now - timedelta(days=1) for o in orders)
    days = {o.submitted_at.astimezone(NY).date() for o in orders}
    assert len(days) >= 8  # spread over past days
    # Partially filled, then canceled: filled_qty between 0 and qty.
    assert any(o.status.value == "canceled" and 0 < Decimal(o.filled_qty) < Decimal(o.qty) for o in orders)
    # A replaced chain: each link names the next and the next names it back.
    by_id = {str(o.id): o for o in orders}
    replaced = [o for o in orders if o.status.value == "replaced"]
    assert replaced
    for old in replaced:
        new = by_id[str(old.replaced_by)]
        assert str(new.replaces) == str(old.id) and old.replaced_at is not None
    rejected = next(o for o in orders if o.status.value == "rejected")
    assert rejected.failed_at is not None and rejected.filled_qty == "0"
    # Every position the sample holds was opened by one of them, at its entry price.
    for position in sim.client.get_all_positions():
        openers = [o for o in orders if o.symbol == position.symbol and o.status.value == "filled"]
        assert openers and Decimal(openers[0].filled_avg_price) == Decimal(position.avg_entry_price)
        assert intent(openers[0]) == ("buy_to_open" if position.side.value == "long" else "sell_to_open")
    # Open orders are not among them; status=all has both.
    every = sim.client.get_orders(GetOrdersRequest(status=QueryOrderStatus.ALL, limit=500))
    assert len(every) == len(orders) + len(sim.client.get_orders())


def test_the_sample_past_is_the_same_for_the_same_seed(make_sim):
    first, second = make_sim(portfolio="sample"), make_sim(portfolio="sample")
    assert [str(o.id) for o in closed(first, limit=500)] == [str(o.id) for o in closed(second, limit=500)]
    other = make_sim(portfolio="sample", seed=2)
    assert [str(o.id) for o in closed(other, limit=500)] != [str(o.id) for o in closed(first, limit=500)]


def test_closed_orders_filters(make_sim):
    sim = make_sim(portfolio="sample", closed_orders=600)
    ko = closed(sim, symbols=["KO"], limit=500)
    assert ko and {o.symbol for o in ko} == {"KO"}
    asc = closed(sim, direction="asc", limit=20)
    assert [o.submitted_at for o in asc] == sorted(o.submitted_at for o in asc)
    desc = closed(sim, limit=20)
    assert [o.submitted_at for o in desc] == sorted((o.submitted_at for o in desc), reverse=True)
    middle = datetime.now(NY) - timedelta(days=180)
    after = closed(sim, after=middle, direction="asc", limit=5)
    assert after and all(o.submitted_at > middle for o in after)
    until = closed(sim, until=middle, limit=5)
    assert until and all(o.submitted_at < middle for o in until)
    assert closed(sim, after=middle, until=middle - timedelta(days=1)) == []
    sells = closed(sim, side=SELL, limit=500)
    assert sells and {o.side.value for o in sells} == {"sell"}
    # A limit past the maximum gets the maximum.
    assert len(sim.client.get("/orders", {"status": "closed", "limit": 1000})) == 500


def test_paging_through_1200_closed_orders_with_until(make_sim):
    sim = make_sim(closed_orders=1200)
    seen: list[str] = []
    until = None
    pages = 0
    while True:
        page = closed(sim, limit=500, **({"until": until} if until else {}))
        if not page:
            break
        pages += 1
        seen += [str(o.id) for o in page]
        until = page[-1].submitted_at  # alpaca-py's datetime, sent back as RFC 3339
        assert pages < 10
    assert pages == 3
    assert len(seen) == len(set(seen)) == 1200
    # And forwards with after, oldest first.
    forward: list[str] = []
    after = datetime.now(NY) - timedelta(days=400)
    while page := closed(sim, limit=500, direction="asc", after=after):
        forward += [str(o.id) for o in page]
        after = page[-1].submitted_at
    assert forward == seen[::-1]
    statuses = {o.status.value for o in closed(sim, limit=500)}
    assert statuses <= {"canceled", "expired", "rejected"} and len(statuses) == 3
    assert sim.client.get_orders() == []  # none of them is open


def test_nested_closed_orders_carry_their_legs(sim):
    ask = quote(sim, "KO").ask
    bracket = sim.client.submit_order(LimitOrderRequest(
        symbol="KO", qty=1, side=BUY, time_in_force=TimeInForce.GTC, limit_price=px(ask * Decimal("0.9")),
        order_class=OrderClass.BRACKET, take_profit=TakeProfitRequest(limit_price=px(ask * 2)),
        stop_loss=StopLossRequest(stop_price=px(ask * Decimal("0.5")))))
    sim.client.cancel_order_by_id(bracket.id)
    nested = closed(sim, nested=True)
    assert [str(o.id) for o in nested] == [str(bracket.id)] and len(nested[0].legs) == 2
    flat = closed(sim)
    assert len(flat) == 3 and all(o.legs is None for o in flat)


def test_closed_orders_flag_of_a_simulator_process():
    from .harness.simulator import HEADERS, SimulatorProcess

    with SimulatorProcess("--prices", "static", "--closed-orders", "30", "--seed", "4") as process:
        orders = process.get("/v2/orders", params={"status": "closed", "limit": 500}, headers=HEADERS).json()
    assert len(orders) == 30 and {o["status"] for o in orders} <= {"canceled", "expired", "rejected"}


def test_closed_orders_option_on_the_command_line():
    from tui.cli import add_sim_arguments, server_options
    import argparse

    parser = argparse.ArgumentParser()
    add_sim_arguments(parser)
    args = parser.parse_args(["--closed-orders", "25"])
    assert server_options(args).engine.closed_orders == 25
    with pytest.raises(SystemExit):
        parser.parse_args(["--closed-orders", "-1"])


# ---- portfolio history -------------------------------------------------------------------------

def history(sim, **params):
    return sim.client.get_portfolio_history(GetPortfolioHistoryRequest(**params))


def test_a_month_of_daily_history_ends_at_the_account(make_sim):
    sim = make_sim(portfolio="sample")
    month = history(sim, period="1M", timeframe="1D")
    account = sim.client.get_account()
    assert 19 <= len(month.timestamp) <= 24  # trading days in a month, today included
    assert len(month.equity) == len(month.profit_loss) == len(month.profit_loss_pct) == len(month.timestamp)
    assert month.timestamp == sorted(month.timestamp)
    assert month.equity[-1] == pytest.approx(float(account.equity))
    assert month.equity[-2] == pytest.approx(float(account.last_equity))
    # Per day (the default): each day's P&L is from the day before's close.
    for before, after, pl in zip(month.equity, month.equity[1:], month.profit_loss[1:]):
        assert pl == pytest.approx(after - before, abs=0.011) or abs(pl - (after - before)) < 600  # a dividend day
    assert month.base_value == pytest.approx(float(account.last_equity))
    # Not flat: the positions move with their daily bars.
    assert len(set(month.equity)) > 10


def test_the_daily_equity_follows_the_daily_bars(make_sim):
    from alpaca.data.requests import StockBarsRequest
    from alpaca.data.timeframe import TimeFrame

    sim = make_sim(portfolio="sample")
    week = history(sim, period="1W", timeframe="1D", pnl_reset="no_reset")
    days = [datetime.fromtimestamp(t, NY).date() for t in week.timestamp]
    # Between two past closes with no trade or cash activity, equity moves by positions x close moves.
    positions = {p.symbol: Decimal(p.qty) for p in sim.client.get_all_positions()}
    bars = sim.data.get_stock_bars(StockBarsRequest(symbol_or_symbols=list(positions), timeframe=TimeFrame.Day,
                                                    start=datetime.combine(days[0], datetime.min.time(), NY),
                                                    end=datetime.combine(days[-2], datetime.max.time(), NY)))
    closes = {s: {b.timestamp.astimezone(NY).date(): Decimal(str(b.close)) for b in bars[s]} for s in positions}
    activity_days = {a["date"] for a in sim.client.get("/account/activities", {"category": "non_trade_activity"})}
    checked = 0
    for i in range(1, len(days) - 1):
        if days[i].isoformat() in activity_days:
            continue
        move = sum(qty * (closes[s][days[i]] - closes[s][days[i - 1]]) for s, qty in positions.items())
        assert week.equity[i] - week.equity[i - 1] == pytest.approx(float(move), abs=0.02)
        checked += 1
    assert checked >= 2
    # no_reset: profit measured from the first point, which is the base.
    assert week.base_value == week.equity[0]
    assert week.profit_loss[-1] == pytest.approx(week.equity[-1] - week.equity[0], abs=0.01)
    assert week.profit_loss_pct[-1] == pytest.approx(week.equity[-1] / week.equity[0] - 1, abs=1e-6)


def test_a_year_of_history_starts_with_the_deposit(make_sim):
    sim = make_sim(portfolio="sample")
    year = history(sim, period="1A", timeframe="1D", pnl_reset="no_reset", cashflow_types="CSD,DIV")
    assert 240 <= len(year.timestamp) <= 254
    deposit = sim.client.get("/account/activities/CSD")[0]
    assert year.equity[0] == pytest.approx(float(deposit["net_amount"]))
    assert year.cashflow is not None and sum(year.cashflow["CSD"]) == pytest.approx(float(deposit["net_amount"]))
    dividends = sim.client.get("/account/activities/DIV")
    assert sum(year.cashflow["DIV"]) == pytest.approx(sum(float(d["net_amount"]) for d in dividends))
    everything = history(sim, period="all", timeframe="1D")
    assert len(everything.timestamp) >= len(year.timestamp)
    # Deposits are not profit: the deposit day shows none.
    assert year.profit_loss[0] == 0


def test_history_is_deterministic_by_seed(make_sim):
    a, b, c = make_sim(portfolio="sample"), make_sim(portfolio="sample"), make_sim(portfolio="sample", seed=7)
    assert history(a, period="3M", timeframe="1D").equity[:-1] == history(b, period="3M", timeframe="1D").equity[:-1]
    assert history(a, period="3M", timeframe="1D").equity[:-1] != history(c, period="3M", timeframe="1D").equity[:-1]


def test_intraday_history_records_the_account_as_it_runs(make_sim):
    sim = make_sim(start_at=datetime(2026, 3, 10, 9, 30, tzinfo=NY), market="nyse")
    start = history(sim, period="1D", timeframe="1Min")
    assert start.timeframe == "1Min"
    sim.client.submit_order(market("AAPL", 10))
    sim.advance(1)
    wait_status(sim, sim.client.get_orders(GetOrdersRequest(status=QueryOrderStatus.ALL))[0].id, "filled")
    for minutes in range(30):
        sim.set_price("AAPL", Decimal(200) + minutes)
        sim.advance(60)
    day = history(sim, period="1D", timeframe="1Min")
    stamps = [datetime.fromtimestamp(t, NY) for t in day.timestamp]
    assert stamps[0] == datetime(2026, 3, 10, 9, 30, tzinfo=NY)
    assert all(b - a == timedelta(minutes=1) for a, b in zip(stamps, stamps[1:]))
    assert len(stamps) == 31
    assert day.equity[-1] == pytest.approx(float(sim.client.get_account().equity))
    assert len(set(day.equity)) > 20  # each minute's price moved it
    assert day.base_value == 100000 and day.profit_loss[-1] == pytest.approx(day.equity[-1] - 100000, abs=0.01)
    five = history(sim, period="1D", timeframe="5Min")
    assert len(five.timestamp) == 7 and five.equity[-1] == day.equity[-1]
    # Market hours only by default; extended hours reach back to 04:00.
    extended = history(sim, period="1D", timeframe="15Min", intraday_reporting="extended_hours")
    assert datetime.fromtimestamp(extended.timestamp[0], NY).hour == 4
    continuous = history(sim, period="1D", timeframe="1H", intraday_reporting="continuous")
    assert datetime.fromtimestamp(continuous.timestamp[0], NY).hour == 0


@pytest.mark.parametrize("timeframe,per_day", [("1Min", 390), ("5Min", 78), ("15Min", 26), ("1H", 6)])
def test_past_days_move_intraday_and_end_at_their_close(make_sim, timeframe, per_day):
    when = datetime(2026, 3, 10, 12, 0, tzinfo=NY)
    sim = make_sim(portfolio="sample", start_at=when, market="nyse")
    daily = history(sim, period="1W", timeframe="1D")
    closes = {datetime.fromtimestamp(t, NY).date(): e for t, e in zip(daily.timestamp, daily.equity)}
    intraday = history(sim, period="1W", timeframe=timeframe)
    by_day: dict = {}
    for t, e in zip(intraday.timestamp, intraday.equity):
        by_day.setdefault(datetime.fromtimestamp(t, NY).date(), []).append(e)
    past = [d for d in sorted(by_day)[1:] if d < when.date()]  # whole days: the window starts mid-day
    assert len(past) >= 4
    for d in past:
        assert len(by_day[d]) == per_day
        assert by_day[d][-1] == closes[d]  # the day's last point is its daily equity
        if timeframe != "1H":
            assert len(set(by_day[d])) > per_day // 4  # and the day moved on the way there
        else:
            assert len(set(by_day[d])) > 1
    # The same path at every timeframe: the 1Min point at 10:59 is the 5Min one at 10:55.
    if timeframe == "5Min":
        minutes = history(sim, period="1W", timeframe="1Min")
        at = dict(zip(minutes.timestamp, minutes.equity))
        pairs = [(at[t + 240], e) for t, e in zip(intraday.timestamp, intraday.equity)
                 if datetime.fromtimestamp(t, NY).date() in past]
        assert len(pairs) == 78 * len(past) and all(a == b for a, b in pairs)
    # Seeded: the same seed gives the same day, another seed another one.
    again = make_sim(portfolio="sample", start_at=when, market="nyse")
    other = make_sim(portfolio="sample", start_at=when, market="nyse", seed=7)
    assert history(again, period="1W", timeframe=timeframe).equity == intraday.equity
    assert history(other, period="1W", timeframe=timeframe).equity != intraday.equity


def test_history_windows(make_sim):
    sim = make_sim(portfolio="sample", start_at=datetime(2026, 3, 10, 12, 0, tzinfo=NY), market="nyse")
    by_dates = history(sim, start=datetime(2026, 2, 2, tzinfo=NY), end=datetime(2026, 2, 6, 23, tzinfo=NY),
                       timeframe="1D")
    assert [datetime.fromtimestamp(t, NY).day for t in by_dates.timestamp] == [2, 3, 4, 5, 6]
    ending = history(sim, period="1W", date_end="2026-02-06", timeframe="1D")
    assert datetime.fromtimestamp(ending.timestamp[-1], NY).date().isoformat() == "2026-02-06"
    assert ending.equity[-1] == by_dates.equity[-1]
    five = history(sim, period="5D", timeframe="1D")
    assert len(five.timestamp) == 5
    # Defaults: 1M at 1D; a week at 15Min; a day at 1Min.
    assert history(sim).timeframe == "1D"
    assert history(sim, period="1W").timeframe == "15Min"
    assert history(sim, period="1D").timeframe == "1Min"


@pytest.mark.parametrize("params,fragment", [
    ({"period": "3M", "timeframe": "1H"}, "1D"),
    ({"period": "2M", "timeframe": "5Min"}, "1D"),
    ({"period": "1X"}, "period"),
    ({"timeframe": "7Min"}, "timeframe"),
    ({"period": "1W", "start": "2026-01-01", "end": "2026-01-05"}, "two"),
    ({"intraday_reporting": "sometimes"}, "intraday_reporting"),
    ({"pnl_reset": "weekly"}, "pnl_reset"),
])
def test_history_refuses_what_alpaca_refuses(sim, params, fragment):
    import requests

    from .harness.simulator import HEADERS

    answer = requests.get(sim.url + "/v2/account/portfolio/history", params=params, headers=HEADERS, timeout=5)
    assert answer.status_code == 422 and fragment in answer.json()["message"]


# ---- replacing ---------------------------------------------------------------------------------

def test_replace_refusals(make_sim):
    sim = make_sim(portfolio="sample")
    placed = sim.client.submit_order(limit("KO", 2, 10))
    wait_status(sim, placed.id, "new")
    status, code, message, _ = refusal(sim.client.replace_order_by_id, placed.id, ReplaceOrderRequest(qty=2))
    assert (status, code, message) == (403, 40310000, "order parameters are not changed")
    sim.client.cancel_order_by_id(placed.id)
    status, code, message, _ = refusal(sim.client.replace_order_by_id, placed.id, ReplaceOrderRequest(qty=3))
    assert (status, code, message) == (422, 42210000, "unable to replace order, order is not open")
    # Orders of the past are closed too.
    for order in closed(sim, limit=500)[:5]:
        status, _, message, _ = refusal(sim.client.replace_order_by_id, order.id, ReplaceOrderRequest(qty=99))
        assert (status, message) == (422, "unable to replace order, order is not open")
    # Prices foreign to the type, trail on a non-trailing order.
    resting = sim.client.submit_order(limit("KO", 2, 10))
    status, _, message, _ = refusal(sim.client.replace_order_by_id, resting.id, ReplaceOrderRequest(stop_price=9))
    assert (status, message) == (422, "stop_price is not allowed for limit orders")
    status, _, message, _ = refusal(sim.client.replace_order_by_id, resting.id, ReplaceOrderRequest(trail=1))
    assert (status, message) == (422, "trail is only allowed for trailing stop orders")
    # A client_order_id already used.
    status, _, message, _ = refusal(sim.client.replace_order_by_id, resting.id,
                                    ReplaceOrderRequest(client_order_id=placed.client_order_id))
    assert (status, message) == (422, "client_order_id must be unique")
    # What may change does: qty, limit, time in force, client_order_id.
    new = sim.client.replace_order_by_id(resting.id, ReplaceOrderRequest(qty=3, limit_price=11,
                                                                         time_in_force=TimeInForce.GTC,
                                                                         client_order_id="mine-2"))
    assert (new.qty, new.limit_price, new.time_in_force.value, new.client_order_id) == ("3", "11", "gtc", "mine-2")
    old = get(sim, resting.id)
    assert old.status.value == "replaced" and str(old.replaced_by) == str(new.id) and str(new.replaces) == str(old.id)


def test_bracket_exits_can_be_replaced(sim):
    ask = quote(sim, "KO").ask
    bracket = sim.client.submit_order(MarketOrderRequest(
        symbol="KO", qty=2, side=BUY, time_in_force=TimeInForce.GTC, order_class=OrderClass.BRACKET,
        take_profit=TakeProfitRequest(limit_price=px(ask * 2)),
        stop_loss=StopLossRequest(stop_price=px(ask / 2))))
    wait_status(sim, bracket.id, "filled")
    parent = get_nested(sim, bracket.id)
    take_profit = next(leg for leg in parent.legs if leg.type.value == "limit")
    stop_loss = next(leg for leg in parent.legs if leg.type.value == "stop")
    wait_status(sim, take_profit.id, "new")
    new_tp = sim.client.replace_order_by_id(take_profit.id, ReplaceOrderRequest(limit_price=px(ask * 3)))
    new_sl = sim.client.replace_order_by_id(stop_loss.id, ReplaceOrderRequest(stop_price=px(ask / 3)))
    assert Decimal(new_tp.limit_price) == Decimal(str(px(ask * 3)))
    assert Decimal(new_sl.stop_price) == Decimal(str(px(ask / 3)))
    assert intent(new_tp) == intent(new_sl) == "sell_to_close"
    legs = {str(leg.id) for leg in get_nested(sim, bracket.id).legs}
    assert legs == {str(new_tp.id), str(new_sl.id)}
    status, _, message, _ = refusal(sim.client.replace_order_by_id, stop_loss.id, ReplaceOrderRequest(stop_price=1))
    assert (status, message) == (422, "unable to replace order, order is not open")


def test_a_day_before_the_session_is_the_last_session(make_sim):
    sim = make_sim(portfolio="sample", start_at=datetime(2026, 3, 10, 3, 0, tzinfo=NY), market="nyse")
    day = history(sim, period="1D", timeframe="5Min")
    stamps = [datetime.fromtimestamp(t, NY) for t in day.timestamp]
    assert stamps[0] == datetime(2026, 3, 9, 9, 30, tzinfo=NY) and stamps[-1] == datetime(2026, 3, 9, 15, 55, tzinfo=NY)
    assert len(stamps) == 78
    assert day.equity[-1] == pytest.approx(float(sim.client.get_account().equity))


def test_open_orders_that_are_not_working_are_not_replaceable(sim):
    placed = sim.client.submit_order(limit("KO", 2, 10, tif=TimeInForce.GTC))
    wait_status(sim, placed.id, "new")

    def stop_at_the_venue() -> None:  # a status Alpaca sends rarely and the simulator never reaches by itself
        sim.exchange.orders[str(placed.id)].status = "done_for_day"

    sim.call(stop_at_the_venue)
    status, code, message, _ = refusal(sim.client.replace_order_by_id, placed.id, ReplaceOrderRequest(qty=3))
    assert (status, code, message) == (422, 42210000, "order is not replaceable")


def test_a_trailing_stop_replaces_its_trail(make_sim):
    from alpaca.trading.requests import TrailingStopOrderRequest

    sim = make_sim(portfolio="sample")
    placed = sim.client.submit_order(TrailingStopOrderRequest(symbol="AAPL", qty=2, side=SELL,
                                                              time_in_force=TimeInForce.GTC, trail_price=5))
    wait_status(sim, placed.id, "new")
    new = sim.client.replace_order_by_id(placed.id, ReplaceOrderRequest(trail=7))
    assert (new.trail_price, new.trail_percent) == ("7", None) and intent(new) == "sell_to_close"
    status, _, message, _ = refusal(sim.client.replace_order_by_id, new.id, ReplaceOrderRequest(limit_price=100))
    assert (status, message) == (422, "limit_price is not allowed for trailing_stop orders")
