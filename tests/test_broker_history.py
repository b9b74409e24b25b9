"""The account's past through the real Broker: order history paged past Alpaca's 500 a
request, activities paged by token and read field by field, portfolio history as plain
values; against the simulator over real HTTP, and against a fake Alpaca for junk."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qsl

import pytest
import requests
from alpaca.trading.requests import LimitOrderRequest, MarketOrderRequest

from tui.broker.activities import NonTradeActivity, TradeActivity, parse_activities, parse_activity
from tui.broker.client import Broker
from tui.broker.history import ActivityPages, OrderPages, PortfolioHistory

from .conftest import wait_for
from .harness.simulator import HEADERS
from .hostile import hostile  # noqa: F401  (the fixture)
from .ui_support import config_for

START = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)  # a Tuesday, 11:00 in New York


def _rest(broker: Broker, symbol: str = "AAPL", n: int = 1) -> list[str]:
    """Place n resting buy limits far below the market; their ids."""
    return [str(broker.submit(LimitOrderRequest(symbol=symbol, qty=1, side="buy", time_in_force="gtc",
                                                limit_price=1)).id) for _ in range(n)]


def _q(seen) -> dict[str, str]:
    return dict(parse_qsl(seen.query))


def _buy(broker: Broker, symbol: str = "AAPL", qty: int = 1) -> str:
    return str(broker.submit(MarketOrderRequest(symbol=symbol, qty=qty, side="buy", time_in_force="day")).id)


# ---- orders ----------------------------------------------------------------------------------

def test_order_history_pages_past_the_500_cap_both_ways(make_sim):
    # An empty account (no seeded past), so every order there is one of these.
    sim = make_sim(open_orders=1100)  # resting limits a millisecond apart
    broker = Broker(config_for(sim.url))
    assert len(broker.cancel_all()) == 1100  # one request: they all become `canceled`, so closed
    requests_before = broker.budget.last_minute()

    closed = OrderPages(broker, status="closed")
    newest_first = list(closed)
    assert len(newest_first) == 1100 and len({o.id for o in newest_first}) == 1100
    assert closed.pages == 3 and not closed.truncated  # 500 + 500 + 100
    times = [o.submitted_at for o in newest_first]
    assert times == sorted(times, reverse=True)
    assert {o.status.value for o in newest_first} == {"canceled"}

    oldest_first = list(OrderPages(broker, status="all", direction="asc"))
    assert [o.id for o in oldest_first] == [o.id for o in reversed(newest_first)]
    assert [o.submitted_at for o in oldest_first] == sorted(o.submitted_at for o in oldest_first)
    assert broker.budget.last_minute() - requests_before == 6
    assert list(OrderPages(broker, status="open")) == []
    raw = list(OrderPages(broker, status="closed", raw=True))  # the JSON objects as sent, for exports
    assert [o["id"] for o in raw] == [str(o.id) for o in newest_first]


def test_one_page_is_one_request_with_alpacas_parameters(make_sim):
    sim = make_sim(portfolio="sample")
    broker = Broker(config_for(sim.url))
    before = broker.budget.last_minute()
    page = broker.order_history(status="open", limit=2)
    assert len(page) == 2 and {o.status.value for o in page} <= {"new", "accepted", "partially_filled"}
    assert {o.symbol for o in broker.order_history(status="all", symbols=["AMZN"])} == {"AMZN"}
    # The sample's seeded past: closed orders only, as many as the server holds (up to a page).
    closed = broker.order_history(status="closed")
    sent = requests.get(sim.url + "/v2/orders", headers=HEADERS, params={"status": "closed", "limit": "500"},
                        timeout=10).json()
    assert closed and [str(o.id) for o in closed] == [o["id"] for o in sent]
    assert not {o.status.value for o in closed} & {"new", "accepted", "partially_filled", "held"}
    assert broker.budget.last_minute() - before == 3  # one request a page
    with pytest.raises(ValueError):
        broker.order_history(limit=501)
    with pytest.raises(ValueError):
        broker.order_history(status="done")


def test_orders_sharing_the_boundary_timestamp_are_neither_lost_nor_repeated(make_sim):
    """Three orders at each instant, pages of 5: every page ends inside a group."""
    sim = make_sim(start_at=START)
    broker = Broker(config_for(sim.url))
    placed: list[str] = []
    for _ in range(7):
        placed += _rest(broker, n=3)
        sim.advance(0.001)
    for direction in ("desc", "asc"):
        pages = OrderPages(broker, status="all", direction=direction, page_size=5)
        got = [str(o.id) for o in pages]
        assert sorted(got) == sorted(placed), direction
        assert not pages.truncated
    # A window: after the first instant, before the last.
    first, last = START, START + timedelta(milliseconds=6)
    window = [str(o.id) for o in OrderPages(broker, status="all", after=first, until=last, page_size=4)]
    assert len(window) == 15 and set(window) <= set(placed)


def test_a_full_page_at_one_instant_stops_the_pager_and_says_so(make_sim):
    """Alpaca pages orders by time only: more orders at one instant than a page holds
    cannot be read past. The pager stops instead of asking for the same page forever."""
    sim = make_sim(start_at=START)
    broker = Broker(config_for(sim.url))
    _rest(broker, n=7)
    pages = OrderPages(broker, status="all", page_size=5)
    assert len(list(pages)) == 5 and pages.truncated and pages.pages == 2


# ---- activities ------------------------------------------------------------------------------

def test_fill_activities_page_by_token_with_a_small_page_size(make_sim):
    sim = make_sim(start_at=START)  # empty: no seeded fills or cash activities, only these 14 fills
    broker = Broker(config_for(sim.url))
    orders = []
    for symbol, qty in [("AAPL", 1), ("MSFT", 2), ("NVDA", 3), ("AMD", 4), ("SPY", 5), ("AAPL", 6), ("MSFT", 7)] * 2:
        orders.append(_buy(broker, symbol, qty))
        sim.advance(1)  # each fills on its own tick, a second apart
    assert len(orders) == 14
    wait_for(lambda: len(list(ActivityPages(broker, types=["FILL"]))) == 14)  # orders fill on the next tick

    first = broker.activities(types=["FILL"], page_size=5)
    assert first.received == 5 and len(first.activities) == 5 and first.next_page_token == first.activities[-1].id

    for direction in ("desc", "asc"):
        pages = ActivityPages(broker, types=["FILL"], page_size=5, direction=direction)
        fills = list(pages)
        assert pages.pages == 3 and not pages.truncated
        assert all(isinstance(f, TradeActivity) for f in fills)
        assert sorted(f.order_id for f in fills) == sorted(orders)
        assert len({f.id for f in fills}) == 14
        times = [f.transaction_time for f in fills]
        assert times == sorted(times, reverse=direction == "desc")
    # Every type (the simulator has fills only), and the type given as a query parameter.
    assert len(list(ActivityPages(broker, page_size=4))) == 14
    assert len(list(ActivityPages(broker, types=["FILL", "DIV"], page_size=100))) == 14

    fill = next(iter(ActivityPages(broker, types=["FILL"])))
    assert fill.activity_type == "FILL" and fill.type == "fill" and fill.side == "buy"
    assert fill.qty == fill.cum_qty and fill.leaves_qty == 0 and fill.price > 0
    assert fill.order_status == "filled" and fill.transaction_time.tzinfo is not None
    # after / until bound the times
    cut = sorted(f.transaction_time for f in ActivityPages(broker, types=["FILL"]))[6]
    assert len(list(ActivityPages(broker, types=["FILL"], after=cut))) == 7
    assert len(list(ActivityPages(broker, types=["FILL"], until=cut))) == 6


def test_activity_types_are_checked_before_they_reach_a_url(make_sim):
    broker = Broker(config_for("http://127.0.0.1:9"))
    for bad in ("../orders", "FILL?x=1", "", "F"):
        with pytest.raises(ValueError):
            broker.activities(types=[bad])


WIRE = [
    {"id": "20260310110000000::a1", "activity_type": "FILL", "transaction_time": "2026-03-10T11:00:00.123456789-04:00",
     "type": "partial_fill", "price": "241.5", "qty": "3", "side": "sell_short", "symbol": "AAPL",
     "leaves_qty": "7", "cum_qty": "3", "order_id": "o-1", "order_status": "partially_filled"},
    {"id": "20260310::d1", "activity_type": "DIV", "date": "2026-03-10", "net_amount": "12.34",
     "description": "Cash DIV @ 0.24", "symbol": "MSFT", "qty": "51.4", "per_share_amount": "0.24",
     "status": "executed"},
    {"id": "i1", "activity_type": "INT", "date": "2026-03-31", "net_amount": "0.87", "status": "executed"},
    {"id": "f1", "activity_type": "FEE", "date": "2026-03-12", "net_amount": "-0.02", "description": "REG/TAF fee"},
    {"id": "c1", "activity_type": "CSD", "date": "2026-03-01", "net_amount": "5000"},
    {"id": "w1", "activity_type": "CSW", "date": "2026-03-02", "net_amount": "-100"},
    {"id": "j1", "activity_type": "JNLC", "date": "2026-03-03", "net_amount": "25"},
    {"id": "j2", "activity_type": "JNLS", "date": "2026-03-03", "symbol": "SPY", "qty": "2"},
    {"id": "s1", "activity_type": "SPLIT", "date": "2026-03-04", "symbol": "NVDA", "qty": "900",
     "per_share_amount": "10"},
    {"id": "x1", "activity_type": "OPASN", "date": "2026-03-05", "symbol": "AAPL260320C00250000", "qty": "1"},
    {"id": "x2", "activity_type": "OPEXP", "date": "2026-03-20T00:00:00Z", "symbol": "AAPL260320C00250000"},
    {"id": "r1", "activity_type": "REORG", "date": "2026-03-06", "description": "Merger"},
    {"id": "n1", "activity_type": "BRANDNEW", "date": "2026-03-07", "net_amount": "1"},
    # junk: every field unreadable
    {"id": {"x": 1}, "activity_type": "DIV", "date": "yesterday", "net_amount": "1e999999999",
     "description": "\x1b]8;;http://evil\x07click\x1b]8;;\x07\nhere", "symbol": "\x1b[2J", "qty": "NaN",
     "per_share_amount": [1], "status": 7},
    {"id": "bad-fill", "activity_type": "fill", "transaction_time": "9999-01-01T00:00:00Z", "price": "abc",
     "qty": "-inf", "side": None, "symbol": 42, "leaves_qty": True, "cum_qty": "1" * 80},
    "not an object", None, 17,
]


def test_every_activity_type_is_read_field_by_field_and_junk_becomes_none():
    parsed = parse_activities(WIRE)
    assert len(parsed) == 15  # the three that are not objects are dropped, the rest kept
    fill = parsed[0]
    assert fill == TradeActivity(
        id="20260310110000000::a1", activity_type="FILL",
        transaction_time=datetime.fromisoformat("2026-03-10T11:00:00.123456-04:00"), type="partial_fill",
        price=Decimal("241.5"), qty=Decimal(3), side="sell_short", symbol="AAPL", leaves_qty=Decimal(7),
        cum_qty=Decimal(3), order_id="o-1", order_status="partially_filled")
    div = parsed[1]
    assert div == NonTradeActivity(id="20260310::d1", activity_type="DIV", date=date(2026, 3, 10),
                                   net_amount=Decimal("12.34"), description="Cash DIV @ 0.24", symbol="MSFT",
                                   qty=Decimal("51.4"), per_share_amount=Decimal("0.24"), status="executed")
    assert [a.activity_type for a in parsed[1:13]] == [
        "DIV", "INT", "FEE", "CSD", "CSW", "JNLC", "JNLS", "SPLIT", "OPASN", "OPEXP", "REORG", "BRANDNEW"]
    assert all(isinstance(a, NonTradeActivity) for a in parsed[1:14])
    assert parsed[3].net_amount == Decimal("-0.02") and parsed[8].per_share_amount == 10
    assert parsed[10].date == date(2026, 3, 19)  # midnight UTC is the evening before in New York
    unknown = parsed[12]
    assert unknown.activity_type == "BRANDNEW" and not unknown.known and parsed[1].known

    junk = parsed[13]
    assert (junk.id, junk.date, junk.net_amount, junk.qty, junk.per_share_amount, junk.status) == (None,) * 6
    assert "\x1b" not in junk.description and "\n" not in junk.description and "click" in junk.description
    assert junk.symbol is None or "\x1b" not in junk.symbol
    bad_fill = parsed[14]
    assert isinstance(bad_fill, TradeActivity)  # the type is read case-insensitively
    assert (bad_fill.transaction_time, bad_fill.price, bad_fill.qty, bad_fill.side, bad_fill.leaves_qty,
            bad_fill.cum_qty) == (None,) * 6
    assert parse_activity({}) == NonTradeActivity(None, "", None, None, "", None, None, None, None)


def test_activities_from_a_server_sending_every_type_and_junk(hostile):
    fake = hostile()
    fake.answer("GET", "/v2/account/activities", json=WIRE)
    broker = Broker(config_for(fake.url))
    page = broker.activities(page_size=100)
    assert page.received == len(WIRE) and len(page.activities) == 15
    assert page.next_page_token is None  # the last item is no activity: nothing to page on from
    seen = fake.requests[-1]
    assert seen.path == "/v2/account/activities" and _q(seen).get("page_size") == "100"
    assert _q(seen).get("direction") == "desc" and "activity_types" not in _q(seen)

    # A server that answers the same full page whatever the token: the pager stops.
    fake.answer("GET", "/v2/account/activities/DIV", json=WIRE[1:3])
    pages = ActivityPages(broker, types=["DIV"], page_size=2)
    assert len(list(pages)) == 4 and pages.truncated and pages.pages == 2
    assert _q(fake.requests[-1]).get("page_token") == "i1"

    broker.activities(types=["FILL", "DIV"], after=START, date=date(2026, 3, 10), page_size=500)
    query = _q(fake.requests[-1])
    assert query.get("activity_types") == "FILL,DIV" and query.get("date") == "2026-03-10"
    assert query.get("after") == "2026-03-10T15:00:00Z"


# ---- portfolio history -----------------------------------------------------------------------

def test_portfolio_history_from_the_simulator(make_sim):
    """From the sample's seeded year of daily closes: the period picks the window."""
    sim = make_sim(portfolio="sample")
    broker = Broker(config_for(sim.url))
    daily = broker.portfolio_history("1M", "1D")
    assert isinstance(daily, PortfolioHistory) and daily.timeframe == "1D"
    assert len(daily.timestamp) >= 1 and all(t.tzinfo is not None for t in daily.timestamp)
    assert len(daily.equity) == len(daily.profit_loss) == len(daily.profit_loss_pct) == len(daily.timestamp)
    assert all(isinstance(e, Decimal) and e > 0 for e in daily.equity)
    assert daily.base_value is not None and daily.base_value > 0
    account = broker.account()
    assert abs(daily.equity[-1] - Decimal(str(account.equity))) < 1
    assert daily.profit_loss[-1] == daily.equity[-1] - daily.base_value

    hourly = broker.portfolio_history(None, "1H")
    assert hourly.timeframe == "1H" and len(hourly.timestamp) >= 1
    assert broker.portfolio_history().timeframe == "1D"  # the server's default
    weekly = broker.portfolio_history("1W", "1D")
    assert 0 < len(weekly.timestamp) < len(daily.timestamp)  # a week of a month's days
    assert daily.timestamp[-len(weekly.timestamp):] == weekly.timestamp
    assert weekly.equity == daily.equity[-len(weekly.timestamp):]
    with pytest.raises(ValueError):
        broker.portfolio_history("1Y", "1D")  # Alpaca's year is A
    with pytest.raises(ValueError):
        broker.portfolio_history("1M", "1Hour")


