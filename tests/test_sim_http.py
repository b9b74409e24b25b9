"""The simulator's REST front as alpaca-py and other clients speak to it (docs/api-facts.md §1, §2, §4)."""

from __future__ import annotations

import asyncio
import base64
import gc
import json
import re
import time
import warnings
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import requests
from alpaca.common.exceptions import APIError
from alpaca.data.models import Quote, Snapshot, Trade
from alpaca.data.requests import StockLatestQuoteRequest, StockLatestTradeRequest, StockSnapshotRequest
from alpaca.trading.enums import AssetClass, AssetStatus, OrderClass, OrderSide, QueryOrderStatus, TimeInForce
from alpaca.trading.models import Asset, Order, Position
from alpaca.trading.requests import (
    ClosePositionRequest,
    GetAssetsRequest,
    GetCalendarRequest,
    GetOrderByIdRequest,
    GetOrdersRequest,
    GetPortfolioHistoryRequest,
    LimitOrderRequest,
    MarketOrderRequest,
    ReplaceOrderRequest,
    StopLossRequest,
    TakeProfitRequest,
)

from tui.sim.fmt import NY
from tui.sim.runner import BackgroundSimulator

from .conftest import KEY, SECRET, trading_client, wait_for

HEADERS = {"APCA-API-KEY-ID": KEY, "APCA-API-SECRET-KEY": SECRET}
NY_OFFSET = re.compile(r"T\d\d:\d\d:\d\d(\.\d+)?-0[45]:00$")


def http(sim, method: str, path: str, headers: dict[str, str] | None = HEADERS, **kwargs: Any) -> requests.Response:
    return requests.request(method, sim.url + path, headers=headers, timeout=5, **kwargs)


def buy(sim, symbol: str = "AAPL", qty: float = 1, **kwargs: Any) -> Order:
    """A market buy, waited for until it has filled."""
    order = sim.client.submit_order(MarketOrderRequest(symbol=symbol, qty=qty, side=OrderSide.BUY,
                                                       time_in_force=TimeInForce.DAY, **kwargs))
    return wait_for(lambda: (o := sim.client.get_order_by_id(order.id)).status == "filled" and o)


def resting(sim, symbol: str = "MSFT", qty: float = 1, limit: float = 1, **kwargs: Any) -> Order:
    """A buy limit far under the market: it stays open."""
    order = sim.client.submit_order(LimitOrderRequest(symbol=symbol, qty=qty, side=OrderSide.BUY, limit_price=limit,
                                                      time_in_force=TimeInForce.GTC, **kwargs))
    wait_for(lambda: sim.client.get_order_by_id(order.id).status == "new")
    return order


def api_error(call, *args: Any) -> tuple[int, dict[str, Any]]:
    with pytest.raises(APIError) as info:
        call(*args)
    return info.value.status_code, json.loads(info.value.response.text)


# ---- rate limit --------------------------------------------------------------------------

def test_every_response_carries_the_rate_limit_headers(make_sim):
    sim = make_sim(rate_limit=200)
    responses = [
        http(sim, "GET", "/v2/account"),
        http(sim, "GET", "/v2/orders/00000000-0000-4000-8000-000000000000"),  # 404
        http(sim, "POST", "/v2/orders", json={"symbol": "AAPL"}),  # 422
        http(sim, "GET", "/v2/nowhere"),  # unknown path
        http(sim, "GET", "/v2/stocks/quotes/latest", params={"symbols": "AAPL"}),
    ]
    assert [r.status_code for r in responses] == [200, 404, 422, 404, 200]
    now = time.time()
    for r in responses:
        assert r.headers["X-RateLimit-Limit"] == "200"
        assert 0 <= int(r.headers["X-RateLimit-Remaining"]) < 200
        assert now <= int(r.headers["X-RateLimit-Reset"]) <= now + 61
    remaining = [int(r.headers["X-RateLimit-Remaining"]) for r in responses[:4]]
    assert remaining == [199, 198, 197, 196]  # trading requests share one budget per key


