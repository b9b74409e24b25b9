"""Snapshots agree with the historical bars: GET /v2/stocks/snapshots through alpaca-py."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
import requests
from alpaca.data.historical import StockHistoricalDataClient
from alpaca.data.requests import StockBarsRequest, StockSnapshotRequest
from alpaca.data.timeframe import TimeFrame

from .conftest import KEY, SECRET

# A Wednesday afternoon in regular hours (14:00 New York).
NOW = datetime(2025, 6, 11, 18, 0, tzinfo=UTC)
HEADERS = {"APCA-API-KEY-ID": KEY, "APCA-API-SECRET-KEY": SECRET}


def client(sim) -> StockHistoricalDataClient:
    return StockHistoricalDataClient(KEY, SECRET, url_override=sim.url)


def snapshot(sim, symbol: str = "AAPL"):
    return client(sim).get_stock_snapshot(StockSnapshotRequest(symbol_or_symbols=[symbol]))[symbol]


def bars(sim, timeframe: TimeFrame, start: datetime, symbol: str = "AAPL"):
    return client(sim).get_stock_bars(StockBarsRequest(symbol_or_symbols=[symbol], timeframe=timeframe,
                                                       start=start))[symbol]


def same(a, b) -> bool:
    keys = ("timestamp", "open", "high", "low", "close", "volume", "trade_count", "vwap")
    return all(getattr(a, k) == getattr(b, k) for k in keys)


@pytest.fixture
def bsim(make_sim):
    return make_sim(start_at=NOW)


def test_daily_bars_are_the_last_two_bars_of_the_day_series(bsim):
    snap = snapshot(bsim)
    days = bars(bsim, TimeFrame.Day, NOW - timedelta(days=10))
    assert same(snap.previous_daily_bar, days[-2]) and same(snap.daily_bar, days[-1])
    assert snap.previous_daily_bar.timestamp == datetime(2025, 6, 10, 4, tzinfo=UTC)
    assert snap.previous_daily_bar.close == float(bsim.call(lambda: bsim.exchange.prices.day("AAPL").prev_close))
    minutes = bars(bsim, TimeFrame.Minute, datetime(2025, 6, 11, tzinfo=UTC))
    assert same(snap.minute_bar, minutes[-1])
    assert snap.daily_bar.open == minutes[0].open and snap.daily_bar.close == snap.latest_trade.price
    assert snap.daily_bar.volume == sum(m.volume for m in minutes)
    assert snap.daily_bar.high == max(m.high for m in minutes) and snap.daily_bar.low == min(m.low for m in minutes)


def test_live_prints_move_the_minute_and_the_day(bsim):
    before = snapshot(bsim)
    high = before.daily_bar.high + 5
    bsim.advance(61)  # into the 18:01 minute
    bsim.set_price("AAPL", f"{high:.2f}")
    bsim.advance(10)
    bsim.set_price("AAPL", f"{high - 1:.2f}")
    snap = snapshot(bsim)
    assert snap.latest_trade.price == pytest.approx(high - 1)
    assert snap.daily_bar.open == before.daily_bar.open
    assert snap.daily_bar.high == pytest.approx(high) and snap.daily_bar.close == pytest.approx(high - 1)
    assert snap.daily_bar.volume > before.daily_bar.volume
    assert snap.minute_bar.timestamp == datetime(2025, 6, 11, 18, 1, tzinfo=UTC)
    assert (snap.minute_bar.open, snap.minute_bar.high, snap.minute_bar.close) == pytest.approx((high, high, high - 1))
    assert snap.minute_bar.trade_count == 2
    minutes = bars(bsim, TimeFrame.Minute, datetime(2025, 6, 11, tzinfo=UTC))
    assert same(snap.minute_bar, minutes[-1])
    assert same(snap.daily_bar, bars(bsim, TimeFrame.Day, NOW - timedelta(days=3))[-1])
    assert same(snap.previous_daily_bar, before.previous_daily_bar)


def test_today_before_the_start_is_stable_and_ends_at_the_starting_price(bsim):
    start = datetime(2025, 6, 11, tzinfo=UTC)
    first = bars(bsim, TimeFrame.Minute, start)
    bsim.advance(600)
    bsim.set_price("AAPL", "300")
    later = bars(bsim, TimeFrame.Minute, start)
    assert [same(a, b) for a, b in zip(first, later)] == [True] * len(first)
    assert len(later) == len(first) + 1  # one minute had a print
    assert first[-1].close == float(bsim.call(lambda: bsim.exchange.prices.anchor("AAPL")[1]))
    assert len(first) == 270  # 13:30 to 17:59


@pytest.mark.parametrize("moment, daily, previous", [
    (datetime(2025, 6, 11, 12, 0, tzinfo=UTC), "2025-06-10", "2025-06-09"),  # 08:00, before the open
    (datetime(2025, 6, 14, 16, 0, tzinfo=UTC), "2025-06-13", "2025-06-12"),  # a Saturday
    (datetime(2025, 6, 11, 22, 0, tzinfo=UTC), "2025-06-11", "2025-06-10"),  # after the close
])
def test_outside_the_session_the_day_is_the_latest_daily_bar(make_sim, moment, daily, previous):
    sim = make_sim(start_at=moment)
    snap = snapshot(sim)
    days = bars(sim, TimeFrame.Day, moment - timedelta(days=10))
    assert same(snap.daily_bar, days[-1]) and same(snap.previous_daily_bar, days[-2])
    assert (snap.daily_bar.timestamp.date().isoformat(), snap.previous_daily_bar.timestamp.date().isoformat()) \
        == (daily, previous)
    last_minute = bars(sim, TimeFrame.Minute, snap.daily_bar.timestamp)[-1]
    assert same(snap.minute_bar, last_minute)
    assert snap.minute_bar.close == snap.daily_bar.close


def test_unknown_symbols_are_left_out_and_the_single_endpoint_is_404(bsim):
    found = client(bsim).get_stock_snapshot(StockSnapshotRequest(symbol_or_symbols=["AAPL", "ZZZZ"]))
    assert set(found) == {"AAPL"}
    response = requests.get(f"{bsim.url}/v2/stocks/ZZZZ/snapshot", headers=HEADERS, timeout=10)
    assert response.status_code == 404


def test_thirty_snapshots_stay_cheap(bsim):
    symbols = sorted(bsim.call(lambda: list(bsim.exchange.prices.closes())))[:30]
    url = f"{bsim.url}/v2/stocks/snapshots"
    assert requests.get(url, params={"symbols": ",".join(symbols)}, headers=HEADERS, timeout=10).ok
    started = time.perf_counter()
    for _ in range(5):
        body = requests.get(url, params={"symbols": ",".join(symbols)}, headers=HEADERS, timeout=10).json()
    assert len(body) == 30
    assert (time.perf_counter() - started) / 5 < 0.1


def test_the_streams_minute_bar_is_the_one_bars_and_the_snapshot_serve(bsim):
    auth = {"action": "auth", "key": KEY, "secret": SECRET}

    async def scenario() -> dict:
        async with aiohttp.ClientSession() as session:
            ws = await session.ws_connect(bsim.url.replace("http://", "ws://") + "/v2/iex")
            await ws.receive_json(timeout=2)
            await ws.send_str(json.dumps(auth))
            await ws.receive_json(timeout=2)
            await ws.send_str(json.dumps({"action": "subscribe", "bars": ["AAPL"]}))
            await ws.receive_json(timeout=2)
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, bsim.advance, 65)  # 18:01:05
            for price in ("250.10", "251.30", "249.90"):
                await loop.run_in_executor(None, bsim.set_price, "AAPL", price)
            await loop.run_in_executor(None, bsim.advance, 60)  # 18:02:05: the 18:01 minute is over
            await loop.run_in_executor(None, bsim.set_price, "AAPL", "250.00")
            [bar] = await ws.receive_json(timeout=3)
            await ws.close()
            return bar

    streamed = asyncio.run(scenario())
    assert streamed["T"] == "b" and streamed["t"].startswith("2025-06-11T18:01:00")
    minutes = bars(bsim, TimeFrame.Minute, datetime(2025, 6, 11, 18, 1, tzinfo=UTC))
    served = minutes[0]
    assert served.timestamp == datetime(2025, 6, 11, 18, 1, tzinfo=UTC)
    assert (served.open, served.high, served.low, served.close, served.volume, served.trade_count, served.vwap) == (
        streamed["o"], streamed["h"], streamed["l"], streamed["c"], streamed["v"], streamed["n"], streamed["vw"])
    assert (streamed["o"], streamed["h"], streamed["l"], streamed["c"]) == (250.10, 251.30, 249.90, 249.90)
    snap = snapshot(bsim)
    assert same(snap.minute_bar, minutes[-1]) and snap.minute_bar.close == 250.00
