"""alpaca-py's private API that tui.broker.sdk_compat relies on is still there and still
works: these tests fail when alpaca-py's internals drift (read them before upgrading it).

- A fresh TradingClient and StockHistoricalDataClient have `_session` (a requests.Session)
  and `_retry` (an int): what install_session and disable_retries set.
- After install_session, every request really goes through our session (against the
  simulator), for both clients.
- `_retry` is really the knob: a fresh client re-sends a POST answered 504 (placing the
  order again), one after disable_retries sends it once.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import requests
from alpaca.common import rest
from alpaca.common.exceptions import APIError
from alpaca.data.historical import StockHistoricalDataClient
from alpaca.data.requests import StockSnapshotRequest
from alpaca.trading.client import TradingClient
from alpaca.trading.enums import QueryOrderStatus
from alpaca.trading.requests import GetOrdersRequest, MarketOrderRequest

from tui.broker.client import Broker
from tui.broker.sdk_compat import IncompatibleSdk, disable_retries, install_session

from .conftest import KEY, SECRET
from .ui_support import config_for


class Recording(requests.Session):
    """A session that notes every request it sends."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[tuple[str, str]] = []

    def request(self, method, url, *args, **kwargs):  # type: ignore[override]
        self.sent.append((method.upper(), url))
        return super().request(method, url, *args, **kwargs)


def clients(url: str = "http://127.0.0.1:9") -> list:
    return [TradingClient(KEY, SECRET, url_override=url), StockHistoricalDataClient(KEY, SECRET, url_override=url)]


def paths(session: Recording) -> list[tuple[str, str]]:
    return [(method, url.split("/v2", 1)[-1].split("?")[0]) for method, url in session.sent]


@pytest.mark.parametrize("client", clients(), ids=["trading", "data"])
def test_a_fresh_client_has_the_private_attributes_we_set(client):
    assert isinstance(client._session, requests.Session), "alpaca-py renamed or dropped RESTClient._session"
    assert isinstance(client._retry, int) and client._retry > 0, "alpaca-py renamed or dropped RESTClient._retry"
    assert install_session(client, Recording()) is client and isinstance(client._session, Recording)
    assert disable_retries(client) is client and client._retry == 0


def test_a_client_without_them_is_refused_not_silently_left_as_it_was():
    drifted = SimpleNamespace(session=requests.Session(), retry=3)  # as if alpaca-py renamed both
    with pytest.raises(IncompatibleSdk, match="_session"):
        install_session(drifted, Recording())
    with pytest.raises(IncompatibleSdk, match="_retry"):
        disable_retries(drifted)
    assert not hasattr(drifted, "_session") and not hasattr(drifted, "_retry")


def test_the_trading_client_sends_through_the_installed_session(sim):
    client = TradingClient(KEY, SECRET, url_override=sim.url)
    session = install_session(client, Recording())._session
    assert client.get_account().status is not None
    client.submit_order(MarketOrderRequest(symbol="AAPL", qty=1, side="buy", time_in_force="day"))
    assert paths(session) == [("GET", "/account"), ("POST", "/orders")]


def test_the_data_client_sends_through_the_installed_session(sim):
    client = StockHistoricalDataClient(KEY, SECRET, url_override=sim.url)
    session = install_session(client, Recording())._session
    snapshot = client.get_stock_snapshot(StockSnapshotRequest(symbol_or_symbols="AAPL"))
    assert snapshot["AAPL"].latest_quote.ask_price > 0
    assert paths(session) == [("GET", "/stocks/snapshots")]


def orders_placed(sim) -> int:
    sim.set_faults(fail_rate=0)
    return len(sim.client.get_orders(GetOrdersRequest(status=QueryOrderStatus.ALL, limit=500)))


def lost_order(client) -> None:
    """A market buy whose every answer is lost after the simulator placed it (504)."""
    with pytest.raises(APIError):
        client.submit_order(MarketOrderRequest(symbol="AAPL", qty=1, side="buy", time_in_force="day"))


def test_retries_are_what_retry_turns_off(make_sim, monkeypatch):
    monkeypatch.setattr(rest, "time", SimpleNamespace(sleep=lambda _: None))  # alpaca-py's 3 s waits, skipped
    retrying = make_sim()
    client = TradingClient(KEY, SECRET, url_override=retrying.url)
    session = install_session(client, Recording())._session
    retrying.set_faults(fail_rate=1.0, fail_statuses=[504])
    lost_order(client)
    assert len(session.sent) > 1, "alpaca-py no longer re-sends a POST answered 504: is disable_retries still needed?"
    assert orders_placed(retrying) == len(session.sent)  # each re-send placed the order again

    once = make_sim()
    client = disable_retries(TradingClient(KEY, SECRET, url_override=once.url))
    session = install_session(client, Recording())._session
    once.set_faults(fail_rate=1.0, fail_statuses=[504])
    lost_order(client)
    assert len(session.sent) == 1 and orders_placed(once) == 1


def test_the_broker_sends_a_lost_order_once(sim):
    broker = Broker(config_for(sim.url))
    sim.set_faults(fail_rate=1.0, fail_statuses=[504])
    lost_order(broker.trading)
    assert orders_placed(sim) == 1
    assert broker.budget.last_minute() == 1  # and it went through the Broker's own, counting session