def test_past_the_budget_is_429(make_sim):
    sim = make_sim(rate_limit=5)
    for n in range(5):
        assert http(sim, "GET", "/v2/clock").headers["X-RateLimit-Remaining"] == str(4 - n)
    refused = http(sim, "GET", "/v2/clock")
    assert refused.status_code == 429
    assert refused.json() == {"code": 42910000, "message": "rate limit exceeded"}
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    assert int(refused.headers["X-RateLimit-Reset"]) >= time.time()
    status, body = api_error(sim.client.get_account)  # alpaca-py, its retries turned off
    assert status == 429 and body["code"] == 42910000
    other = trading_client(sim.url, key="someone-else")  # the budget is per key
    assert other.get_clock() is not None


def test_rate_limit_zero_disables_it(make_sim):
    sim = make_sim(rate_limit=0)
    statuses = {http(sim, "GET", "/v2/clock").status_code for _ in range(60)}
    assert statuses == {200}


# ---- authentication ----------------------------------------------------------------------

@pytest.mark.parametrize("headers", [
    None,
    {"APCA-API-KEY-ID": KEY, "APCA-API-SECRET-KEY": "wrong"},
    {"APCA-API-KEY-ID": "wrong", "APCA-API-SECRET-KEY": SECRET},
    {"APCA-API-KEY-ID": KEY},
    {"Authorization": "Basic " + base64.b64encode(f"{KEY}:wrong".encode()).decode()},
    {"Authorization": "Basic !!!not base64"},
], ids=["missing", "wrong-secret", "wrong-key", "no-secret", "basic-wrong", "basic-garbage"])
def test_bad_keys_are_401(make_sim, headers):
    sim = make_sim(api_key=KEY, secret_key=SECRET)
    for path in ("/v2/account", "/v2/stocks/quotes/latest?symbols=AAPL", "/v2/orders"):
        r = http(sim, "GET", path, headers=headers)
        assert r.status_code == 401
        assert r.json() == {"code": 40110000, "message": "request is not authorized"}


def test_right_keys_in_headers_or_basic_auth(make_sim):
    sim = make_sim(api_key=KEY, secret_key=SECRET)
    assert sim.client.get_account().status == "ACTIVE"
    basic = {"Authorization": "Basic " + base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()}
    assert http(sim, "GET", "/v2/account", headers=basic).status_code == 200
    status, body = api_error(trading_client(sim.url, secret="wrong").get_account)
    assert status == 401 and body["code"] == 40110000
    assert http(sim, "GET", "/v2/account", headers={"Authorization": f"Bearer {SECRET}"}).status_code == 200
    assert http(sim, "GET", "/v2/account", headers={"Authorization": "Bearer wrong"}).status_code == 401


def test_any_keys_accepted_when_none_are_configured(sim):
    assert http(sim, "GET", "/v2/account", headers=None).status_code == 200
    assert trading_client(sim.url, key="x", secret="y").get_account().cash == "100000.00"


# ---- transport details -----------------------------------------------------------------------

def test_trailing_slashes_are_accepted(sim):
    assert http(sim, "GET", "/v2/account/").json()["cash"] == "100000.00"
    posted = http(sim, "POST", "/v2/orders/", json={"symbol": "MSFT", "qty": 1, "side": "buy", "type": "limit",
                                                    "limit_price": 1, "time_in_force": "gtc"})
    assert posted.status_code == 200
    order_id = posted.json()["id"]
    assert http(sim, "GET", f"/v2/orders/{order_id}/").json()["id"] == order_id
    assert http(sim, "GET", "/v2/clock/").status_code == 200
    assert http(sim, "DELETE", f"/v2/orders/{order_id}/").status_code == 204


