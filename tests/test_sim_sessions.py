"""Sessions and Day P&L on `--market nyse`: quotes stand still while no session is open, and
last_equity is the equity at the previous trading day's regular close, so Day P&L keeps
counting through after-hours and restarts when the next trading day begins (04:00 ET)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
import requests
from alpaca.trading.enums import OrderSide, TimeInForce
from alpaca.trading.requests import MarketOrderRequest

from tui.sim.fmt import NY

from .conftest import KEY, SECRET, wait_for

HEADERS = {"APCA-API-KEY-ID": KEY, "APCA-API-SECRET-KEY": SECRET}
SYMBOLS = "AAPL,MSFT,NVDA,SPY,KO,JPM"


def ny(*args: int) -> datetime:
    return datetime(*args, tzinfo=NY)


def advance_to(sim, moment: datetime) -> None:
    sim.advance((moment - sim.clock.now()).total_seconds())


def quotes(sim) -> dict[str, Any]:
    answer = requests.get(f"{sim.url}/v2/stocks/quotes/latest", params={"symbols": SYMBOLS},
                          headers=HEADERS, timeout=5)
    assert answer.status_code == 200
    return answer.json()["quotes"]


def walk(sim, steps: int) -> None:
    """Let the random walk take `steps` one-second steps (the engine steps prices once a second)."""
    for _ in range(steps):
        sim.advance(1.01)


def account(sim) -> dict[str, Any]:
    return sim.client.get("/account")


def day_pl(sim) -> Decimal:
    body = account(sim)
    return Decimal(body["equity"]) - Decimal(body["last_equity"])


def position(sim, symbol: str) -> dict[str, Any]:
    return sim.client.get(f"/positions/{symbol}")


def hold(sim, symbol: str, qty: int, price: str) -> None:
    """Buy `qty` at about `price` during a session and wait for the fill."""
    sim.set_price(symbol, price)
    sim.client.submit_order(MarketOrderRequest(symbol=symbol, qty=qty, side=OrderSide.BUY,
                                               time_in_force=TimeInForce.DAY))
    sim.advance(1)
    wait_for(lambda: any(p.symbol == symbol for p in sim.client.get_all_positions()))


# ---- quotes stand still without a session ---------------------------------------------------

def test_weekend_quotes_stand_still(make_sim):
    sim = make_sim(start_at=ny(2026, 3, 14, 9, 0), market="nyse", prices="live")  # a Saturday
    before = quotes(sim)
    walk(sim, 20)
    assert quotes(sim) == before
    advance_to(sim, ny(2026, 3, 15, 22, 0))  # Sunday night
    walk(sim, 5)
    advance_to(sim, ny(2026, 3, 16, 3, 59, 50))  # Monday, ten seconds before the pre-market
    walk(sim, 5)
    assert quotes(sim) == before
    advance_to(sim, ny(2026, 3, 16, 4, 0, 1))  # the pre-market session: the walk resumes
    walk(sim, 10)
    assert quotes(sim) != before


@pytest.mark.parametrize("moment,moving", [
    (ny(2026, 3, 16, 3, 0), False),  # a trading day before 04:00
    (ny(2026, 3, 16, 8, 0), True),  # pre-market
    (ny(2026, 3, 16, 12, 0), True),  # regular hours
    (ny(2026, 3, 16, 18, 0), True),  # after-hours
    (ny(2026, 3, 16, 20, 30), False),  # after the extended session
    (ny(2026, 4, 3, 12, 0), False),  # Good Friday: closed all day
    (ny(2026, 11, 27, 16, 30), True),  # an early-close day's after-hours runs to 17:00
    (ny(2026, 11, 27, 17, 30), False),
])
def test_prices_move_only_in_a_session(make_sim, moment, moving):
    sim = make_sim(start_at=moment, market="nyse", prices="live")
    before = quotes(sim)
    walk(sim, 10)
    assert (quotes(sim) != before) is moving


def test_always_open_prices_move_on_a_saturday(make_sim):
    sim = make_sim(start_at=ny(2026, 3, 14, 9, 0), prices="live")
    before = quotes(sim)
    walk(sim, 10)
    assert quotes(sim) != before


# ---- Day P&L through the after-hours and into the next day -----------------------------------

def test_day_pl_keeps_counting_after_the_close_and_restarts_next_trading_day(make_sim):
    sim = make_sim(start_at=ny(2026, 3, 16, 15, 0), market="nyse", cash=50000)  # a Monday
    hold(sim, "NVDA", 100, "100")
    sim.set_price("NVDA", "120")
    assert account(sim)["last_equity"] == "50000.00"  # Friday's close: all cash
    at_close = account(sim)["equity"]
    pl_at_close = day_pl(sim)
    assert pl_at_close > 1900
    intraday_at_close = position(sim, "NVDA")["unrealized_intraday_pl"]

    advance_to(sim, ny(2026, 3, 16, 16, 0, 1))  # the close: Day P&L is not reset
    assert day_pl(sim) == pl_at_close
    assert position(sim, "NVDA")["unrealized_intraday_pl"] == intraday_at_close
    sim.set_price("NVDA", "110")  # an after-hours move counts toward today
    assert day_pl(sim) == pl_at_close - 1000
    advance_to(sim, ny(2026, 3, 17, 3, 59))  # the night belongs to Monday still
    assert account(sim)["last_equity"] == "50000.00"
    assert day_pl(sim) == pl_at_close - 1000

    advance_to(sim, ny(2026, 3, 17, 4, 0, 1))  # Tuesday begins: measured from Monday's 16:00 close
    body = account(sim)
    assert body["last_equity"] == at_close
    assert day_pl(sim) == Decimal("-1000.00")  # 100 shares, 120 at the close, 110 now
    pos = position(sim, "NVDA")
    assert (pos["lastday_price"], pos["current_price"]) == ("120", "110")
    assert Decimal(pos["unrealized_intraday_pl"]) == Decimal("-1000.00")
    assert Decimal(pos["change_today"]) == Decimal("-0.083333")


def test_day_pl_spans_the_weekend_and_the_early_close(make_sim):
    # Friday after Thanksgiving closes at 13:00; its after-hours end at 17:00.
    sim = make_sim(start_at=ny(2026, 11, 27, 12, 0), market="nyse", cash=50000)
    hold(sim, "KO", 100, "50")
    sim.set_price("KO", "60")
    at_close = account(sim)["equity"]
    advance_to(sim, ny(2026, 11, 27, 14, 0))
    sim.set_price("KO", "55")
    friday_pl = day_pl(sim)
    assert account(sim)["last_equity"] == "50000.00"
    advance_to(sim, ny(2026, 11, 29, 12, 0))  # Sunday: still Friday's Day P&L
    assert day_pl(sim) == friday_pl and account(sim)["last_equity"] == "50000.00"
    assert account(sim)["balance_asof"] == "2026-11-25"  # the close before Friday's (Thanksgiving is shut)
    advance_to(sim, ny(2026, 11, 30, 4, 0, 1))  # Monday's session: measured from the 13:00 close
    assert account(sim)["last_equity"] == at_close
    assert account(sim)["balance_asof"] == "2026-11-27"
    assert day_pl(sim) == Decimal("-500.00")
    assert position(sim, "KO")["lastday_price"] == "60"


def test_started_after_the_close_the_next_day_measures_from_the_start(make_sim):
    sim = make_sim(start_at=ny(2026, 3, 14, 12, 0), market="nyse", portfolio="sample")  # a Saturday
    saturday = account(sim)
    assert saturday["equity"] != saturday["last_equity"]  # Friday's Day P&L, as Alpaca shows it
    advance_to(sim, ny(2026, 3, 16, 4, 0, 1))
    monday = account(sim)
    assert monday["last_equity"] == saturday["equity"] == monday["equity"]


def test_always_open_day_rolls_at_midnight(make_sim):
    sim = make_sim(start_at=ny(2026, 3, 16, 23, 0), cash=50000)
    hold(sim, "NVDA", 100, "100")
    sim.set_price("NVDA", "120")
    before_midnight = account(sim)
    assert before_midnight["last_equity"] == "50000.00"
    advance_to(sim, ny(2026, 3, 17, 0, 0, 1))
    after = account(sim)
    assert after["last_equity"] == before_midnight["equity"]
    assert position(sim, "NVDA")["lastday_price"] == "120"
