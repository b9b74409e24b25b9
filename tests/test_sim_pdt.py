"""Pattern day trading (docs/api-facts.md §8): `--pdt legacy` counts day trades and protects
small accounts; `--pdt current` (the default) sends none of the PDT fields."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from alpaca.common.exceptions import APIError
from alpaca.trading.enums import OrderSide, TimeInForce
from alpaca.trading.requests import MarketOrderRequest

from tui.sim.fmt import NY

MONDAY = datetime(2026, 3, 16, 10, 0, tzinfo=NY)
PDT_FIELDS = {"daytrade_count", "pattern_day_trader", "daytrading_buying_power"}


def legacy(make_sim, cash=100000, start_at=MONDAY):
    sim = make_sim(start_at=start_at, market="nyse", pdt="legacy", cash=cash)
    for symbol in ("KO", "PEP", "XOM"):
        sim.set_price(symbol, "10")
    return sim


def trade(sim, side: str, qty: int, symbol: str = "KO") -> None:
    """A market order, filled before this returns."""
    order = sim.client.submit_order(MarketOrderRequest(symbol=symbol, qty=qty, side=OrderSide(side),
                                                       time_in_force=TimeInForce.DAY))
    sim.advance(1)
    assert sim.client.get_order_by_id(order.id).status == "filled"


def count(sim) -> int:
    return sim.client.get("/account")["daytrade_count"]


def next_day(sim, days: int = 1) -> None:
    """The same time of day, `days` calendar days later."""
    sim.advance(timedelta(days=days).total_seconds())


def denied(sim, side: str, qty: int, symbol: str = "KO") -> dict:
    with pytest.raises(APIError) as info:
        sim.client.submit_order(MarketOrderRequest(symbol=symbol, qty=qty, side=OrderSide(side),
                                                   time_in_force=TimeInForce.DAY))
    assert info.value.status_code == 403
    return json.loads(info.value.response.text)


# ---- fields ------------------------------------------------------------------------------

def test_legacy_account_has_the_pdt_fields(make_sim):
    sim = legacy(make_sim)
    raw = sim.client.get("/account")
    assert PDT_FIELDS <= raw.keys()
    assert raw["daytrade_count"] == 0 and raw["pattern_day_trader"] is False
    account = sim.client.get_account()
    assert account.daytrade_count == 0 and account.pattern_day_trader is False
    assert account.daytrading_buying_power is not None
    config = sim.client.get("/account/configurations")
    assert config["pdt_check"] == "entry" and "dtbp_check" in config
    assert sim.client.get_account_configurations().pdt_check == "entry"


def test_current_account_has_no_pdt_fields(sim):
    assert PDT_FIELDS.isdisjoint(sim.client.get("/account"))
    config = sim.client.get("/account/configurations")
    assert "pdt_check" not in config and "dtbp_check" not in config
    sim.client.get_account()  # and alpaca-py still parses both
    sim.client.get_account_configurations()


def test_current_mode_never_counts_or_blocks(make_sim):
    sim = make_sim(start_at=MONDAY, market="nyse", cash=20000)
    sim.set_price("KO", "10")
    for _ in range(5):
        trade(sim, "buy", 10)
        trade(sim, "sell", 10)
    assert PDT_FIELDS.isdisjoint(sim.client.get("/account"))
    assert sim.client.get_all_positions() == []


# ---- counting: FINRA's examples ------------------------------------------------------------

@pytest.mark.parametrize("fills,expected", [
    ([("buy", 250), ("buy", 250), ("sell", 500)], 1),
    ([("buy", 100), ("sell", 100), ("buy", 100), ("sell", 100)], 2),
    ([("buy", 500), ("sell", 100), ("sell", 100), ("sell", 300)], 1),
    ([("buy", 199), ("buy", 142), ("sell", 1), ("buy", 45), ("sell", 100), ("sell", 200)], 2),
    ([("sell", 100), ("buy", 100)], 1),  # short, then cover
])
def test_day_trades_counted_per_round_trip(make_sim, fills, expected):
    sim = legacy(make_sim)
    for side, qty in fills:
        trade(sim, side, qty)
    assert count(sim) == expected
    assert sim.client.get_account().daytrade_count == expected


def test_closing_overnight_shares_is_not_a_day_trade(make_sim):
    sim = legacy(make_sim)
    trade(sim, "buy", 100)
    next_day(sim)
    trade(sim, "sell", 10)
    trade(sim, "buy", 5)
    assert count(sim) == 0


def test_day_trades_on_several_symbols_add_up(make_sim):
    sim = legacy(make_sim)
    for symbol in ("KO", "PEP", "XOM"):
        trade(sim, "buy", 10, symbol)
        trade(sim, "sell", 10, symbol)
    account = sim.client.get("/account")
    assert account["daytrade_count"] == 3 and account["pattern_day_trader"] is False


# ---- protection -------------------------------------------------------------------------------

def test_fourth_day_trade_denied_below_25k(make_sim):
    sim = legacy(make_sim, cash=20000)
    assert sim.client.get_account().last_equity == "20000.00"
    for _ in range(3):
        trade(sim, "buy", 10)
        trade(sim, "sell", 10)
    trade(sim, "buy", 10)  # opening is fine
    body = denied(sim, "sell", 10)  # closing it would be the 4th day trade
    assert body["code"] == 40310100
    assert body["message"] == "trade denied due to pattern day trading protection"
    assert sim.client.get_open_position("KO").qty == "10"
    account = sim.client.get("/account")
    assert account["daytrade_count"] == 3 and account["pattern_day_trader"] is False
    assert sim.client.get_orders() == []  # the denied order was never created


def test_fourth_day_trade_allowed_at_30k(make_sim):
    sim = legacy(make_sim, cash=30000)
    for _ in range(4):
        trade(sim, "buy", 10)
        trade(sim, "sell", 10)
    account = sim.client.get("/account")
    assert account["daytrade_count"] == 4 and account["pattern_day_trader"] is True


def test_selling_overnight_shares_is_allowed_after_three_day_trades(make_sim):
    sim = legacy(make_sim, cash=20000)
    trade(sim, "buy", 100, "PEP")
    next_day(sim)
    for _ in range(3):
        trade(sim, "buy", 10)
        trade(sim, "sell", 10)
    trade(sim, "sell", 50, "PEP")  # yesterday's shares: not a day trade, so not blocked
    assert count(sim) == 3
    trade(sim, "buy", 10, "PEP")
    assert denied(sim, "sell", 60, "PEP")["code"] == 40310100  # reaches today's shares


# ---- the 5-trading-day window ------------------------------------------------------------------

def test_day_trades_leave_the_window_after_five_trading_days(make_sim):
    sim = legacy(make_sim, cash=20000)  # Monday 2026-03-16
    for _ in range(3):
        trade(sim, "buy", 10)
        trade(sim, "sell", 10)
    next_day(sim)  # Tuesday: Monday's three are still in the window, so the 4th is denied
    trade(sim, "buy", 10)
    assert denied(sim, "sell", 10)["code"] == 40310100
    for _ in range(3):  # Wednesday .. Friday
        next_day(sim)
        assert count(sim) == 3
    next_day(sim, 3)  # the next Monday: the window is Tuesday .. Monday
    assert count(sim) == 0
    trade(sim, "sell", 10)  # Tuesday's shares, held overnight: allowed
    trade(sim, "buy", 10)
    trade(sim, "sell", 10)
    assert count(sim) == 1


def test_window_counts_trading_days_not_calendar_days(make_sim):
    # Wednesday before Thanksgiving 2026: the window runs 11/25, 11/27, 11/30, 12/1, 12/2.
    sim = legacy(make_sim, start_at=datetime(2026, 11, 25, 10, 0, tzinfo=NY))
    trade(sim, "buy", 10)
    trade(sim, "sell", 10)
    next_day(sim, 7)  # Wednesday 12/2: five trading days on, still inside
    assert count(sim) == 1
    next_day(sim)
    assert count(sim) == 0


def test_sell_queued_after_the_close_is_not_a_day_trade(make_sim):
    """A regular-hours sell sent after the close fills tomorrow, on overnight shares."""
    sim = legacy(make_sim, cash=20000)
    for _ in range(3):
        trade(sim, "buy", 10)
        trade(sim, "sell", 10)
    trade(sim, "buy", 10)
    assert count(sim) == 3
    denied(sim, "sell", 10)  # the same session: it would be the 4th day trade
    sim.advance(timedelta(hours=6, minutes=30).total_seconds())  # 16:30, after the close
    order = sim.client.submit_order(MarketOrderRequest(symbol="KO", qty=10, side=OrderSide.SELL,
                                                       time_in_force=TimeInForce.DAY))
    assert order.status == "accepted"