@pytest.mark.parametrize("word", ["True", "true", "TRUE"])
def test_query_booleans_any_case(sim, word):
    buy(sim, "KO", 2)
    order = resting(sim, order_class=OrderClass.BRACKET, take_profit=TakeProfitRequest(limit_price=5000),
                    stop_loss=StopLossRequest(stop_price=0.5))
    nested = http(sim, "GET", "/v2/orders", params={"nested": word}).json()
    assert [o["id"] for o in nested] == [str(order.id)] and len(nested[0]["legs"]) == 2
    assert http(sim, "GET", f"/v2/orders/{order.id}", params={"nested": word}).json()["legs"]
    closed = http(sim, "DELETE", "/v2/positions", params={"cancel_orders": word})
    assert closed.status_code == 207
    assert sim.client.get_order_by_id(order.id).status == "canceled"


@pytest.mark.parametrize("word", ["False", "false"])
def test_query_booleans_false(sim, word):
    order = resting(sim, order_class=OrderClass.BRACKET, take_profit=TakeProfitRequest(limit_price=5000),
                    stop_loss=StopLossRequest(stop_price=0.5))
    flat = http(sim, "GET", "/v2/orders", params={"nested": word, "status": "all"}).json()
    assert len(flat) == 3 and all(o["legs"] is None for o in flat)
    buy(sim, "KO", 2)
    http(sim, "DELETE", "/v2/positions", params={"cancel_orders": word})
    assert sim.client.get_order_by_id(order.id).status == "new"


@pytest.mark.parametrize("qty,limit", [(2, 1.5), (2.0, 1.5), ("2", "1.5"), ("2.0", "1.50")])
def test_numbers_in_bodies_as_json_numbers_or_strings(sim, qty, limit):
    posted = http(sim, "POST", "/v2/orders", json={"symbol": "MSFT", "qty": qty, "side": "buy", "type": "limit",
                                                   "limit_price": limit, "time_in_force": "day"})
    assert posted.status_code == 200, posted.text
    assert (posted.json()["qty"], posted.json()["limit_price"]) == ("2", "1.5")
    replaced = http(sim, "PATCH", f"/v2/orders/{posted.json()['id']}", json={"qty": qty, "limit_price": "1.25"})
    assert replaced.status_code == 200, replaced.text
    assert (replaced.json()["qty"], replaced.json()["limit_price"]) == ("2", "1.25")


def test_malformed_body_is_400(sim):
    r = http(sim, "POST", "/v2/orders", data="{not json", headers={**HEADERS, "Content-Type": "application/json"})
    assert r.status_code == 400
    assert r.json() == {"code": 40010000, "message": "request body format is invalid"}


def test_unknown_paths_and_methods_answer_json(sim):
    for path in ("/v2/nowhere", "/v3/account", "/", "/v2/orders/x/y", "/streams", "/stream/x"):
        r = http(sim, "GET", path)
        assert r.status_code == 404 and r.headers["Content-Type"].startswith("application/json")
        assert isinstance(r.json()["code"], int) and r.json()["message"]
    r = http(sim, "PUT", "/v2/account")
    assert r.status_code == 405 and r.json()["code"] == 40510000 and "GET" in r.headers["Allow"]
    r = http(sim, "POST", "/v2/orders", data="x" * (2 * 1024 * 1024))
    assert r.status_code == 413 and r.json() == {"code": 41310000, "message": "request body too large"}


@pytest.mark.parametrize("start,offset", [(datetime(2026, 1, 14, 11, 0, tzinfo=NY), "-05:00"),
                                          (datetime(2026, 7, 14, 11, 0, tzinfo=NY), "-04:00")])
def test_timestamps_carry_the_new_york_offset(make_sim, start, offset):
    sim = make_sim(start_at=start)
    order = sim.client.submit_order(MarketOrderRequest(symbol="AAPL", qty=1, side=OrderSide.BUY,
                                                       time_in_force=TimeInForce.DAY))
    sim.advance(1)
    raw_order = sim.client.get(f"/orders/{order.id}")
    stamps = [raw_order[k] for k in ("created_at", "updated_at", "submitted_at", "filled_at", "expires_at")]
    stamps += [sim.client.get("/account")["created_at"], sim.client.get("/clock")["timestamp"]]
    stamps += [a["transaction_time"] for a in sim.client.get("/account/activities/FILL")]
    for stamp in stamps:
        assert NY_OFFSET.search(stamp) and stamp.endswith(offset), stamp
    assert raw_order["created_at"].startswith(start.strftime("%Y-%m-%dT11:00:00"))


