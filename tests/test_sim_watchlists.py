"""Watchlists through alpaca-py's TradingClient against the simulator: every call, by id
and by name, and the refusals (a duplicate name, an unknown symbol, a 65-character name)."""

from __future__ import annotations

import pytest
import requests
from alpaca.common.exceptions import APIError
from alpaca.trading.requests import CreateWatchlistRequest, UpdateWatchlistRequest

from .conftest import KEY, SECRET

HEADERS = {"APCA-API-KEY-ID": KEY, "APCA-API-SECRET-KEY": SECRET}


def symbols(watchlist) -> list[str]:
    return [asset.symbol for asset in watchlist.assets or []]


def test_the_sample_account_comes_with_a_watchlist(make_sim):
    sim = make_sim(portfolio="sample")
    [listed] = sim.client.get_watchlists()
    assert listed.name == "Primary" and listed.assets is None  # the list leaves the assets out
    full = sim.client.get_watchlist_by_id(listed.id)
    assert symbols(full)[:3] == ["AAPL", "MSFT", "NVDA"] and full.account_id == sim.client.get_account().id


def test_create_update_add_remove_delete(sim):
    client = sim.client
    made = client.create_watchlist(CreateWatchlistRequest(name="Tech", symbols=["aapl", "MSFT", "AAPL"]))
    assert made.name == "Tech" and symbols(made) == ["AAPL", "MSFT"]  # upper case, once each
    added = client.add_asset_to_watchlist_by_id(made.id, "NVDA")
    assert symbols(added) == ["AAPL", "MSFT", "NVDA"]
    removed = client.remove_asset_from_watchlist_by_id(made.id, "MSFT")
    assert symbols(removed) == ["AAPL", "NVDA"]
    renamed = client.update_watchlist_by_id(made.id, UpdateWatchlistRequest(name="Chips", symbols=["AMD", "NVDA"]))
    assert renamed.name == "Chips" and symbols(renamed) == ["AMD", "NVDA"] and renamed.updated_at >= made.updated_at
    assert [w.name for w in client.get_watchlists()] == ["Chips"]
    client.delete_watchlist_by_id(made.id)
    assert client.get_watchlists() == []
    with pytest.raises(APIError) as gone:
        client.get_watchlist_by_id(made.id)
    assert gone.value.status_code == 404


def test_the_same_calls_by_name(sim):
    url = sim.url + "/v2/watchlists:by_name"
    sim.client.create_watchlist(CreateWatchlistRequest(name="Mine", symbols=["SPY"]))
    got = requests.get(url, params={"name": "Mine"}, headers=HEADERS, timeout=5)
    assert got.status_code == 200 and [a["symbol"] for a in got.json()["assets"]] == ["SPY"]
    added = requests.post(url, params={"name": "Mine"}, json={"symbol": "QQQ"}, headers=HEADERS, timeout=5)
    assert [a["symbol"] for a in added.json()["assets"]] == ["SPY", "QQQ"]
    put = requests.put(url, params={"name": "Mine"}, json={"symbols": ["AAPL"]}, headers=HEADERS, timeout=5)
    assert [a["symbol"] for a in put.json()["assets"]] == ["AAPL"]
    assert requests.delete(url, params={"name": "Mine"}, headers=HEADERS, timeout=5).status_code == 204
    assert requests.get(url, params={"name": "Mine"}, headers=HEADERS, timeout=5).status_code == 404


@pytest.mark.parametrize("request_body, message", [
    ({"name": "x" * 65, "symbols": []}, "at most 64 characters"),
    ({"name": "Tech", "symbols": ["NOPE"]}, "asset not found: NOPE"),
    ({"name": "", "symbols": []}, "name is required"),
    ({"name": "Tech", "symbols": "AAPL"}, "symbols must be a list"),
])
def test_refusals_say_what_was_wrong(sim, request_body, message):
    answer = requests.post(sim.url + "/v2/watchlists", json=request_body, headers=HEADERS, timeout=5)
    assert answer.status_code == 422 and message in answer.json()["message"]
    assert sim.client.get_watchlists() == []  # nothing half made


def test_a_duplicate_name_and_a_symbol_twice_are_refused(sim):
    client = sim.client
    made = client.create_watchlist(CreateWatchlistRequest(name="Tech", symbols=["AAPL"]))
    with pytest.raises(APIError) as duplicate:
        client.create_watchlist(CreateWatchlistRequest(name="Tech", symbols=[]))
    assert duplicate.value.status_code == 422 and "unique" in str(duplicate.value)
    with pytest.raises(APIError) as twice:
        client.add_asset_to_watchlist_by_id(made.id, "AAPL")
    assert twice.value.status_code == 422
    with pytest.raises(APIError) as absent:
        client.remove_asset_from_watchlist_by_id(made.id, "MSFT")
    assert absent.value.status_code == 404
    assert symbols(client.get_watchlist_by_id(made.id)) == ["AAPL"]