def test_portfolio_history_with_nulls_and_junk(hostile):
    fake = hostile()
    fake.answer("GET", "/v2/account/portfolio/history", json={
        "timestamp": [1773144000, "junk", 1773230400, 1773316800, 10 ** 40],
        "equity": [None, 1, "100.5", 1e999, 3],
        "profit_loss": [None, 2, 0.5],
        "profit_loss_pct": [None, 3, 0.004975, "NaN", 4],
        "base_value": 100, "timeframe": "1D", "cashflow": {}})
    history = Broker(config_for(fake.url)).portfolio_history("1W", "1D")
    assert history.timestamp == (datetime.fromtimestamp(1773144000, UTC), datetime.fromtimestamp(1773230400, UTC),
                                 datetime.fromtimestamp(1773316800, UTC))
    assert history.equity == (None, Decimal("100.5"), None)
    assert history.profit_loss == (None, Decimal("0.5"), None)
    assert history.profit_loss_pct == (None, Decimal("0.004975"), None)
    assert history.base_value == 100 and history.timeframe == "1D"
    assert _q(fake.requests[-1]).get("period") == "1W" and _q(fake.requests[-1]).get("timeframe") == "1D"
    fake.answer("GET", "/v2/account/portfolio/history", json=["not", "an", "object"])
    empty = Broker(config_for(fake.url)).portfolio_history()
    assert empty.timestamp == () and empty.base_value is None and empty.timeframe == ""