def test_numbers_in_trading_responses_are_strings(sim):
    buy(sim, "AAPL", 3)
    order = resting(sim)
    account = sim.client.get("/account")
    for field in ("cash", "buying_power", "regt_buying_power", "non_marginable_buying_power", "equity",
                  "last_equity", "portfolio_value", "long_market_value", "short_market_value", "initial_margin",
                  "maintenance_margin", "last_maintenance_margin", "sma", "multiplier", "accrued_fees",
                  "effective_buying_power", "options_buying_power", "position_market_value"):
        assert isinstance(account[field], str), field
        Decimal(account[field])
    (position,) = sim.client.get("/positions")
    for field in ("qty", "qty_available", "avg_entry_price", "market_value", "cost_basis", "unrealized_pl",
                  "unrealized_plpc", "unrealized_intraday_pl", "current_price", "lastday_price", "change_today"):
        assert isinstance(position[field], str), field
        Decimal(position[field])
    raw_order = sim.client.get(f"/orders/{order.id}")
    for field in ("qty", "filled_qty", "limit_price"):
        assert isinstance(raw_order[field], str), field
    (activity,) = sim.client.get("/account/activities/FILL")
    assert all(isinstance(activity[f], str) for f in ("price", "qty", "leaves_qty", "cum_qty"))


# ---- market data -------------------------------------------------------------------------------

def test_market_data_parses_and_agrees_with_fills(sim):
    request = {"symbol_or_symbols": ["AAPL", "SPY"]}
    quotes = sim.data.get_stock_latest_quote(StockLatestQuoteRequest(**request))
    trades = sim.data.get_stock_latest_trade(StockLatestTradeRequest(**request))
    snapshots = sim.data.get_stock_snapshot(StockSnapshotRequest(**request))
    assert set(quotes) == set(trades) == set(snapshots) == {"AAPL", "SPY"}
    for symbol in ("AAPL", "SPY"):
        q, t, s = quotes[symbol], trades[symbol], snapshots[symbol]
        assert isinstance(q, Quote) and isinstance(t, Trade) and isinstance(s, Snapshot)
        assert q.bid_price < q.ask_price and q.bid_price <= t.price <= q.ask_price
        assert s.latest_quote.ask_price == q.ask_price and s.latest_trade.price == t.price
        assert s.daily_bar.close == t.price and s.previous_daily_bar.close > 0
        assert s.minute_bar.close == t.price
    bought = buy(sim, "AAPL", 4)
    assert Decimal(bought.filled_avg_price) == Decimal(str(quotes["AAPL"].ask_price))
    sold = sim.client.submit_order(MarketOrderRequest(symbol="AAPL", qty=4, side=OrderSide.SELL,
                                                      time_in_force=TimeInForce.DAY))
    sold = wait_for(lambda: (o := sim.client.get_order_by_id(sold.id)).status == "filled" and o)
    assert Decimal(sold.filled_avg_price) == Decimal(str(quotes["AAPL"].bid_price))


def test_single_symbol_market_data(sim):
    quote = http(sim, "GET", "/v2/stocks/AAPL/quotes/latest").json()
    trade = http(sim, "GET", "/v2/stocks/aapl/trades/latest").json()
    snapshot = http(sim, "GET", "/v2/stocks/AAPL/snapshot").json()
    assert quote["symbol"] == trade["symbol"] == snapshot["symbol"] == "AAPL"
    parsed_quote = Quote("AAPL", quote["quote"])
    parsed_trade = Trade("AAPL", trade["trade"])
    parsed_snapshot = Snapshot("AAPL", {k: v for k, v in snapshot.items() if k != "symbol"})
    latest = sim.data.get_stock_latest_quote(StockLatestQuoteRequest(symbol_or_symbols="AAPL"))["AAPL"]
    assert parsed_quote.ask_price == latest.ask_price == parsed_snapshot.latest_quote.ask_price
    assert parsed_trade.price == parsed_snapshot.latest_trade.price
    missing = http(sim, "GET", "/v2/stocks/ZZZZ/quotes/latest")
    assert missing.status_code == 404 and missing.json()["message"]


