"""Historical stock bars: GET /v2/stocks/bars and /v2/stocks/{symbol}/bars, through alpaca-py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import requests
import pytest
from alpaca.data.historical import StockHistoricalDataClient
from alpaca.data.requests import StockBarsRequest
from alpaca.data.timeframe import TimeFrame, TimeFrameUnit

from tui.sim import market_calendar as cal
from tui.terms import NEW_YORK

from .conftest import KEY, SECRET

# A Wednesday afternoon in regular hours: today has a bar, yesterday was a trading day.
NOW = datetime(2025, 6, 11, 18, 0, tzinfo=UTC)
HEADERS = {"APCA-API-KEY-ID": KEY, "APCA-API-SECRET-KEY": SECRET}


@pytest.fixture
def bsim(make_sim):
    return make_sim(start_at=NOW)


def client(sim) -> StockHistoricalDataClient:
    return StockHistoricalDataClient(KEY, SECRET, url_override=sim.url)


def get(sim, path: str, **params):
    return requests.get(f"{sim.url}{path}", params=params, headers=HEADERS, timeout=10)


def test_daily_bars_parse_and_fall_on_trading_days(bsim):
    start = NOW - timedelta(days=400)
    bars = client(bsim).get_stock_bars(StockBarsRequest(symbol_or_symbols=["AAPL"], timeframe=TimeFrame.Day,
                                                        start=start))["AAPL"]
    days = [b.timestamp.astimezone(NEW_YORK).date() for b in bars]
    assert len(days) > 260
    assert all(cal.is_trading_day(d) and d.weekday() < 5 for d in days)
    assert days == sorted(days) and len(set(days)) == len(days)
    assert days[-1] == NOW.date()
    for b in bars:
        assert b.low <= min(b.open, b.close) <= max(b.open, b.close) <= b.high
        assert b.volume > 0 and b.trade_count > 0


def test_last_close_before_today_is_the_previous_close(bsim):
    day = bsim.call(lambda: bsim.exchange.prices.day("AAPL"))
    last = float(bsim.call(lambda: bsim.exchange.prices.quote("AAPL").last))
    bars = get(bsim, "/v2/stocks/AAPL/bars", timeframe="1Day", start="2025-06-01").json()["bars"]
    assert bars[-2]["c"] == float(day.prev_close)
    assert bars[-2]["t"] == "2025-06-10T04:00:00Z"
    minutes = get(bsim, "/v2/stocks/AAPL/bars", timeframe="1Min", start="2025-06-11").json()["bars"]
    assert bars[-1]["o"] == minutes[0]["o"] and bars[-1]["c"] == last
    snapshot = get(bsim, "/v2/stocks/AAPL/snapshot").json()
    assert bars[-2]["c"] == snapshot["prevDailyBar"]["c"]


def test_bars_are_deterministic(bsim, make_sim):
    params = dict(timeframe="5Min", start="2025-06-02", end="2025-06-05", limit=300)
    first = get(bsim, "/v2/stocks/bars", symbols="AAPL,MSFT", **params).json()
    assert first == get(bsim, "/v2/stocks/bars", symbols="AAPL,MSFT", **params).json()
    assert first == get(make_sim(start_at=NOW), "/v2/stocks/bars", symbols="AAPL,MSFT", **params).json()
    # Three days of 78 five-minute bars for AAPL, then MSFT's until the page is full.
    assert (len(first["bars"]["AAPL"]), len(first["bars"]["MSFT"])) == (234, 66)
    assert first["next_page_token"]


def test_paging_gives_the_same_bars_as_one_request(bsim):
    params = dict(timeframe="15Min", start="2025-05-01", end="2025-06-11T16:00:00Z")
    whole = get(bsim, "/v2/stocks/bars", symbols="AAPL,MSFT,ZZZZ", limit=10000, **params).json()
    assert whole["next_page_token"] is None and set(whole["bars"]) == {"AAPL", "MSFT"}
    paged: dict[str, list] = {}
    token, pages = None, 0
    while True:
        extra = {"page_token": token} if token else {}
        body = get(bsim, "/v2/stocks/bars", symbols="AAPL,MSFT,ZZZZ", limit=150, **params, **extra).json()
        pages += 1
        assert sum(len(v) for v in body["bars"].values()) <= 150
        for symbol, bars in body["bars"].items():
            paged.setdefault(symbol, []).extend(bars)
        token = body["next_page_token"]
        if token is None:
            break
    assert pages > 2 and paged == whole["bars"]
    # alpaca-py follows the tokens itself when no limit is given.
    sdk = client(bsim).get_stock_bars(StockBarsRequest(
        symbol_or_symbols=["AAPL", "MSFT"], timeframe=TimeFrame(15, TimeFrameUnit.Minute),
        start=datetime(2025, 5, 1, 4, tzinfo=UTC), end=datetime(2025, 6, 11, 16, tzinfo=UTC)))
    assert [b.close for b in sdk["AAPL"]] == [b["c"] for b in whole["bars"]["AAPL"]]


def test_hour_bars_aggregate_minute_bars(bsim):
    params = dict(start="2025-06-09", end="2025-06-09T20:00:00Z")
    minutes = get(bsim, "/v2/stocks/AAPL/bars", timeframe="1Min", **params).json()["bars"]
    hours = get(bsim, "/v2/stocks/AAPL/bars", timeframe="1H", **params).json()["bars"]
    daily = get(bsim, "/v2/stocks/AAPL/bars", timeframe="1D", **params).json()["bars"]
    assert len(minutes) == 390 and len(hours) == 7 and len(daily) == 1
    assert hours[0]["t"] == "2025-06-09T13:00:00Z" and minutes[0]["t"] == "2025-06-09T13:30:00Z"
    for hour in hours:
        start = datetime.fromisoformat(hour["t"].replace("Z", "+00:00"))
        inside = [m for m in minutes
                  if start <= datetime.fromisoformat(m["t"].replace("Z", "+00:00")) < start + timedelta(hours=1)]
        assert hour["o"] == inside[0]["o"] and hour["c"] == inside[-1]["c"]
        assert hour["h"] == max(m["h"] for m in inside) and hour["l"] == min(m["l"] for m in inside)
        assert hour["v"] == sum(m["v"] for m in inside)
    day = daily[0]
    assert (day["o"], day["c"]) == (minutes[0]["o"], minutes[-1]["c"])
    assert day["h"] == max(m["h"] for m in minutes) and day["l"] == min(m["l"] for m in minutes)
    assert day["v"] == sum(m["v"] for m in minutes)


def test_today_minute_bars_stop_now_and_end_at_the_last_price(bsim):
    last = float(bsim.call(lambda: bsim.exchange.prices.quote("AAPL").last))
    bars = get(bsim, "/v2/stocks/AAPL/bars", timeframe="1Min", start="2025-06-11").json()["bars"]
    # Still prices since the start at 18:00:00: no print yet in the 18:00 minute, so no bar for it.
    assert bars[0]["t"] == "2025-06-11T13:30:00Z" and bars[-1]["t"] == "2025-06-11T17:59:00Z"
    assert bars[-1]["c"] == last


def test_desc_sort_weeks_months_and_a_year_of_minutes(bsim):
    asc = get(bsim, "/v2/stocks/AAPL/bars", timeframe="1Day", start="2025-01-01").json()["bars"]
    desc = get(bsim, "/v2/stocks/AAPL/bars", timeframe="1Day", start="2025-01-01", sort="desc").json()["bars"]
    assert desc == asc[::-1]
    weeks = get(bsim, "/v2/stocks/AAPL/bars", timeframe="1Week", start="2025-01-01").json()["bars"]
    assert all(datetime.fromisoformat(w["t"][:10]).weekday() == 0 for w in weeks)
    months = get(bsim, "/v2/stocks/AAPL/bars", timeframe="1Month", start="2025-01-01").json()["bars"]
    assert [m["t"][:10] for m in months][:2] == ["2025-01-01", "2025-02-01"] and len(months) == 6
    page = get(bsim, "/v2/stocks/AAPL/bars", timeframe="1T", start="2024-06-01", limit=10000).json()
    assert len(page["bars"]) == 10000 and page["next_page_token"]


@pytest.mark.parametrize("params", [dict(timeframe="7Day"), dict(timeframe="1Fortnight"), dict(),
                                    dict(timeframe="1Day", limit="0"), dict(timeframe="1Day", limit="10001"),
                                    dict(timeframe="1Day", page_token="!!")])
def test_bad_parameters_are_422(bsim, params):
    response = get(bsim, "/v2/stocks/AAPL/bars", **params)
    assert response.status_code == 422 and response.json()["message"]


def test_unknown_symbol_is_an_empty_list(bsim):
    body = get(bsim, "/v2/stocks/ZZZZ/bars", timeframe="1Day", start="2025-01-01").json()
    assert body == {"bars": [], "symbol": "ZZZZ", "next_page_token": None}
    multi = get(bsim, "/v2/stocks/bars", symbols="ZZZZ", timeframe="1Day", start="2025-01-01").json()
    assert multi == {"bars": {}, "next_page_token": None}
