"""`--market nyse` on a ManualClock: the clock, the calendar and how orders live through a
trading day (docs/api-facts.md §3, docs/simulator.md "Sessions and extended hours")."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
import requests
from alpaca.data.requests import StockLatestQuoteRequest
from alpaca.trading.enums import OrderSide, TimeInForce
from alpaca.trading.requests import (
    GetCalendarRequest,
    LimitOrderRequest,
    MarketOrderRequest,
    TrailingStopOrderRequest,
)

from tui.sim.fmt import NY

from .conftest import wait_for


def ny(*args: int) -> datetime:
    return datetime(*args, tzinfo=NY)


def advance_to(sim, moment: datetime) -> None:
    sim.advance((moment - sim.clock.now()).total_seconds())


def status(sim, order) -> str:
    return sim.client.get_order_by_id(order.id).status


# ---- /v2/clock ---------------------------------------------------------------------------

@pytest.mark.parametrize("now,next_open,next_close", [
    # A Saturday in winter, and one just before the switch to daylight time (March 8, 2026).
    (ny(2026, 1, 10, 12, 0), "2026-01-12T09:30:00-05:00", "2026-01-12T16:00:00-05:00"),
    (ny(2026, 3, 7, 12, 0), "2026-03-09T09:30:00-04:00", "2026-03-09T16:00:00-04:00"),
    # A Saturday in summer, and one before the switch back (November 1, 2026).
    (ny(2026, 6, 13, 12, 0), "2026-06-15T09:30:00-04:00", "2026-06-15T16:00:00-04:00"),
    (ny(2026, 10, 31, 12, 0), "2026-11-02T09:30:00-05:00", "2026-11-02T16:00:00-05:00"),
])
def test_clock_on_a_saturday(make_sim, now, next_open, next_close):
    sim = make_sim(start_at=now, market="nyse")
    raw = sim.client.get("/clock")
    assert raw["is_open"] is False
    assert (raw["next_open"], raw["next_close"]) == (next_open, next_close)
    assert raw["timestamp"].startswith(now.isoformat()[:19])
    assert raw["timestamp"].endswith(now.isoformat()[-6:])
    clock = sim.client.get_clock()
    assert clock.is_open is False and clock.next_open == datetime.fromisoformat(next_open)


@pytest.mark.parametrize("now,is_open,next_open,next_close", [
    # The day before Thanksgiving 2026: a full day.
    (ny(2026, 11, 25, 15, 59), True, "2026-11-27T09:30:00-05:00", "2026-11-25T16:00:00-05:00"),
    (ny(2026, 11, 25, 16, 0), False, "2026-11-27T09:30:00-05:00", "2026-11-27T13:00:00-05:00"),
    # Thanksgiving: closed all day, also in what would be the pre-market.
    (ny(2026, 11, 26, 8, 0), False, "2026-11-27T09:30:00-05:00", "2026-11-27T13:00:00-05:00"),
    (ny(2026, 11, 26, 12, 0), False, "2026-11-27T09:30:00-05:00", "2026-11-27T13:00:00-05:00"),
    # The day after: the 13:00 early close.
    (ny(2026, 11, 27, 9, 29), False, "2026-11-27T09:30:00-05:00", "2026-11-27T13:00:00-05:00"),
    (ny(2026, 11, 27, 12, 59), True, "2026-11-30T09:30:00-05:00", "2026-11-27T13:00:00-05:00"),
    (ny(2026, 11, 27, 13, 0), False, "2026-11-30T09:30:00-05:00", "2026-11-30T16:00:00-05:00"),
])
def test_clock_around_thanksgiving(make_sim, now, is_open, next_open, next_close):
    sim = make_sim(start_at=now, market="nyse")
    raw = sim.client.get("/clock")
    assert (raw["is_open"], raw["next_open"], raw["next_close"]) == (is_open, next_open, next_close)


def test_clock_follows_the_manual_clock(make_sim):
    sim = make_sim(start_at=ny(2026, 11, 27, 12, 0), market="nyse")
    assert sim.client.get_clock().is_open
    sim.advance(3600)
    clock = sim.client.get_clock()
    assert not clock.is_open and clock.timestamp == ny(2026, 11, 27, 13, 0)


def test_always_open_clock(make_sim):
    sim = make_sim(start_at=ny(2026, 11, 26, 3, 0))  # Thanksgiving, before dawn
    raw = sim.client.get("/clock")
    assert raw["is_open"] is True
    assert raw["next_close"] == "2026-11-27T00:00:00-05:00"


# ---- /v2/calendar ------------------------------------------------------------------------

@pytest.mark.parametrize("market", ["nyse", "always-open"])
def test_calendar_lists_real_nyse_days(make_sim, market):
    sim = make_sim(start_at=ny(2026, 11, 20, 12, 0), market=market)
    days = sim.client.get_calendar(GetCalendarRequest(start=date(2026, 11, 23), end=date(2026, 11, 30)))
    assert [d.date for d in days] == [date(2026, 11, d) for d in (23, 24, 25, 27, 30)]
    assert [(d.open.time().isoformat(), d.close.time().isoformat()) for d in days] == [
        ("09:30:00", "16:00:00")] * 3 + [("09:30:00", "13:00:00"), ("09:30:00", "16:00:00")]
    raw = sim.client.get("/calendar", {"start": "2026-11-25", "end": "2026-11-27"})
    assert raw == [
        {"date": "2026-11-25", "open": "09:30", "close": "16:00", "session_open": "0400",
         "session_close": "2000", "settlement_date": "2026-11-27"},
        {"date": "2026-11-27", "open": "09:30", "close": "13:00", "session_open": "0400",
         "session_close": "1700", "settlement_date": "2026-11-30"},
    ]


def test_calendar_skips_holidays_and_weekends(make_sim):
    sim = make_sim(start_at=ny(2026, 3, 2, 12, 0), market="nyse")
    dates = {d.date for d in sim.client.get_calendar(GetCalendarRequest(start=date(2026, 1, 1),
                                                                         end=date(2026, 12, 31)))}
    assert len(dates) == 251  # NYSE's 2026 calendar
    for holiday in (date(2026, 1, 1), date(2026, 1, 19), date(2026, 2, 16), date(2026, 4, 3),
                    date(2026, 5, 25), date(2026, 6, 19), date(2026, 7, 3), date(2026, 9, 7),
                    date(2026, 11, 26), date(2026, 12, 25)):
        assert holiday not in dates
    assert all(d.weekday() < 5 for d in dates)
    assert sim.client.get("/calendar", {"start": "2026-07-06", "end": "2026-07-01"}) == []


# ---- orders through the day --------------------------------------------------------------

def test_order_submitted_while_closed_waits_for_the_open(make_sim):
    sim = make_sim(start_at=ny(2026, 3, 14, 11, 0), market="nyse")  # a Saturday
    order = sim.client.submit_order(MarketOrderRequest(symbol="AAPL", qty=2, side=OrderSide.BUY,
                                                       time_in_force=TimeInForce.DAY))
    assert order.status == "accepted" and order.filled_at is None
    advance_to(sim, ny(2026, 3, 16, 9, 29, 59))  # Monday, just before the open
    assert status(sim, order) == "accepted"
    assert sim.client.get_all_positions() == []
    sim.advance(2)
    assert status(sim, order) in ("pending_new", "new")
    sim.advance(1)
    filled = sim.client.get_order_by_id(order.id)
    assert filled.status == "filled" and filled.filled_qty == "2"
    assert ny(2026, 3, 16, 9, 30) <= filled.filled_at < ny(2026, 3, 16, 9, 31)


def test_order_submitted_after_the_close_is_for_the_next_session(make_sim):
    sim = make_sim(start_at=ny(2026, 3, 16, 17, 0), market="nyse")
    order = sim.client.submit_order(LimitOrderRequest(symbol="MSFT", qty=1, side=OrderSide.BUY, limit_price=1,
                                                      time_in_force=TimeInForce.DAY))
    assert order.status == "accepted" and order.expires_at == ny(2026, 3, 17, 16, 0)
    advance_to(sim, ny(2026, 3, 17, 10, 0))
    sim.advance(1)
    assert status(sim, order) == "new"  # alive through the night and into its session
    advance_to(sim, ny(2026, 3, 17, 16, 0, 1))
    assert status(sim, order) == "expired"


def test_day_limit_order_expires_at_the_close(make_sim):
    sim = make_sim(start_at=ny(2026, 3, 16, 15, 0), market="nyse")
    order = sim.client.submit_order(LimitOrderRequest(symbol="JPM", qty=1, side=OrderSide.BUY, limit_price=5,
                                                      time_in_force=TimeInForce.DAY))
    sim.advance(1)
    assert status(sim, order) == "new"
    advance_to(sim, ny(2026, 3, 16, 15, 59, 59))
    assert status(sim, order) == "new"
    sim.advance(2)
    expired = sim.client.get_order_by_id(order.id)
    assert expired.status == "expired" and expired.expired_at == ny(2026, 3, 16, 16, 0)
    assert sim.client.get("/orders", {"status": "open"}) == []


def test_day_order_expires_at_the_early_close(make_sim):
    sim = make_sim(start_at=ny(2026, 11, 27, 11, 0), market="nyse")
    order = sim.client.submit_order(LimitOrderRequest(symbol="JPM", qty=1, side=OrderSide.BUY, limit_price=5,
                                                      time_in_force=TimeInForce.DAY))
    advance_to(sim, ny(2026, 11, 27, 13, 0, 1))
    expired = sim.client.get_order_by_id(order.id)
    assert expired.status == "expired" and expired.expired_at == ny(2026, 11, 27, 13, 0)


def test_extended_hours_limit_fills_pre_market_and_a_regular_one_waits(make_sim):
    sim = make_sim(start_at=ny(2026, 3, 16, 8, 0), market="nyse")
    ask = Decimal(str(sim.data.get_stock_latest_quote(StockLatestQuoteRequest(symbol_or_symbols="KO"))["KO"].ask_price))
    limit = ask + 1
    extended = sim.client.submit_order(LimitOrderRequest(symbol="KO", qty=3, side=OrderSide.BUY, limit_price=limit,
                                                         time_in_force=TimeInForce.DAY, extended_hours=True))
    regular = sim.client.submit_order(LimitOrderRequest(symbol="KO", qty=2, side=OrderSide.BUY, limit_price=limit,
                                                        time_in_force=TimeInForce.DAY))
    assert extended.status == "pending_new" and regular.status == "accepted"
    sim.advance(1)
    filled = sim.client.get_order_by_id(extended.id)
    assert filled.status == "filled" and Decimal(filled.filled_avg_price) == ask
    assert status(sim, regular) == "accepted"
    assert sim.client.get_open_position("KO").qty == "3"
    advance_to(sim, ny(2026, 3, 16, 9, 30))
    sim.advance(1)
    assert status(sim, regular) == "filled"


def test_extended_hours_limit_fills_after_hours(make_sim):
    sim = make_sim(start_at=ny(2026, 3, 16, 17, 0), market="nyse")
    order = sim.client.submit_order(LimitOrderRequest(symbol="KO", qty=1, side=OrderSide.BUY, limit_price=500,
                                                      time_in_force=TimeInForce.DAY, extended_hours=True))
    sim.advance(1)
    assert status(sim, order) == "filled"


def test_gtc_order_survives_the_close(make_sim):
    sim = make_sim(start_at=ny(2026, 3, 16, 15, 0), market="nyse")
    order = sim.client.submit_order(LimitOrderRequest(symbol="XOM", qty=1, side=OrderSide.BUY, limit_price=10,
                                                      time_in_force=TimeInForce.GTC))
    sim.advance(1)
    advance_to(sim, ny(2026, 3, 17, 9, 0))
    assert status(sim, order) in ("new", "accepted")
    sim.set_price("XOM", "9.50")  # pre-market: a regular-hours order does not trade yet
    assert status(sim, order) in ("new", "accepted")
    advance_to(sim, ny(2026, 3, 17, 9, 30, 1))
    sim.advance(1)
    assert status(sim, order) == "filled"


def test_trailing_stop_does_not_trigger_outside_regular_hours(make_sim):
    sim = make_sim(start_at=ny(2026, 3, 16, 15, 0), market="nyse")
    sim.set_price("AMD", "100")
    sim.client.submit_order(MarketOrderRequest(symbol="AMD", qty=5, side=OrderSide.BUY, time_in_force=TimeInForce.DAY))
    sim.advance(1)
    wait_for(lambda: sim.client.get_all_positions())
    stop = sim.client.submit_order(TrailingStopOrderRequest(symbol="AMD", qty=5, side=OrderSide.SELL, trail_price=2,
                                                            time_in_force=TimeInForce.GTC))
    sim.advance(1)
    advance_to(sim, ny(2026, 3, 16, 16, 30))  # after hours: far through the stop, nothing happens
    sim.set_price("AMD", "80")
    sim.advance(1)
    assert status(sim, stop) in ("new", "accepted")
    advance_to(sim, ny(2026, 3, 17, 8, 0))  # pre-market neither
    sim.advance(1)
    assert status(sim, stop) in ("new", "accepted")
    assert sim.client.get_open_position("AMD").qty == "5"
    advance_to(sim, ny(2026, 3, 17, 9, 30))
    sim.advance(1)
    sim.advance(1)
    filled = sim.client.get_order_by_id(stop.id)
    assert filled.status == "filled" and Decimal(filled.filled_avg_price) < 81


def test_last_equity_is_the_equity_at_the_close(make_sim):
    sim = make_sim(start_at=ny(2026, 3, 16, 15, 0), market="nyse", cash=50000)
    sim.set_price("NVDA", "100")
    sim.client.submit_order(MarketOrderRequest(symbol="NVDA", qty=100, side=OrderSide.BUY,
                                               time_in_force=TimeInForce.DAY))
    sim.advance(1)
    wait_for(lambda: sim.client.get_all_positions())
    assert sim.client.get_account().last_equity == "50000.00"  # yesterday's close: all cash
    sim.set_price("NVDA", "120")
    at_close = sim.client.get_account().equity
    assert Decimal(at_close) > 50000
    advance_to(sim, ny(2026, 3, 16, 16, 0, 1))
    sim.set_price("NVDA", "90")  # after-hours moves change equity, not last_equity
    account = sim.client.get_account()
    assert account.last_equity == "50000.00" and account.equity != at_close
    advance_to(sim, ny(2026, 3, 17, 4, 0, 1))  # the next trading day: measured from the regular close
    assert sim.client.get_account().last_equity == at_close
    advance_to(sim, ny(2026, 3, 17, 16, 0, 1))
    assert sim.client.get_account().last_equity == at_close


def test_extended_hours_day_order_ends_with_after_hours(make_sim):
    sim = make_sim(start_at=ny(2026, 3, 16, 17, 0), market="nyse")
    order = sim.client.submit_order(LimitOrderRequest(symbol="KO", qty=1, side=OrderSide.BUY, limit_price=5,
                                                      time_in_force=TimeInForce.DAY, extended_hours=True))
    assert order.expires_at == ny(2026, 3, 16, 20, 0)
    advance_to(sim, ny(2026, 3, 17, 8, 0))
    sim.set_price("KO", "4")  # would fill in the next pre-market if the order were still alive
    sim.advance(1)
    assert status(sim, order) == "expired"


@pytest.mark.parametrize(
    ("moment", "phase", "until"),
    [
        (datetime(2026, 11, 27, 8, 0, tzinfo=NY), "pre", "2026-11-27T09:30:00-05:00"),
        (datetime(2026, 11, 27, 12, 0, tzinfo=NY), "core", "2026-11-27T13:00:00-05:00"),
        (datetime(2026, 11, 27, 14, 0, tzinfo=NY), "post", "2026-11-27T17:00:00-05:00"),
        (datetime(2026, 11, 26, 12, 0, tzinfo=NY), "closed", "2026-11-27T04:00:00-05:00"),
    ],
)
def test_v3_clock_reports_the_session_phase(make_sim, moment, phase, until):
    sim = make_sim(start_at=moment, market="nyse")
    body = requests.get(f"{sim.url}/v3/clock", timeout=5).json()["clocks"][0]  # alpaca-py has no v3 clock
    assert body["market"]["mic"] == "XNYS"
    assert body["phase"] == phase
    assert body["phase_until"] == until
    assert body["is_market_day"] is (phase != "closed")