def test_unknown_symbols_are_left_out_of_market_data(sim):
    quotes = sim.data.get_stock_latest_quote(StockLatestQuoteRequest(symbol_or_symbols=["AAPL", "ZZZZ"]))
    assert set(quotes) == {"AAPL"}
    r = http(sim, "GET", "/v2/stocks/quotes/latest")
    assert r.status_code == 400 and r.json()["code"] == 40010001


# ---- every endpoint of §2 through alpaca-py ---------------------------------------------------------

def test_account_and_configurations(sim):
    account = sim.client.get_account()
    assert account.status == "ACTIVE" and account.account_number.startswith("PA")
    assert Decimal(account.equity) == Decimal(account.cash) + Decimal(account.long_market_value) \
        + Decimal(account.short_market_value)
    config = sim.client.get_account_configurations()
    assert config.fractional_trading is True
    config.no_shorting = True
    changed = sim.client.set_account_configurations(config)
    assert changed.no_shorting is True and sim.client.get_account().shorting_enabled is False
    status, body = api_error(sim.client.submit_order, MarketOrderRequest(
        symbol="AAPL", qty=1, side=OrderSide.SELL, time_in_force=TimeInForce.DAY))
    assert (status, body["message"]) == (403, "account is not allowed to short")


def test_positions_list_get_close_close_all(sim):
    buy(sim, "AAPL", 10)
    buy(sim, "MSFT", 4)
    positions = sim.client.get_all_positions()
    assert [p.symbol for p in positions] == ["AAPL", "MSFT"] and all(isinstance(p, Position) for p in positions)
    aapl = sim.client.get_open_position("AAPL")
    assert aapl.qty == "10" and aapl.side == "long" and aapl.exchange == "NASDAQ"
    assert sim.client.get_open_position(aapl.asset_id).symbol == "AAPL"  # by asset id too
    closing = sim.client.close_position("AAPL", ClosePositionRequest(qty="4"))
    assert isinstance(closing, Order) and closing.side == "sell" and closing.qty == "4"
    wait_for(lambda: sim.client.get_open_position("AAPL").qty == "6")
    half = sim.client.close_position("AAPL", ClosePositionRequest(percentage="50"))
    assert half.qty == "3"
    wait_for(lambda: sim.client.get_open_position("AAPL").qty == "3")
    results = sim.client.close_all_positions(cancel_orders=True)
    assert sorted(r.symbol for r in results) == ["AAPL", "MSFT"] and {r.status for r in results} == {200}
    assert all(r.order_id == r.body.id for r in results)
    wait_for(lambda: sim.client.get_all_positions() == [])
    status, body = api_error(sim.client.get_open_position, "AAPL")
    assert status == 404 and body["code"] == 40410000


