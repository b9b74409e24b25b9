"""The broker's market-data, asset and watchlist calls against the simulator through
alpaca-py's clients (and a scripted fake Alpaca for what the simulator never sends)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qs

import pytest
from alpaca.common.exceptions import APIError

from tui.broker import client as broker_client
from tui.broker.client import Broker
from tui.broker.errors import describe
from tui.broker.market import AssetInfo, Bar, MarketSnapshot, Watchlist

from .hostile import hostile  # noqa: F401  (the fixture)
from .ui_support import config_for

# A Wednesday afternoon in regular hours (14:00 New York): still prices, a manual clock.
NOW = datetime(2025, 6, 11, 18, 0, tzinfo=UTC)
ESC = "\x1b"


@pytest.fixture
def msim(make_sim):
    return make_sim(start_at=NOW, portfolio="sample")


@pytest.fixture
def broker(msim) -> Broker:
    return Broker(config_for(msim.url))


# ---- snapshots ----------------------------------------------------------------------------

def test_snapshots_for_many_symbols_are_one_request_and_agree_with_the_bars(hostile, msim):
    fake = hostile(upstream=msim.url)
    broker = Broker(config_for(fake.url))
    found = broker.snapshots(["AAPL", "MSFT", "ZZZZ", "AAPL", f"{ESC}[2J"])
    assert fake.paths("GET") == ["/v2/stocks/snapshots"]
    assert parse_qs(fake.requests[0].query) == {"symbols": ["AAPL,MSFT,ZZZZ"], "feed": ["iex"]}
    assert set(found) == {"AAPL", "MSFT"}  # the unknown one is left out, as the server leaves it out
    snap = found["AAPL"]
    assert isinstance(snap, MarketSnapshot) and snap.symbol == "AAPL"
    last = msim.call(lambda: msim.exchange.prices.quote("AAPL"))
    assert (snap.quote.bid, snap.quote.ask, snap.trade.price) == (last.bid, last.ask, last.last)
    assert snap.day.close == last.last and snap.minute.close == last.last
    assert snap.prev_close == msim.call(lambda: msim.exchange.prices.day("AAPL").prev_close)
    days = broker.bars("AAPL", "1Day", NOW - timedelta(days=10))
    assert (days[-2], days[-1]) == (snap.previous_day, snap.day)
    assert snap.previous_day.time == datetime(2025, 6, 10, 4, tzinfo=UTC)
    assert snap.minute == broker.bars("AAPL", "1Min", datetime(2025, 6, 11, 13, 30, tzinfo=UTC))[-1]


def test_the_feed_comes_from_the_config_when_it_has_one(hostile, msim):
    fake = hostile(upstream=msim.url)
    config = config_for(fake.url)
    try:
        object.__setattr__(config, "data_feed", "sip")
    except (AttributeError, TypeError):
        pytest.skip("Config takes no extra attribute")
    Broker(config).snapshots(["AAPL"])
    assert parse_qs(fake.requests[0].query)["feed"] == ["sip"]


def test_quote_still_reads_bid_ask_last(broker, msim):
    msim.set_price("AAPL", "201.00")
    assert broker.quote("AAPL") == (Decimal("200.99"), Decimal("201.01"), Decimal("201.00"))
    assert broker.quote("ZZZZ") == (None, None, None)
    assert broker.snapshots([]) == {}


def test_a_hostile_snapshot_gives_nones_and_drops_unreadable_bars(hostile):
    fake = hostile()
    bar = {"t": "2026-11-23T15:30:00Z", "o": 1.5, "h": 2, "l": 1, "c": 1.75, "v": 100}
    body = (b'{"AAPL": {"latestQuote": {"t": "9999-01-01T00:00:00Z", "ap": NaN, "bp": 0, "as": "x", "bs": 1e999},'
            b' "latestTrade": {"t": "junk", "p": -3, "s": Infinity},'
            b' "minuteBar": {"t": "2026-11-23T15:30:00Z", "o": "junk", "h": 2, "l": 1, "c": 1.5, "v": 1},'
            b' "dailyBar": %s, "prevDailyBar": {"t": "2026-11-22T05:00:00Z", "o": 1, "h": 1e999, "l": 1, "c": 1}},'
            b' "MSFT": "not a snapshot", "\\u001b[2J": {}}' % str(bar).replace("'", '"').encode())
    fake.answer("GET", "/v2/stocks/snapshots", body=body, headers={"Content-Type": "application/json"})
    found = Broker(config_for(fake.url)).snapshots(["AAPL", "MSFT"])
    assert set(found) == {"AAPL"}
    snap = found["AAPL"]
    assert (snap.quote.bid, snap.quote.ask, snap.quote.bid_size, snap.quote.ask_size, snap.quote.time) == \
        (None, None, None, None, None)
    assert (snap.trade.price, snap.trade.size, snap.trade.time) == (None, None, None)
    assert snap.minute is None and snap.previous_day is None and snap.prev_close is None
    assert snap.day == Bar("AAPL", datetime(2026, 11, 23, 15, 30, tzinfo=UTC), Decimal("1.5"), Decimal("2"),
                           Decimal("1"), Decimal("1.75"), Decimal("100"))


# ---- bars -----------------------------------------------------------------------------------

def test_bars_are_plain_ascending_and_bounded_by_start_end_and_limit(broker):
    days = broker.bars("AAPL", "1Day", datetime(2025, 5, 1, tzinfo=UTC), datetime(2025, 5, 31, tzinfo=UTC))
    assert len(days) == 21 and all(isinstance(b, Bar) and b.symbol == "AAPL" for b in days)
    assert [b.time for b in days] == sorted(b.time for b in days)
    assert all(isinstance(b.close, Decimal) and b.low <= b.close <= b.high and b.volume > 0 for b in days)
    assert len(broker.bars("AAPL", "1Day", datetime(2025, 5, 1, tzinfo=UTC), limit=5)) == 5
    today = broker.bars("AAPL", "5Min", datetime(2025, 6, 11, 13, 30, tzinfo=UTC))
    assert today[0].time == datetime(2025, 6, 11, 13, 30, tzinfo=UTC) and len(today) == 54  # 13:30 to 17:55
    for timeframe in ("15Min", "1Hour", "1Week", "1Month"):
        assert broker.bars("AAPL", timeframe, datetime(2025, 5, 1, tzinfo=UTC))
    assert broker.bars("ZZZZ", "1Day", datetime(2025, 6, 2, tzinfo=UTC)) == []
    naive = broker.bars("AAPL", "1Day", datetime(2025, 5, 1), datetime(2025, 5, 31))  # naive: taken as UTC
    assert naive == days


def test_bars_follow_page_tokens_for_a_bounded_number_of_pages(broker, monkeypatch):
    start = datetime(2025, 6, 9, tzinfo=UTC)
    whole = broker.bars("AAPL", "1Min", start, limit=700)
    monkeypatch.setattr(broker_client, "BARS_PAGE", 100)
    assert broker.bars("AAPL", "1Min", start, limit=700) == whole and len(whole) == 700
    monkeypatch.setattr(broker_client, "MAX_BAR_PAGES", 3)
    assert broker.bars("AAPL", "1Min", start, limit=700) == whole[:300]


def test_bad_timeframes_and_symbols_are_refused_before_any_request(hostile):
    fake = hostile()
    broker = Broker(config_for(fake.url))
    for timeframe in ("1Fortnight", "7Day", ""):
        with pytest.raises(ValueError):
            broker.bars("AAPL", timeframe, NOW)
    with pytest.raises(ValueError):
        broker.bars("../v2/account", "1Day", NOW)
    assert fake.requests == []


def test_hostile_bars_are_dropped_and_an_endless_token_ends(hostile):
    fake = hostile()
    fake.answer("GET", "/v2/stocks/AAPL/bars", body=(
        b'{"symbol": "AAPL", "next_page_token": "again", "bars": ['
        b'{"t": "2025-06-09T13:30:00Z", "o": 1, "h": 2, "l": 0.5, "c": 1.5, "v": 10},'
        b'{"t": "2025-06-09T13:31:00Z", "o": NaN, "h": 2, "l": 0.5, "c": 1.5, "v": 10},'
        b'{"t": "2025-06-09T13:32:00Z", "o": 1, "h": 1e999, "l": 0.5, "c": 1.5, "v": 10},'
        b'{"t": "10000-01-01T00:00:00Z", "o": 1, "h": 2, "l": 0.5, "c": 1.5, "v": 10},'
        b'{"o": 1, "h": 2, "l": 0.5, "c": 1.5},'
        b'{"t": "2025-06-09T13:33:00Z", "o": "junk", "h": 2, "l": 0.5, "c": 1.5},'
        b'{"t": "2025-06-09T13:34:00Z", "o": 1, "h": 2, "l": 0.5, "c": 1.5, "v": "lots"},'
        b'"not a bar", null]}'), headers={"Content-Type": "application/json"})
    bars = Broker(config_for(fake.url)).bars("AAPL", "1Min", NOW)
    assert len(fake.requests) == broker_client.MAX_BAR_PAGES
    assert len(bars) == 2 * broker_client.MAX_BAR_PAGES
    assert [b.volume for b in bars[:2]] == [Decimal(10), Decimal(0)]


# ---- assets ---------------------------------------------------------------------------------

def test_assets_are_the_active_us_equities(hostile, msim):
    fake = hostile(upstream=msim.url)
    assets = Broker(config_for(fake.url)).assets()
    assert parse_qs(fake.requests[0].query) == {"status": ["active"], "asset_class": ["us_equity"]}
    by_symbol = {a.symbol: a for a in assets}
    assert len(by_symbol) == len(assets) >= 40 and all(isinstance(a, AssetInfo) for a in assets)
    aapl = by_symbol["AAPL"]
    assert aapl.name and aapl.exchange == "NASDAQ" and aapl.tradable and aapl.fractionable and aapl.shortable
    assert not by_symbol["FNMA"].tradable and not by_symbol["BRK.A"].fractionable


def test_hostile_asset_text_is_cleaned_and_bad_symbols_dropped(hostile):
    fake = hostile()
    fake.answer("GET", "/v2/assets", json=[
        {"symbol": "EVIL", "name": f"{ESC}]0;pwned\x07Evil [b]Corp[/b]{ESC}[2J\nInc", "exchange": f"MOON{ESC}[31m",
         "tradable": "yes", "fractionable": True},
        {"symbol": f"X{ESC}[2J", "name": "bad symbol"}, {"name": "no symbol"}, "junk", None])
    [evil] = Broker(config_for(fake.url)).assets()
    assert evil == AssetInfo("EVIL", "Evil [b]Corp[/b] Inc", "MOON", False, True, False)


# ---- watchlists -------------------------------------------------------------------------------

def test_watchlists_read_their_symbols_by_id_when_the_list_leaves_them_out(hostile, msim):
    fake = hostile(upstream=msim.url)
    [primary] = Broker(config_for(fake.url)).watchlists()
    assert isinstance(primary, Watchlist) and primary.name == "Primary"
    assert primary.symbols == ("AAPL", "MSFT", "NVDA", "AMZN", "GOOGL", "META", "SPY", "QQQ")
    assert primary.updated_at is not None
    assert fake.paths("GET") == ["/v2/watchlists", f"/v2/watchlists/{primary.id}"]


def test_a_watchlist_gone_between_the_list_and_its_read_is_left_out(hostile, msim, broker):
    [primary] = broker.watchlists()
    fake = hostile(upstream=msim.url)
    fake.answer("GET", "/v2/watchlists", json=[
        {"id": "00000000-0000-4000-8000-000000000000", "name": "gone"},
        {"id": primary.id, "name": "Primary"},
        {"id": "../account", "name": "not an id"},
        {"id": primary.id, "name": f"{ESC}[31mListed{ESC}[0m", "assets": [{"symbol": "AAPL"}, {"symbol": 7}]}])
    found = Broker(config_for(fake.url)).watchlists()
    assert [(w.name, w.symbols) for w in found] == [("Primary", primary.symbols), ("Listed", ("AAPL",))]


def test_create_rename_add_remove_delete(broker):
    made = broker.create_watchlist("Tech", ["aapl", "MSFT"])
    assert (made.name, made.symbols) == ("Tech", ("AAPL", "MSFT"))
    assert broker.watchlist(made.id) == made
    renamed = broker.rename_watchlist(made.id, "Chips")
    assert (renamed.name, renamed.symbols) == ("Chips", ("AAPL", "MSFT"))
    assert broker.add_to_watchlist(made.id, "NVDA").symbols == ("AAPL", "MSFT", "NVDA")
    assert broker.remove_from_watchlist(made.id, "MSFT").symbols == ("AAPL", "NVDA")
    assert [w.name for w in broker.watchlists()] == ["Primary", "Chips"]
    empty = broker.create_watchlist("Empty")
    assert empty.symbols == ()
    broker.delete_watchlist(made.id)
    broker.delete_watchlist(empty.id)
    assert [w.name for w in broker.watchlists()] == ["Primary"]
    with pytest.raises(APIError) as gone:
        broker.watchlist(made.id)
    assert describe(gone.value).status == 404


def test_refusals_surface_as_api_errors_in_plain_words(broker):
    with pytest.raises(APIError) as duplicate:
        broker.create_watchlist("Primary", ["AAPL"])
    problem = describe(duplicate.value)
    assert (problem.status, problem.code, problem.message) == (422, 42210000, "watchlist name must be unique")
    assert problem.is_rejection
    [primary] = broker.watchlists()
    with pytest.raises(APIError) as twice:
        broker.add_to_watchlist(primary.id, "AAPL")
    assert describe(twice.value).status == 422 and "already" in describe(twice.value).message
    with pytest.raises(APIError) as unknown:
        broker.add_to_watchlist(primary.id, "ZZZZ")
    assert "asset not found" in describe(unknown.value).message
    with pytest.raises(APIError) as absent:
        broker.remove_from_watchlist(primary.id, "TSLA")
    assert describe(absent.value).status == 404


def test_a_hostile_name_comes_back_clean_and_bad_ids_never_reach_a_url(broker, hostile):
    made = broker.create_watchlist(f"{ESC}]0;pwned\x07[red]Mine[/red]{ESC}[2J\r\nToo")
    assert made.name == "[red]Mine[/red] Too"  # plain text: markup is the widgets' business
    fake = hostile()
    other = Broker(config_for(fake.url))
    for bad in ("../account", "", "a/b", "x" * 65):
        with pytest.raises(ValueError):
            other.watchlist(bad)
        with pytest.raises(ValueError):
            other.delete_watchlist(bad)
    assert fake.requests == []