def test_orders_submit_list_get_replace_cancel(sim):
    first = resting(sim, client_order_id="mine-1")
    second = resting(sim, "KO", 2)
    assert sim.client.get_order_by_client_id("mine-1").id == first.id
    listed = sim.client.get_orders(GetOrdersRequest(status=QueryOrderStatus.OPEN, symbols=["MSFT", "KO"]))
    assert {o.id for o in listed} == {first.id, second.id}
    assert [o.id for o in sim.client.get_orders(GetOrdersRequest(symbols=["KO"]))] == [second.id]
    asc = sim.client.get_orders(GetOrdersRequest(direction="asc", limit=1))
    assert [o.id for o in asc] == [first.id]
    since = sim.client.get_orders(GetOrdersRequest(after=datetime.now(NY) - timedelta(minutes=5),
                                                   until=datetime.now(NY) + timedelta(minutes=5)))
    assert len(since) == 2
    assert sim.client.get_order_by_id(first.id, GetOrderByIdRequest(nested=True)).id == first.id
    new = sim.client.replace_order_by_id(first.id, ReplaceOrderRequest(qty=3, limit_price=1.1))
    assert new.id != first.id and new.replaces == first.id and new.qty == "3"
    old = sim.client.get_order_by_id(first.id)
    assert old.status == "replaced" and old.replaced_by == new.id
    assert sim.client.cancel_order_by_id(new.id) is None
    assert sim.client.get_order_by_id(new.id).status == "canceled"
    status, body = api_error(sim.client.cancel_order_by_id, new.id)
    assert status == 422 and body["message"] == 'order is already in "canceled" state'
    responses = sim.client.cancel_orders()
    assert [(r.id, r.status) for r in responses] == [(second.id, 200)]
    assert sim.client.get_orders() == []
    closed = sim.client.get_orders(GetOrdersRequest(status=QueryOrderStatus.CLOSED))
    assert {o.status for o in closed} == {"canceled", "replaced"}
    status, body = api_error(sim.client.get_order_by_id, "00000000-0000-4000-8000-000000000000")
    assert (status, body) == (404, {"code": 40410000, "message": "order not found"})
    status, _ = api_error(sim.client.get_order_by_client_id, "nobody")
    assert status == 404


def test_a_reused_client_order_id_is_refused(sim):
    body = {"symbol": "MSFT", "qty": 1, "side": "buy", "type": "limit", "limit_price": 1, "time_in_force": "gtc",
            "client_order_id": "retry-safe"}
    assert http(sim, "POST", "/v2/orders", json=body).status_code == 200
    again = http(sim, "POST", "/v2/orders", json=body)  # what a retried POST looks like
    assert again.status_code == 422 and again.json()["message"] == "client_order_id must be unique"
    assert len(sim.client.get_orders()) == 1


def test_orders_are_paged(sim):
    ids = [http(sim, "POST", "/v2/orders", json={"symbol": "MSFT", "qty": 1, "side": "buy", "type": "limit",
                                                 "limit_price": 1, "time_in_force": "gtc"}).json()["id"]
           for _ in range(60)]
    first = sim.client.get_orders()
    assert [str(o.id) for o in first] == ids[::-1][:50]  # newest first, 50 by default
    rest = sim.client.get_orders(GetOrdersRequest(until=first[-1].submitted_at))
    assert [str(o.id) for o in rest] == ids[::-1][50:]
    assert len(sim.client.get_orders(GetOrdersRequest(limit=55))) == 55
    oldest = sim.client.get_orders(GetOrdersRequest(direction="asc", limit=10))
    later = sim.client.get_orders(GetOrdersRequest(direction="asc", after=oldest[-1].submitted_at, limit=10))
    assert [str(o.id) for o in oldest + later] == ids[:20]


def test_clock_calendar_assets(sim):
    clock = sim.client.get_clock()
    assert clock.is_open is True and clock.next_close > clock.timestamp
    days = sim.client.get_calendar(GetCalendarRequest(start=date(2026, 12, 21), end=date(2026, 12, 31)))
    assert [d.date.day for d in days] == [21, 22, 23, 24, 28, 29, 30, 31]
    assets = sim.client.get_all_assets(GetAssetsRequest(status=AssetStatus.ACTIVE, asset_class=AssetClass.US_EQUITY))
    assert len(assets) > 30 and all(isinstance(a, Asset) for a in assets)
    spy = sim.client.get_asset("SPY")
    assert spy.exchange == "ARCA" and sim.client.get_asset(spy.id).symbol == "SPY"
    status, body = api_error(sim.client.get_asset, "ZZZZ")
    assert status == 404 and body["code"] == 40410000


def test_fill_activities(sim):
    buy(sim, "AAPL", 2)
    buy(sim, "MSFT", 1)
    fills = sim.client.get("/account/activities/FILL")
    assert [f["symbol"] for f in fills] == ["MSFT", "AAPL"]  # newest first
    assert sim.client.get("/account/activities", {"activity_types": "FILL"}) == fills
    for fill in fills:
        assert re.fullmatch(r"\d{17}::[0-9a-f-]{36}", fill["id"])
        assert fill["activity_type"] == "FILL" and fill["type"] == "fill" and fill["side"] == "buy"
        assert fill["leaves_qty"] == "0" and fill["order_status"] == "filled"
    page = sim.client.get("/account/activities/FILL", {"page_size": 1, "direction": "asc"})
    assert [f["symbol"] for f in page] == ["AAPL"]
    rest = sim.client.get("/account/activities/FILL", {"page_size": 1, "direction": "asc", "page_token": page[0]["id"]})
    assert [f["symbol"] for f in rest] == ["MSFT"]


def test_portfolio_history(sim):
    buy(sim, "AAPL", 2)
    history = sim.client.get_portfolio_history(GetPortfolioHistoryRequest(period="1W", timeframe="1D"))
    assert len(history.timestamp) == len(history.equity) == len(history.profit_loss) >= 1
    assert history.timeframe == "1D"
    assert history.profit_loss[-1] == pytest.approx(history.equity[-1] - history.base_value)
    assert history.equity[-1] == pytest.approx(float(sim.client.get_account().equity))
    assert sim.client.get_portfolio_history().timeframe
    status, _ = api_error(sim.client.get_portfolio_history, GetPortfolioHistoryRequest(timeframe="7Min"))
    assert status == 422


# ---- the simulator's control endpoint ---------------------------------------------------------------

def test_sim_price_moves_the_market(sim):
    order = resting(sim, "KO", 2, limit=50)
    r = http(sim, "POST", "/sim/price", json={"symbol": "ko", "price": 49.5})
    assert r.status_code == 200
    body = r.json()
    assert body["symbol"] == "KO" and Decimal(body["last"]) == Decimal("49.5") and Decimal(body["bid"]) < Decimal(body["ask"])
    trade = sim.data.get_stock_latest_trade(StockLatestTradeRequest(symbol_or_symbols="KO"))["KO"]
    assert trade.price == 49.5
    filled = wait_for(lambda: (o := sim.client.get_order_by_id(order.id)).status == "filled" and o)
    assert Decimal(filled.filled_avg_price) == Decimal(body["ask"])
    assert http(sim, "POST", "/sim/price", json={"symbol": "KO", "price": "51.25"}).json()["last"] == "51.25"


@pytest.mark.parametrize("body,status", [
    ({"price": 10}, 422), ({"symbol": "KO"}, 422), ({"symbol": "KO", "price": -1}, 422),
    ({"symbol": "ZZZZ", "price": 10}, 422), ({"symbol": "KO", "price": "abc"}, 422),
])
def test_sim_price_rejects_bad_input(sim, body, status):
    r = http(sim, "POST", "/sim/price", json=body)
    assert r.status_code == status and r.json()["code"] == 42210000


def test_sim_price_needs_the_keys(make_sim):
    sim = make_sim(api_key=KEY, secret_key=SECRET)
    assert http(sim, "POST", "/sim/price", headers=None, json={"symbol": "KO", "price": 1}).status_code == 401


# ---- the background runner ----------------------------------------------------------------------

def test_background_simulator_closes_its_event_loop():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with BackgroundSimulator() as background:
            assert requests.get(background.url + "/v2/clock", timeout=5).status_code == 200
            loop = background.call(asyncio.get_running_loop)
        assert loop.is_closed()
        del background, loop
        gc.collect()
    assert [str(w.message) for w in caught if "loop" in str(w.message) or "Task" in str(w.message)] == []


def test_portfolio_history_measures_from_the_previous_close(make_sim):
    sim = make_sim(portfolio="sample")
    history = sim.client.get("/account/portfolio/history", {"timeframe": "1D"})
    account = sim.client.get("/account")
    assert history["base_value"] == float(account["last_equity"])
    assert history["equity"][-1] == float(account["equity"])
    # The sample portfolio opened away from yesterday's close, so today shows a P&L.
    assert history["profit_loss"][-1] == pytest.approx(float(account["equity"]) - float(account["last_equity"]))
    assert history["profit_loss"][-1] != 0
